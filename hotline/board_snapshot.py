"""The supervisor's live board: what a snapshot holds for one unit subtree.

Counts by state and by unit, the clocks closest to their deadline, the four supervised lists
(重点督办), the latest alerts and the active early warnings (未诉先办). Realtime events then keep the
page current (realtime/).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from dispatch.states import UNFINISHED_STATES, TicketState
from dispatch.supervision import SupervisionKind
from hotline import access
from hotline.auth import User
from hotline.catalog_cache import Catalog
from hotline.queries import Q
from hotline.report import early_warning
from hotline.settings import Settings, SupervisionSettings
from hotline.tickets.records import summary

OPEN = sorted(s.value for s in UNFINISHED_STATES | {TicketState.COMPLETED, TicketState.REVIEWED})


def supervised_queries(
    settings: SupervisionSettings, units: list[int] | None, now: datetime
) -> dict[SupervisionKind, tuple[str, tuple[Any, ...]]]:
    """The four lists (重点督办), each a query with its arguments; thresholds from [supervision]."""
    window = timedelta(days=settings.repeat_days)
    return {
        SupervisionKind.OVERDUE: (Q.board_supervised_overdue, (units, now)),
        SupervisionKind.DISSATISFIED: (Q.board_supervised_dissatisfied, (units, settings.dissatisfied_count, OPEN)),
        SupervisionKind.REPEAT: (Q.board_supervised_repeat, (units, now, OPEN, window, settings.repeat_count)),
        SupervisionKind.DISPUTED: (Q.board_supervised_disputed, (units, settings.return_count, OPEN)),
    }


def _row(row: asyncpg.Record, names: dict[int, str]) -> dict[str, Any]:
    data = dict(row)
    if "summary" in data:
        data["summary"] = summary(data["summary"])
    data["state_label"] = TicketState(data["state"]).label
    data["holder_unit_name"] = names.get(data["holder_unit_id"])
    for key, value in list(data.items()):
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    return data


async def snapshot(
    conn: asyncpg.Connection, catalog: Catalog, settings: Settings, user: User, now: datetime
) -> dict[str, Any]:
    visible = access.visible_units(user, catalog)
    units = None if visible is None else sorted(visible)
    names = catalog.unit_names

    by_state = {r["state"]: r["n"] for r in await conn.fetch(Q.board_counts_by_state, units, OPEN)}
    held = await conn.fetch(Q.board_counts_by_holder, units, OPEN)
    children = catalog.tree.children(user.unit_id)
    by_unit = {c.id: 0 for c in children}
    for r in held:
        for c in children:
            if r["holder_unit_id"] is not None and catalog.tree.is_within(r["holder_unit_id"], c.id):
                by_unit[c.id] += r["n"]
    countdown = await conn.fetch(Q.board_countdown, units)
    supervised = {
        kind.value: {"label": kind.label, "items": [_row(r, names) for r in await conn.fetch(sql, *args)]}
        for kind, (sql, args) in supervised_queries(settings.supervision, units, now).items()
    }
    alerts = await conn.fetch(Q.board_alerts, units)
    return {
        "unit": {"id": user.unit_id, "name": names[user.unit_id]},
        "generated_at": now.isoformat(),
        "counts_by_state": {s: {"label": TicketState(s).label, "count": by_state.get(s, 0)} for s in OPEN},
        "counts_by_unit": [{"unit_id": c.id, "name": c.name, "open": by_unit[c.id]} for c in children],
        "countdown": [_row(r, names) for r in countdown],
        "supervised": supervised,
        "alerts": [_row(r, names) for r in alerts],
        "early_warnings": await early_warning.active(conn, catalog, units, now, settings.report),
    }
