"""专题服务日 (seed 004): a department or street head answers the hotline for a morning. Supervisors schedule the
day (unit, leader, date, hours, topic); a call taken in that window about the unit's domain — its routing names
the unit or a unit below it, as lead, suggestion or co-handler — is marked for the day, shown to the leader on
the console, and listed with its outcome in the monthly report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from dispatch.routing import RoutingDecision
from dispatch.states import TicketState
from hotline import access
from hotline.auth import User
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.journal import Context
from hotline.tickets.records import Ticket, summary


async def do_schedule(
    ctx: Context, user: User, tz: ZoneInfo, unit_id: int, leader: str, day: date, start: time, end: time, topic: str
) -> int:
    """A supervisor schedules a day for their own unit or one below it."""
    access.require_role(user, Role.SUPERVISOR)
    tree = ctx.catalog.tree
    if unit_id not in tree or not tree.is_within(unit_id, user.unit_id):
        raise ApiError(422, "只能为本单位或下级单位安排专题服务日", code="outside_subtree")
    if end <= start:
        raise ApiError(422, "结束时间须晚于开始时间", code="invalid")
    starts_at = datetime.combine(day, start, tzinfo=tz)
    ends_at = datetime.combine(day, end, tzinfo=tz)
    row_id = await ctx.conn.fetchval(Q.insert_service_day, unit_id, leader, starts_at, ends_at, topic, user.id, ctx.now)
    return int(row_id)


def concerned_units(ticket: Ticket, decision: RoutingDecision | None) -> set[int]:
    units = {u for u in (ticket.lead_unit_id, *ticket.co_unit_ids) if u is not None}
    if decision is not None:
        units |= {u for u in (decision.target_unit_id, decision.suggested_unit_id) if u is not None}
        units |= set(decision.co_handler_ids)
    return units


async def mark_call(ctx: Context, ticket: Ticket, decision: Callable[[], RoutingDecision | None]) -> list[int]:
    """Mark a call just taken for every day running now whose unit it concerns; the days' ids."""
    days = ctx.service_days  # read with the transaction's versions (intake), else here
    if days is None:
        days = [(r["id"], r["unit_id"]) for r in await ctx.conn.fetch(Q.service_days_active, ctx.now)]
    if not days:
        return []
    units = concerned_units(ticket, decision())
    tree = ctx.catalog.tree
    marked = [day for day, unit in days if any(u in tree and tree.is_within(u, unit) for u in units)]
    if marked:
        await ctx.conn.execute(Q.mark_service_day_ticket, marked, ticket.id)
    return marked


def day_json(row: asyncpg.Record, names: dict[int, str], tz: ZoneInfo) -> dict[str, Any]:
    starts, ends = row["starts_at"].astimezone(tz), row["ends_at"].astimezone(tz)
    return {
        "id": row["id"],
        "unit_id": row["unit_id"],
        "unit_name": names.get(row["unit_id"]),
        "leader": row["leader"],
        "day": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
        "topic": row["topic"],
        "calls": row["calls"],
    }


SATISFACTION_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


def call_json(row: asyncpg.Record, names: dict[int, str]) -> dict[str, Any]:
    """A marked call as the leader and the report see it: no caller's name or number, its text masked."""
    state = TicketState(row["state"])
    return {
        "id": row["id"],
        "number": row["number"],
        "summary": summary(row["content"]),
        "state": state.value,
        "state_label": state.label,
        "holder_unit_name": names.get(row["holder_unit_id"]),
        "created_at": row["created_at"].isoformat(),
        "satisfaction": row["satisfaction"],
        "satisfaction_label": SATISFACTION_LABELS.get(row["satisfaction"] or "", ""),
        "answered_from_kb": row["answered_from_kb"],
    }


def outcomes(calls: Iterable[dict[str, Any]]) -> dict[str, int]:
    """What became of a day's calls: answered on the spot, finished (closed), still open, and satisfied."""
    counts = {"calls": 0, "on_spot": 0, "closed": 0, "open": 0, "satisfied": 0}
    for c in calls:
        counts["calls"] += 1
        if c["state"] == TicketState.CLOSED_ON_SPOT:
            counts["on_spot"] += 1
        elif c["state"] in (TicketState.CLOSED, TicketState.MERGED):
            counts["closed"] += 1
        else:
            counts["open"] += 1
        if c["satisfaction"] in ("satisfied", "basically_satisfied"):
            counts["satisfied"] += 1
    return counts


async def days_with_calls(
    conn: asyncpg.Connection,
    names: dict[int, str],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    units: Iterable[int] | None,
) -> list[dict[str, Any]]:
    """The days overlapping [start, end) of `units` (None: all), each with its calls and their outcomes."""
    scope = None if units is None else sorted(units)
    days = [day_json(r, names, tz) for r in await conn.fetch(Q.service_days_between, start, end, scope)]
    if not days:
        return []
    calls: dict[int, list[dict[str, Any]]] = {d["id"]: [] for d in days}
    for row in await conn.fetch(Q.service_day_calls, list(calls)):
        calls[row["service_day_id"]].append(call_json(row, names))
    return [{**d, "tickets": calls[d["id"]], "outcomes": outcomes(calls[d["id"]])} for d in days]
