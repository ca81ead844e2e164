"""督办: supervision orders and urges, by supervisors and, when a deadline passes, by the system."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from dispatch.supervision import SupervisionThresholds
from hotline import access
from hotline.auth import User
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.settings import SupervisionSettings
from hotline.tickets.journal import Actor, AnyTicket, Context, announce, lock, log_action, log_actions, transaction
from hotline.tickets.records import Ticket
from realtime.events import EventType


def thresholds(settings: SupervisionSettings) -> SupervisionThresholds:
    return SupervisionThresholds(
        repeat_count=settings.repeat_count,
        repeat_window=timedelta(days=settings.repeat_days),
        return_count=settings.return_count,
        dissatisfied_count=settings.dissatisfied_count,
    )


async def issue_order(
    ctx: Context, actor: Actor, ticket: Ticket, reason: str, answer_hours: float, deadline_id: int | None = None
) -> int | None:
    """A supervision order to the ticket's holder; None when this deadline already has its order."""
    if ticket.holder_unit_id is None:
        raise ApiError(409, "工单当前没有承办单位", code="no_holder")
    orders = await issue_orders(ctx, actor, [(ticket, reason, deadline_id)], answer_hours)
    return orders[0] if orders else None


async def issue_orders(
    ctx: Context, actor: Actor, items: Sequence[tuple[AnyTicket, str, int | None]], answer_hours: float
) -> list[int]:
    """Orders for many (ticket, reason, deadline id) at once, each to its ticket's holder, skipping
    tickets without one and deadlines that already have their order; the ids of those issued."""
    items = [item for item in items if item[0].holder_unit_id is not None]
    if not items:
        return []
    rows = await ctx.conn.fetch(
        Q.insert_supervision_orders,
        [ticket.id for ticket, _, _ in items],
        [ticket.holder_unit_id for ticket, _, _ in items],
        [deadline_id for _, _, deadline_id in items],
        [reason for _, reason, _ in items],
        actor.user_id,
        ctx.now,
        ctx.now + timedelta(hours=answer_hours),
    )
    issued = {(r["ticket_id"], r["deadline_id"]): r["id"] for r in rows}
    done = [(ticket, reason, issued[(ticket.id, d)]) for ticket, reason, d in items if (ticket.id, d) in issued]
    if done:
        issuers = [_issuer_unit(ctx, actor, ticket) for ticket, _, _ in done]
        await ctx.conn.execute(Q.set_order_issuers, [order_id for _, _, order_id in done], issuers)
        await start_answer_clocks(ctx, [order_id for _, _, order_id in done], answer_hours)
    await log_actions(
        ctx, actor, [(ticket, "supervision_order", reason, {"order_id": order_id}) for ticket, reason, order_id in done]
    )
    for ticket, reason, order_id in done:
        announce(
            ctx,
            EventType.SUPERVISION_ORDER,
            ticket,
            {"order_id": order_id, "reason": reason, "unit_id": ticket.holder_unit_id},
        )
    return [order_id for _, _, order_id in done]


def _issuer_unit(ctx: Context, actor: Actor, ticket: AnyTicket) -> int:
    """The supervising level: a supervisor's own unit; for the system's orders the level above the supervised unit."""
    if actor.unit_id is not None:
        return actor.unit_id
    parent = ctx.catalog.tree.parent(ticket.holder_unit_id)  # type: ignore[arg-type]
    return parent.id if parent is not None else ctx.catalog.tree.root.id


async def start_answer_clocks(ctx: Context, order_ids: list[int], answer_hours: float) -> None:
    """The answer clock of each order (督办答复): natural time, warned and alerted like every clock. The rows join
    `ctx.clocks_started`: a person's order has its timers queued by the view (SlaClock.schedule_started); the
    system's are queued by schedule_upcoming as they come near, or raised by the sweep."""
    due = ctx.now + timedelta(hours=answer_hours)
    rows = await ctx.conn.fetch(Q.start_order_clocks, order_ids, ctx.now, due, f"督办单{answer_hours:g}小时内答复")
    ctx.clocks_started.extend(rows)


async def urge(ctx: Context, actor: Actor, ticket: Ticket, note: str) -> None:
    await log_action(ctx, ticket, "urge", actor, reason=note)
    announce(ctx, EventType.TICKET_URGED, ticket, {"note": note})


async def do_issue_order(ctx: Context, user: User, ticket: Ticket, reason: str, answer_hours: float) -> int:
    if ticket.holder_unit_id is None:
        raise ApiError(409, "工单当前没有承办单位", code="no_holder")
    access.require_supervisor_over(user, ticket.holder_unit_id, ctx.catalog)
    if ticket.state.is_terminal:
        raise ApiError(409, f"工单已「{ticket.state.label}」，无需督办", code="ticket_finished")
    order_id = await issue_order(ctx, Actor.of(user), ticket, reason, answer_hours)
    if order_id is None:  # only an order for a deadline can find one already issued
        raise RuntimeError("a supervisor's order was not issued")
    return order_id


async def do_urge(ctx: Context, user: User, ticket: Ticket, note: str) -> None:
    if ticket.holder_unit_id is None or ticket.state.is_terminal:
        raise ApiError(409, "工单已办结，无需催办", code="ticket_finished")
    access.require_supervisor_over(user, ticket.holder_unit_id, ctx.catalog)
    await urge(ctx, Actor.of(user), ticket, note)


async def urge_overdue(ctx: dict[str, Any], now: datetime) -> int:
    """Sweep step: urge the holder of every still-overdue ticket not urged for `urge_every_minutes`."""
    settings: SupervisionSettings = ctx["settings"].supervision
    every = timedelta(minutes=settings.urge_every_minutes)
    pool: asyncpg.Pool = ctx["pool"]
    rows = await pool.fetch(Q.overdue_tickets_to_urge, now, every)
    for row in rows:
        async with transaction(pool, ctx["catalogs"], ctx["redis"], now) as tx:
            ticket = await lock(tx.conn, row["ticket_id"])
            await urge(tx, Actor.system(), ticket, "工单已超期，请尽快办理（系统自动催办）")
    return len(rows)
