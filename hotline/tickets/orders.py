"""Supervision both ways: the supervised unit answers an order (督办单) — what was done, and the day it will be
finished — before its answer clock runs out; a missed answer is escalated to the supervisor one level above the
one who issued it; the supervisor reviews the answer and closes the order or re-issues it with a new clock.
Issuing orders and urges: supervision.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from dispatch.statuses import DeadlineStatus, OrderStatus
from hotline import access
from hotline.auth import User
from hotline.catalog_cache import Catalog
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.journal import Actor, Context, announce, board_event, lock, log_action, log_actions
from hotline.tickets.records import Ticket, TicketHead, mask_text
from hotline.tickets.supervision import start_answer_clocks
from realtime.events import EventType


async def _locked(ctx: Context, order_id: int) -> tuple[Ticket, asyncpg.Record]:
    """The order's ticket, then the order, locked in that order (as every ticket use-case locks)."""
    row = await ctx.conn.fetchrow(Q.order_by_id, order_id)
    if row is None:
        raise ApiError(404, "找不到该督办单", code="order_not_found")
    ticket = await lock(ctx.conn, row["ticket_id"])
    return ticket, await ctx.conn.fetchrow(Q.lock_order, order_id)


async def do_answer_order(
    ctx: Context, user: User, order_id: int, answer: str, finish_by: date, today: date
) -> asyncpg.Record:
    ticket, order = await _locked(ctx, order_id)
    access.require_role(user, *access.HANDLING_ROLES, Role.SUPERVISOR)
    if order["unit_id"] != user.unit_id:
        await access.require_view(ctx.conn, user, ticket, ctx.catalog)
        raise ApiError(403, "只有被督办单位可以答复督办单", code="not_supervised_unit")
    if order["status"] != OrderStatus.OPEN:
        raise ApiError(409, f"该督办单{OrderStatus(order['status']).label}，不能再答复", code="order_not_open")
    if finish_by < today:
        raise ApiError(422, "预计办结日期不能早于今天", code="invalid")
    await ctx.conn.execute(Q.answer_order, order_id, answer, user.id, ctx.now, finish_by)
    await ctx.conn.execute(Q.end_order_clock, order_id, DeadlineStatus.MET, ctx.now)
    payload = {"order_id": order_id, "finish_by": finish_by.isoformat()}
    await log_action(ctx, ticket, "order_answered", Actor.of(user), reason=answer, payload=payload)
    announce(ctx, EventType.SUPERVISION_ANSWERED, ticket, {**payload, "unit_id": order["unit_id"]})
    return order


async def do_review_order(
    ctx: Context, user: User, order_id: int, close: bool, note: str, answer_hours: float
) -> asyncpg.Record:
    """办结 (close) or 重新督办 (re-issue: open again, a new answer clock; the note says what is still missing)."""
    ticket, order = await _locked(ctx, order_id)
    await access.require_view(ctx.conn, user, ticket, ctx.catalog)
    access.require_supervisor_over(user, order["unit_id"], ctx.catalog)
    if order["status"] != OrderStatus.ANSWERED:
        raise ApiError(409, f"该督办单{OrderStatus(order['status']).label}，不能审核", code="order_not_answered")
    actor = Actor.of(user)
    if close:
        await ctx.conn.execute(Q.close_order, order_id, user.id, ctx.now, note)
        await log_action(ctx, ticket, "order_closed", actor, reason=note, payload={"order_id": order_id})
        return order
    if not note.strip():
        raise ApiError(422, "重新督办须说明原因", code="reason_required")
    due = ctx.now + timedelta(hours=answer_hours)
    await ctx.conn.execute(Q.reissue_order, order_id, user.id, ctx.now, note, due)
    await start_answer_clocks(ctx, [order_id], answer_hours)
    await log_action(ctx, ticket, "order_reissued", actor, reason=note, payload={"order_id": order_id})
    announce(
        ctx, EventType.SUPERVISION_ORDER, ticket, {"order_id": order_id, "reason": note, "unit_id": order["unit_id"]}
    )
    return order


def escalation_unit(catalog: Catalog, issuer_unit_id: int | None, supervised_unit_id: int) -> int:
    """One level above the supervising level (the city stays the city)."""
    tree = catalog.tree
    issuer = issuer_unit_id
    if issuer is None:
        parent = tree.parent(supervised_unit_id)
        issuer = parent.id if parent is not None else tree.root.id
    above = tree.parent(issuer)
    return above.id if above is not None else issuer


async def escalate_overdue_orders(ctx: Context, deadline_ids: list[int]) -> int:
    """The answer clocks `deadline_ids` ran out: each open order goes to the supervisor one level up (an event on
    the ticket, an alert on that level's board). Run inside the transaction that raised the overdue alerts."""
    if not deadline_ids:
        return 0
    rows = await ctx.conn.fetch(Q.orders_to_escalate, deadline_ids)
    if not rows:
        return 0
    targets = [escalation_unit(ctx.catalog, r["issuer_unit_id"], r["supervised_unit_id"]) for r in rows]
    await ctx.conn.execute(Q.escalate_orders, [r["order_id"] for r in rows], targets, ctx.now)
    names = ctx.catalog.unit_names
    entries = []
    for row, target in zip(rows, targets, strict=True):
        ticket = TicketHead.from_row(row)
        reason = f"督办单逾期未答复，已上报{names.get(target, '')}"
        entries.append((ticket, "order_escalated", reason, {"order_id": row["order_id"], "escalated_to": target}))
        payload = {"order_id": row["order_id"], "reason": reason, "unit_id": row["supervised_unit_id"],
                   "escalated_to": target}  # fmt: skip
        ctx.outbox.announce(
            ctx.redis, board_event(ctx.catalog, EventType.SUPERVISION_ESCALATED, ticket, payload, (target,))
        )
    await log_actions(ctx, Actor.system(), entries)
    return len(rows)


def order_json(row: asyncpg.Record, unit_names: dict[int, str]) -> dict[str, Any]:
    """An order as lists and boards show it: free text with numbers masked (many people read these lists)."""

    def iso(value: datetime | date | None) -> str | None:
        return value.isoformat() if value is not None else None

    status = OrderStatus(row["status"])
    return {
        "id": row["id"],
        "ticket_id": row["ticket_id"],
        "ticket_number": row["ticket_number"],
        "ticket_state": row["ticket_state"],
        "unit_id": row["unit_id"],
        "unit_name": unit_names.get(row["unit_id"]),
        "issuer_unit_id": row["issuer_unit_id"],
        "issuer_unit_name": unit_names.get(row["issuer_unit_id"]),
        "issued_by_name": row["issued_by_name"] or "系统",
        "issued_at": iso(row["issued_at"]),
        "reason": mask_text(row["reason"]),
        "due_at": iso(row["due_at"]),
        "status": status.value,
        "status_label": status.label,
        "answer": mask_text(row["answer"]),
        "answered_at": iso(row["answered_at"]),
        "answered_by_name": row["answered_by_name"],
        "finish_by": iso(row["finish_by"]),
        "escalated_to": row["escalated_to"],
        "escalated_to_name": unit_names.get(row["escalated_to"]),
        "escalated_at": iso(row["escalated_at"]),
        "reviewed_at": iso(row["reviewed_at"]),
        "reviewed_by_name": row["reviewed_by_name"],
        "review_note": mask_text(row["review_note"]),
        "rounds": row["rounds"],
    }
