"""Raising SLA alerts (warning before the deadline, overdue at it) in bulk, and announcing them once.

However many moments fall due together, raising them is a few statements in one transaction:
lock the tickets, insert the alerts (unique per deadline and kind, so a second run inserts
nothing), append their events, issue the supervision orders, and put the board events in the
board outbox (the alerts are then marked published: their announcement is as durable as they are);
after commit the events go out in one batch (hotline/outbox/relay.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis

from dispatch.sla import HANDLING_TRACKS, Track
from hotline.catalog_cache import Catalog
from hotline.queries import Q
from hotline.tickets.journal import Actor, board_event, log_actions, transaction
from hotline.tickets.orders import escalate_overdue_orders
from hotline.tickets.records import TicketHead
from hotline.tickets.supervision import issue_orders
from hotline.uow import Outbox, unit_of_work
from realtime.events import EventType
from realtime.stream import BoardEvent

KIND_LABELS = {"warning": "即将超期预警", "overdue": "超期"}
EVENT_TYPES = {"warning": EventType.SLA_WARNING, "overdue": EventType.SLA_OVERDUE}
ORDER_REASON = "「{rule_name}」已超期，请说明原因并限时办理"
REPUBLISH_BATCH = 500


async def raise_due_alerts(
    ctx: dict[str, Any], since: datetime, until: datetime, now: datetime, limit: int | None = None
) -> int:
    """Raise the alert of every running clock's moment in [since, until) that has passed by `now`
    (the earliest `limit` of them); the number this call raised."""
    async with transaction(ctx["pool"], ctx["catalogs"], ctx["redis"], now) as tx:
        due = await tx.conn.fetch(Q.lock_due_moments, since, until, now, limit)
        if not due:
            return 0
        rows = await tx.conn.fetch(Q.raise_alerts, [r["deadline_id"] for r in due], [r["kind"] for r in due], now)
        if not rows:
            return 0
        tickets = [TicketHead.from_row(r) for r in rows]
        await log_actions(
            tx,
            Actor.system(),
            [
                (
                    ticket,
                    f"sla_{r['kind']}",
                    f"{r['rule_name']}：{KIND_LABELS[r['kind']]}",
                    {"deadline_id": r["deadline_id"], "due_at": r["due_at"].isoformat(), "track": r["track"]},
                )
                for ticket, r in zip(tickets, rows, strict=True)
            ],
        )
        # queued before the orders' announcements, so the alerts reach the boards first
        _announce(tx.outbox, ctx["redis"], rows, [_alert_event(tx.catalog, r) for r in rows])
        await tx.conn.execute(Q.mark_alerts_published, [r["alert_id"] for r in rows])
        supervision = ctx["settings"].supervision
        if supervision.auto_order_on_overdue:
            orders = [
                (ticket, ORDER_REASON.format(rule_name=r["rule_name"]), r["deadline_id"])
                for ticket, r in zip(tickets, rows, strict=True)
                if r["kind"] == "overdue" and r["track"] in HANDLING_TRACKS  # a unit's own handling clock
            ]
            await issue_orders(tx, Actor.system(), orders, supervision.order_answer_hours)
        missed = [r["deadline_id"] for r in rows if r["kind"] == "overdue" and r["track"] == Track.ORDER]
        await escalate_overdue_orders(tx, missed)  # an order left unanswered goes one level up
        return len(rows)


async def publish_pending_alerts(ctx: dict[str, Any], raised_before: datetime) -> int:
    """Announce alerts committed without their announcement (raised before the board outbox existed, or
    written by hand): into the outbox and marked, in one transaction."""
    pool: asyncpg.Pool = ctx["pool"]
    async with unit_of_work(pool) as (conn, outbox):
        rows = await conn.fetch(Q.unpublished_alerts, raised_before, REPUBLISH_BATCH)
        if rows:
            catalog = await ctx["catalogs"].get(conn)
            _announce(outbox, ctx["redis"], rows, [_alert_event(catalog, r) for r in rows])
            await conn.execute(Q.mark_alerts_published, [r["alert_id"] for r in rows])
    return len(rows)


def _announce(outbox: Outbox, redis: Redis, rows: list[Any], events: list[BoardEvent]) -> None:
    for event in events:
        outbox.announce(redis, event)


def _alert_event(catalog: Catalog, row: Any) -> BoardEvent:
    """The board event of an alert row (raise_alerts / unpublished_alerts), also for its clock's unit."""
    payload = {
        "alert_id": row["alert_id"],
        "kind": row["kind"],
        "kind_label": KIND_LABELS[row["kind"]],
        "track": row["track"],
        "rule_name": row["rule_name"],
        "unit_id": row["unit_id"],
        "due_at": row["due_at"].isoformat(),
    }
    return board_event(catalog, EVENT_TYPES[row["kind"]], TicketHead.from_row(row), payload, (row["unit_id"],))
