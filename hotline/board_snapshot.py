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
from hotline.report import early_warning
from hotline.settings import Settings, SupervisionSettings

OPEN = sorted(s.value for s in UNFINISHED_STATES | {TicketState.COMPLETED, TicketState.REVIEWED})
LIST_LIMIT = 20

_TICKET_FIELDS = (
    "t.id, t.number, t.state, t.holder_unit_id, t.category_code, left(t.content, 60) AS summary, t.created_at"
)


def supervised_queries(
    settings: SupervisionSettings, units: list[int] | None, now: datetime
) -> dict[SupervisionKind, tuple[str, tuple[Any, ...]]]:
    """The four lists (重点督办), each a query with its arguments; thresholds from [supervision]."""
    visible = "($1::bigint[] IS NULL OR t.holder_unit_id = ANY($1))"
    window = timedelta(days=settings.repeat_days)
    return {
        SupervisionKind.OVERDUE: (
            f"""
            SELECT {_TICKET_FIELDS}, min(d.due_at) AS due_at FROM tickets t JOIN deadlines d ON d.ticket_id = t.id
            WHERE d.status = 'running' AND d.due_at <= $2 AND {visible}
            GROUP BY t.id ORDER BY min(d.due_at) LIMIT {LIST_LIMIT}""",
            (units, now),
        ),
        SupervisionKind.DISSATISFIED: (
            f"""
            SELECT {_TICKET_FIELDS}, t.reopen_count FROM tickets t
            WHERE t.reopen_count >= $2 AND t.state = ANY($3::text[]) AND {visible}
            ORDER BY t.reopen_count DESC, t.id DESC LIMIT {LIST_LIMIT}""",
            (units, settings.dissatisfied_count, OPEN),
        ),
        SupervisionKind.REPEAT: (
            f"""
            SELECT {_TICKET_FIELDS}, r.repeats FROM tickets t
            JOIN LATERAL (
                SELECT count(*) AS repeats FROM tickets o
                WHERE o.created_at > t.created_at - $4::interval AND o.created_at <= t.created_at
                  AND (o.caller_phone = t.caller_phone
                       OR (o.category_code = t.category_code
                           AND o.place ->> 'community_id' = t.place ->> 'community_id'))
            ) r ON true
            WHERE t.state = ANY($3::text[]) AND t.created_at > $2::timestamptz - $4::interval
              AND r.repeats >= $5 AND {visible}
            ORDER BY r.repeats DESC, t.id DESC LIMIT {LIST_LIMIT}""",
            (units, now, OPEN, window, settings.repeat_count),
        ),
        SupervisionKind.DISPUTED: (
            f"""
            SELECT {_TICKET_FIELDS}, t.return_count FROM tickets t
            WHERE t.return_count >= $2 AND t.state = ANY($3::text[]) AND {visible}
            ORDER BY t.return_count DESC, t.id DESC LIMIT {LIST_LIMIT}""",
            (units, settings.return_count, OPEN),
        ),
    }


def _row(row: asyncpg.Record, names: dict[int, str]) -> dict[str, Any]:
    data = dict(row)
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

    by_state = {
        r["state"]: r["n"]
        for r in await conn.fetch(
            "SELECT state, count(*) AS n FROM tickets WHERE state = ANY($2::text[]) "
            "AND ($1::bigint[] IS NULL OR holder_unit_id = ANY($1)) GROUP BY state",
            units,
            OPEN,
        )
    }
    held = await conn.fetch(
        "SELECT holder_unit_id, count(*) AS n FROM tickets WHERE state = ANY($2::text[]) "
        "AND ($1::bigint[] IS NULL OR holder_unit_id = ANY($1)) GROUP BY holder_unit_id",
        units,
        OPEN,
    )
    children = catalog.tree.children(user.unit_id)
    by_unit = {c.id: 0 for c in children}
    for r in held:
        for c in children:
            if r["holder_unit_id"] is not None and catalog.tree.is_within(r["holder_unit_id"], c.id):
                by_unit[c.id] += r["n"]
    countdown = await conn.fetch(
        f"""SELECT {_TICKET_FIELDS}, d.track, d.rule_name, d.due_at, d.warn_at FROM deadlines d
            JOIN tickets t ON t.id = d.ticket_id
            WHERE d.status = 'running' AND ($1::bigint[] IS NULL OR t.holder_unit_id = ANY($1))
            ORDER BY d.due_at LIMIT 30""",
        units,
    )
    supervised = {
        kind.value: {"label": kind.label, "items": [_row(r, names) for r in await conn.fetch(sql, *args)]}
        for kind, (sql, args) in supervised_queries(settings.supervision, units, now).items()
    }
    alerts = await conn.fetch(
        """SELECT a.id AS alert_id, a.kind, a.raised_at, a.due_at, t.id, t.number, t.state, t.holder_unit_id,
                  d.rule_name
           FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id JOIN deadlines d ON d.id = a.deadline_id
           WHERE ($1::bigint[] IS NULL OR a.unit_id = ANY($1)) ORDER BY a.id DESC LIMIT 30""",
        units,
    )
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
