"""Misrouting measured (issue 16): per month and unit, the tickets returned or re-routed and why, and how
often auto-dispatch was used and was right. Definitions in docs/report.md, "Misrouting"; the cause of
each misroute is decided by dispatch.misrouting.cause_of from the facts sql/queries/report.sql
(misroute_incidents) reads off the event log."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import asyncpg

from dispatch.misrouting import Cause, cause_of
from hotline.queries import Q
from hotline.report import scores
from hotline.report.scores import Period, UnitInfo
from hotline.settings import Settings

PLACE_LEVELS = frozenset({"district", "street", "community", "grid"})


def place_chain(units: dict[int, UnitInfo], unit_id: int | None) -> tuple[int, ...]:
    """Unit ids from the city down to the place a unit stands for: a department stands for its district."""
    if unit_id is None or unit_id not in units:
        return ()
    path: list[int] = []
    current: int | None = unit_id
    while current is not None:
        path.append(current)
        current = units[current].parent_id
    path.reverse()
    while len(path) > 1 and units[path[-1]].level not in PLACE_LEVELS:
        path.pop()
    return tuple(path)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def month_figures(
    conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    units: dict[int, UnitInfo],
    scope: list[int] | None = None,
) -> dict[str, Any]:
    """The misrouting section of the monthly report (and the 派单准确性 page) for tickets created in
    [start, end); `scope` limits it to those units (the summary to tickets led by them)."""
    in_scope = set(scope) if scope is not None else None
    summary = dict(await conn.fetchrow(Q.misrouting_summary, start, end, scope))
    incidents = []
    for r in await conn.fetch(Q.misroute_incidents, start, end):
        if in_scope is not None and r["misrouted_unit_id"] not in in_scope:
            continue
        cause = None
        if r["kind"] != "rejected":
            cause = cause_of(
                rerouted=r["reroute_unit_id"] is not None,
                corrected_from=r["corrected_from"],
                auto=r["auto"],
                old_place=place_chain(units, r["misrouted_unit_id"]),
                new_place=place_chain(units, r["reroute_unit_id"]),
            )
        incidents.append({**dict(r), "cause": cause})
    misroutes = [i for i in incidents if i["cause"] is not None]

    causes: Counter[Cause] = Counter(i["cause"] for i in misroutes)
    per_unit: dict[int, dict[str, Any]] = {}

    def unit_row(unit_id: int) -> dict[str, Any]:
        return per_unit.setdefault(
            unit_id,
            {"misrouted": set(), "rejected": set(), "extra": set(), "causes": Counter(), "decided_wrongly": 0},
        )

    for i in incidents:
        row = unit_row(i["misrouted_unit_id"])
        if i["cause"] is None:
            row["rejected"].add(i["ticket_id"])
        else:
            row["misrouted"].add(i["ticket_id"])
            row["causes"][i["cause"]] += 1
            if i["decision_unit_id"] is not None and (in_scope is None or i["decision_unit_id"] in in_scope):
                unit_row(i["decision_unit_id"])["decided_wrongly"] += 1
        if i["lead_unit_id"] != i["misrouted_unit_id"]:
            row["extra"].add(i["ticket_id"])  # received, then sent on: not among the unit's lead tickets
    lead = {r["unit_id"]: r["n"] for r in await conn.fetch(Q.misrouting_lead_counts, start, end)}
    for unit_id in lead:
        if in_scope is None or unit_id in in_scope:
            unit_row(unit_id)
    rows = []
    for unit_id, row in per_unit.items():
        if unit_id not in units:
            continue
        received = lead.get(unit_id, 0) + len(row["extra"])
        rows.append(
            {
                "unit_id": unit_id,
                "name": units[unit_id].name,
                "level": units[unit_id].level,
                "received": received,
                "misrouted": len(row["misrouted"]),
                "misrouted_rate": _rate(len(row["misrouted"]), received),
                "rejected_returns": len(row["rejected"]),
                "causes": {c.value: row["causes"].get(c, 0) for c in Cause},
                "decided_wrongly": row["decided_wrongly"],
            }
        )
    rows.sort(key=lambda r: (-r["misrouted"], -r["decided_wrongly"], -r["received"], r["unit_id"]))
    dispatched = summary["dispatched"]
    return {
        "dispatch": {
            **summary,
            "auto_rate": _rate(summary["auto"], dispatched),
            "auto_accuracy": _rate(summary["auto_accurate"], summary["auto_closed"]),
            "returned_or_rerouted_rate": _rate(summary["returned_or_rerouted"], dispatched),
        },
        "misroutes": len(misroutes),
        "rejected_returns": sum(1 for i in incidents if i["cause"] is None),
        "causes": [
            {
                "cause": c.value,
                "label": c.label,
                "incidents": causes.get(c, 0),
                "share": _rate(causes.get(c, 0), len(misroutes)),
            }
            for c in Cause
        ],
        "units": [r for r in rows if r["misrouted"] or r["rejected_returns"] or r["decided_wrongly"]],
        "units_without_misroutes": sum(
            1 for r in rows if not (r["misrouted"] or r["rejected_returns"] or r["decided_wrongly"])
        ),
        "examples": [
            {
                "ticket_id": i["ticket_id"],
                "number": i["number"],
                "at": i["at"].isoformat(),
                "unit": units[i["misrouted_unit_id"]].name if i["misrouted_unit_id"] in units else "",
                "rerouted_to": units[i["reroute_unit_id"]].name if i["reroute_unit_id"] in units else None,
                "cause": i["cause"].value,
                "cause_label": i["cause"].label,
            }
            for i in misroutes[-20:][::-1]
        ],
    }


def _summary_rates(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "dispatched": row["dispatched"],
        "auto_rate": _rate(row["auto"], row["dispatched"]),
        "auto_accuracy": _rate(row["auto_accurate"], row["auto_closed"]),
        "returned_or_rerouted_rate": _rate(row["returned_or_rerouted"], row["dispatched"]),
    }


async def page_data(conn: asyncpg.Connection, settings: Settings, month: Period, unit_id: int | None) -> dict[str, Any]:
    """The 派单准确性 page and GET /api/reports/misrouting: the month's figures and the six months to it."""
    units = await scores.load_units(conn)
    scope = None
    if unit_id is not None:
        scope = [u for u in units if scores.ancestor_at(units, u, units[unit_id].level) == unit_id]
    start, end = month.bounds(settings.tz)
    figures = await month_figures(conn, start, end, units, scope)
    trend = []
    for back in range(5, -1, -1):
        period = scores.month_period(scores.add_months(month.first, -back))
        first, last = period.bounds(settings.tz)
        trend.append(
            {"month": period.label, **_summary_rates(await conn.fetchrow(Q.misrouting_summary, first, last, scope))}
        )
    return {
        "month": month.label,
        "month_title": month.title,
        "unit": None if unit_id is None else {"id": unit_id, "name": units[unit_id].name},
        **figures,
        "trend": trend,
    }
