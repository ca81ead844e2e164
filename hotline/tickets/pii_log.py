"""The privacy log (pii_reads): every read of a caller's unmasked personal data, and its pages for administrators.

A read is logged when a view shows fields a unit's view of the same ticket would not (records.unmasked_fields):
the hotline centre's pages and lists, and a unit's explicit reveal (查看号码). A list logs one row per ticket
it shows unmasked, in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from hotline.auth import User
from hotline.queries import Q
from hotline.tickets.records import Ticket, unmasked_fields

Via = Literal["view", "list", "reveal"]
VIA_LABELS = {"view": "查看工单", "list": "工单列表", "reveal": "查看号码"}
FIELD_LABELS = {
    "caller_phone": "来电号码",
    "caller_name": "姓名",
    "address": "地址",
    "content": "诉求内容中的号码",
    "trail": "办理记录中的号码",
}


def ticket_reads(tickets: Sequence[Ticket]) -> list[tuple[int, list[str]]]:
    """(ticket id, fields) of the tickets that show personal data when unmasked."""
    return [(ticket.id, fields) for ticket in tickets if (fields := unmasked_fields(ticket))]


async def record_reads(
    conn: asyncpg.Connection, user: User, at: datetime, reads: Sequence[tuple[int, list[str]]], via: Via
) -> None:
    """Log `user`'s reads, (ticket id, the fields shown unmasked) each, in one statement."""
    reads = [(ticket_id, fields) for ticket_id, fields in reads if fields]
    if reads:
        await conn.execute(Q.insert_pii_reads, user.id, [i for i, _ in reads], at, [",".join(f) for _, f in reads], via)


@dataclass(frozen=True)
class ReadFilter:
    """What an administrator asks of the log; None: any."""

    user_id: int | None = None
    ticket_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


async def page(
    conn: asyncpg.Connection, where: ReadFilter, limit: int, offset: int, unit_names: dict[int, str]
) -> dict[str, Any]:
    """One page of the log, newest first; `next_offset` is None on the last page."""
    rows = await conn.fetch(
        Q.pii_reads_page, where.user_id, where.ticket_id, where.since, where.until, limit + 1, offset
    )
    items = [
        {
            "id": r["id"],
            "at": r["at"].isoformat(),
            "via": r["via"],
            "via_label": VIA_LABELS.get(r["via"], r["via"]),
            "fields": list(r["fields"]),
            "field_labels": [FIELD_LABELS.get(f, f) for f in r["fields"]],
            "user_id": r["user_id"],
            "username": r["username"],
            "display_name": r["display_name"],
            "unit_name": unit_names.get(r["unit_id"], ""),
            "ticket_id": r["ticket_id"],
            "ticket_number": r["number"],
        }
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return {"items": items, "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}
