"""The ticket use-cases after intake: dispatch gate, handling, completion gate (the callback: callbacks.py).

Each `do_*` takes a `Context` (the caller owns the transaction), the acting user, and the
locked ticket, checks permission (hotline/access.py) and the transition (dispatch/states.py),
and changes the ticket through journal.apply, which writes the event log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dispatch.routing import RoutingDecision
from dispatch.sla import Track
from dispatch.states import Action, TicketState
from dispatch.statuses import ExtensionStatus
from hotline import access
from hotline.auth import User
from hotline.errors import ApiError
from hotline.learning import labels
from hotline.queries import Q
from hotline.roles import Role
from hotline.sla.clock import Completion, SlaClock
from hotline.tickets import cohandling
from hotline.tickets.journal import Actor, Context, Hop, apply, apply_hops, log_action
from hotline.tickets.records import Ticket

RESPONSE_TRACKS = (Track.REPLY, Track.ACCEPT)


def routing_json(decision: RoutingDecision, ctx: Context) -> dict[str, Any]:
    def name(unit_id: int | None) -> str | None:
        return ctx.catalog.tree.unit(unit_id).name if unit_id is not None else None

    return {
        "auto": decision.auto,
        "target_unit_id": decision.target_unit_id,
        "target_unit_name": name(decision.target_unit_id),
        "suggested_unit_id": decision.suggested_unit_id,
        "suggested_unit_name": name(decision.suggested_unit_id),
        "queue_unit_id": decision.queue_unit_id,
        "queue_unit_name": name(decision.queue_unit_id),
        "co_handler_ids": list(decision.co_handler_ids),
        "hops": list(decision.hops),
        "rule": None
        if decision.rule is None
        else {
            "category_code": decision.rule.category_code,
            "level": decision.rule.level.value,
            "owner": decision.rule.owner_text(),
            "priority": decision.rule.priority,
        },
        "reasons": list(decision.reasons),
    }


async def dispatch_along(
    ctx: Context,
    clock: SlaClock,
    ticket: Ticket,
    hops: tuple[int, ...],
    first: Action,
    actor: Actor,
    reason: str,
    first_changes: dict[str, Any] | None = None,
) -> Ticket:
    """Send the ticket down the chain one hop at a time, each hop its own event (later hops by the system)."""
    steps = [
        Hop(first if i == 0 else Action.ASSIGN, actor if i == 0 else Actor.system(), unit_id,
            reason if i == 0 else "逐级转派")
        for i, unit_id in enumerate(hops)
    ]  # fmt: skip
    changes = {"assigned_at": ctx.now, "lead_unit_id": hops[-1], **(first_changes or {})}
    ticket = await apply_hops(ctx, ticket, steps, changes=changes)
    await clock.start(ctx, ticket, hops[-1], Completion.FIRST)
    return ticket


async def route_decision(ctx: Context, clock: SlaClock, ticket: Ticket, decision: RoutingDecision) -> Ticket:
    """Apply a routing decision made for a new ticket: auto-dispatch, or park it in a dispatcher queue."""
    changes: dict[str, Any] = {"routing": routing_json(decision, ctx)}
    reason = "；".join(decision.reasons)
    if decision.auto:
        changes["co_unit_ids"] = list(decision.co_handler_ids)
        hops = decision.hops or (decision.destination_unit_id,)
        ticket = await dispatch_along(ctx, clock, ticket, hops, Action.ROUTE_AUTO, Actor.system(), reason, changes)
        await cohandling.record_co_units(ctx, Actor.system(), ticket, ticket.co_unit_ids, logged=False)
        return ticket
    if decision.queue_unit_id is None:
        raise RuntimeError("a routing decision that is not automatic must name the queue the ticket waits in")
    return await apply(
        ctx,
        ticket,
        Action.QUEUE_FOR_DISPATCHER,
        Actor.system(),
        to_unit_id=decision.queue_unit_id,
        reason=reason,
        changes=changes,
    )


async def do_assign(
    ctx: Context,
    clock: SlaClock,
    user: User,
    ticket: Ticket,
    unit_id: int,
    reason: str,
    category_code: str | None = None,
    co_unit_ids: Sequence[int] = (),
) -> Ticket:
    """A dispatcher sends a queued ticket into its subtree, or a handler passes a signed ticket down.
    A dispatcher may correct the category on the way (`category_code`); the category a dispatcher
    gives, changed or not, is kept as a training label with their name (hotline/learning/labels.py)."""
    tree = ctx.catalog.tree
    if unit_id not in tree:
        raise ApiError(422, "目标单位不存在", code="unknown_unit")
    recategorised = _recategorisation(ctx, user, ticket, category_code)
    co_units = cohandling.check_co_units(ctx, user, unit_id, co_unit_ids)
    if ticket.state is TicketState.SIGNED:
        access.require_holder(user, ticket)
        if tree.parent(unit_id) is None or tree.parent(unit_id).id != ticket.holder_unit_id:  # type: ignore[union-attr]
            raise ApiError(422, "只能转派给本单位的直接下级单位", code="not_a_child")
        await clock.meet(ctx, ticket.id, RESPONSE_TRACKS)
    elif ticket.state is TicketState.ASSIGNED:
        # correcting a dispatch before sign-for: the level that dispatched it
        access.require_reviewer(user, ticket.holder_unit_id, ctx.catalog, frozenset({Role.DISPATCHER}))
    else:
        access.require_queue_dispatcher(user, ticket)
    source = ticket.holder_unit_id if ticket.state is not TicketState.ASSIGNED else user.unit_id
    if source is None:
        raise ApiError(409, "工单当前没有承办单位", code="no_holder")
    if unit_id == source or not tree.is_within(unit_id, source):
        raise ApiError(422, "只能派给本单位辖区内的下级单位", code="outside_subtree")
    if category_code is not None and user.role is Role.DISPATCHER:
        await labels.record_label(ctx, user, ticket, category_code)
    if ticket.state is TicketState.ASSIGNED:
        ticket = await apply(
            ctx,
            ticket,
            Action.ASSIGN,
            Actor.of(user),
            to_unit_id=source,
            reason="改派",
            changes={"reroute_count": ticket.reroute_count + 1, "co_unit_ids": []},  # as on an approved return
        )
    hops = tree.path(source, unit_id)
    added = [u for u in co_units if u not in ticket.co_unit_ids]
    changes = {**recategorised, **({"co_unit_ids": [*ticket.co_unit_ids, *added]} if added else {})}
    ticket = await dispatch_along(
        ctx, clock, ticket, hops, Action.ASSIGN, Actor.of(user), reason or "人工派单", changes
    )
    await cohandling.record_co_units(ctx, Actor.of(user), ticket, added)
    return ticket


def _recategorisation(ctx: Context, user: User, ticket: Ticket, category_code: str | None) -> dict[str, Any]:
    if category_code is None or category_code == ticket.category_code:
        return {}
    access.require_role(user, Role.DISPATCHER)
    category = ctx.catalog.categories.get(category_code)
    if category is None or not category.active:
        raise ApiError(422, f"分类代码 {category_code} 不存在或已停用", code="unknown_category")
    return {"category_code": category_code, "category_source": "dispatcher", "category_confidence": 1.0}


async def do_sign(ctx: Context, clock: SlaClock, user: User, ticket: Ticket) -> Ticket:
    access.require_holder(user, ticket)
    ticket = await apply(ctx, ticket, Action.SIGN, Actor.of(user), changes={"signed_at": ctx.now})
    if ticket.is_complex:
        await clock.meet(ctx, ticket.id, (Track.ACCEPT,))  # 甄别受理: screening ends with the sign-for
    return ticket


async def do_return(ctx: Context, clock: SlaClock, user: User, ticket: Ticket, reason: str) -> Ticket:
    access.require_holder(user, ticket)
    ticket = await apply(
        ctx, ticket, Action.RETURN, Actor.of(user), reason=reason, changes={"return_count": ticket.return_count + 1}
    )
    await clock.cancel(ctx, ticket.id, RESPONSE_TRACKS)
    return ticket


async def do_review_return(
    ctx: Context, clock: SlaClock, user: User, ticket: Ticket, approve: bool, note: str, reroute_to: int | None
) -> Ticket:
    """The level above approves a return (the ticket comes back to its queue, to be re-routed) or rejects it."""
    returning_unit = ticket.holder_unit_id
    access.require_reviewer(user, returning_unit, ctx.catalog)
    if not approve:
        ticket = await apply(ctx, ticket, Action.REJECT_RETURN, Actor.of(user), reason=note)
        await clock.start(ctx, ticket, returning_unit, Completion.KEEP)  # type: ignore[arg-type]
        return ticket
    ticket = await apply(
        ctx,
        ticket,
        Action.APPROVE_RETURN,
        Actor.of(user),
        to_unit_id=user.unit_id,
        reason=note,
        # co-handlers (协办) were chosen for the route that was wrong: their access ends with it
        changes={"reroute_count": ticket.reroute_count + 1, "co_unit_ids": []},
        payload={"returned_by_unit_id": returning_unit},
    )
    if reroute_to is not None:
        ticket = await do_assign(ctx, clock, user, ticket, reroute_to, note or "退单后改派")
    return ticket


async def do_record_contact(
    ctx: Context, clock: SlaClock, user: User, ticket: Ticket, method: str, outcome: str, note: str
) -> Ticket:
    access.require_holder(user, ticket)
    await ctx.conn.execute(
        Q.insert_contact,
        ticket.id,
        user.unit_id,
        user.id,
        ctx.now,
        method,
        outcome,
        note,
    )
    changes = {} if ticket.first_contact_at else {"first_contact_at": ctx.now}
    ticket = await apply(
        ctx,
        ticket,
        Action.RECORD_CONTACT,
        Actor.of(user),
        reason=note,
        payload={"method": method, "outcome": outcome},
        changes=changes,
    )
    await clock.meet(ctx, ticket.id, (Track.REPLY,))  # signed and replied: the 1-hour reply is done
    return ticket


async def do_add_note(ctx: Context, user: User, ticket: Ticket, text: str) -> None:
    access.require_holder(user, ticket)
    await log_action(ctx, ticket, "note", Actor.of(user), reason=text)


async def do_request_extension(ctx: Context, user: User, ticket: Ticket, extra_days: int, reason: str) -> int:
    access.require_holder(user, ticket)
    await apply(
        ctx, ticket, Action.REQUEST_EXTENSION, Actor.of(user), reason=reason, payload={"extra_days": extra_days}
    )
    request_id = await ctx.conn.fetchval(
        Q.insert_extension_request,
        ticket.id,
        user.unit_id,
        user.id,
        ctx.now,
        extra_days,
        reason,
    )
    if request_id is None:
        raise ApiError(409, "已有一项延期申请待审核", code="extension_pending")
    return int(request_id)


async def do_decide_extension(
    ctx: Context, clock: SlaClock, user: User, ticket: Ticket, approve: bool, note: str
) -> Ticket:
    request = await ctx.conn.fetchrow(Q.pending_extension_request, ticket.id)
    if request is None:
        raise ApiError(409, "没有待审核的延期申请", code="no_pending_extension")
    access.require_reviewer(user, request["unit_id"], ctx.catalog)
    action = Action.APPROVE_EXTENSION if approve else Action.REJECT_EXTENSION
    ticket = await apply(
        ctx,
        ticket,
        action,
        Actor.of(user),
        reason=note,
        payload={"request_id": request["id"], "extra_days": request["extra_days"]},
    )
    await ctx.conn.execute(
        Q.decide_extension_request,
        request["id"],
        ExtensionStatus.decided(approve),
        user.id,
        ctx.now,
        note,
    )
    if approve:
        await clock.recompute(ctx, ticket.id)
    return ticket


async def do_suspend(ctx: Context, clock: SlaClock, user: User, ticket: Ticket, reason: str) -> Ticket:
    access.require_holder(user, ticket)
    ticket = await apply(ctx, ticket, Action.SUSPEND, Actor.of(user), reason=reason)
    await ctx.conn.execute(Q.insert_suspension, ticket.id, ctx.now, reason)
    await clock.pause(ctx, ticket.id)
    return ticket


async def do_resume(ctx: Context, clock: SlaClock, user: User, ticket: Ticket) -> Ticket:
    access.require_holder(user, ticket)
    ticket = await apply(ctx, ticket, Action.RESUME, Actor.of(user))
    await ctx.conn.execute(Q.end_suspension, ticket.id, ctx.now)
    await clock.recompute(ctx, ticket.id)
    return ticket


async def do_submit_completion(ctx: Context, clock: SlaClock, user: User, ticket: Ticket, result: str) -> Ticket:
    access.require_holder(user, ticket)
    if ticket.first_contact_at is None:
        raise ApiError(422, "提交办结前须先记录与诉求人的联系情况", code="no_contact_record")
    ticket = await apply(
        ctx, ticket, Action.SUBMIT_COMPLETION, Actor.of(user), reason=result, changes={"completed_at": ctx.now}
    )
    await clock.meet(ctx, ticket.id, (*RESPONSE_TRACKS, Track.COMPLETE))
    return ticket


async def do_review_completion(
    ctx: Context, clock: SlaClock, user: User, ticket: Ticket, accept: bool, note: str
) -> Ticket:
    access.require_reviewer(user, ticket.holder_unit_id, ctx.catalog)
    if accept:
        ticket = await apply(ctx, ticket, Action.ACCEPT_COMPLETION, Actor.of(user), reason=note)
        await clock.start_callback(ctx, ticket.id, ctx.catalog.tree.root.id)
        return ticket
    ticket = await apply(ctx, ticket, Action.SEND_BACK, Actor.of(user), reason=note)
    await clock.reopen_completion(ctx, ticket.id)
    return ticket


async def do_close_on_spot(ctx: Context, user: User, ticket: Ticket, kb_entry_id: int | None, note: str) -> Ticket:
    access.require_hotline(user, ctx.catalog)
    if kb_entry_id is not None and not await ctx.conn.fetchval(Q.kb_entry_active, kb_entry_id):
        raise ApiError(422, "知识库条目不存在", code="unknown_kb_entry")
    return await apply(
        ctx,
        ticket,
        Action.CLOSE_ON_SPOT,
        Actor.of(user),
        reason=note or "依据知识库直接答复办结",
        changes={"kb_entry_id": kb_entry_id, "closed_at": ctx.now},
    )


async def do_merge(ctx: Context, clock: SlaClock, user: User, ticket: Ticket, master: Ticket, note: str) -> Ticket:
    access.require_hotline(user, ctx.catalog)
    if master.id == ticket.id:
        raise ApiError(422, "不能并入自身", code="merge_into_self")
    if master.state.is_terminal:
        raise ApiError(409, f"主工单 {master.number} 已「{master.state.label}」，不能并入", code="master_closed")
    ticket = await apply(
        ctx,
        ticket,
        Action.MERGE,
        Actor.of(user),
        reason=note,
        changes={"master_ticket_id": master.id, "closed_at": ctx.now},
        payload={"master_ticket_id": master.id, "master_number": master.number},
    )
    await clock.cancel(ctx, ticket.id)
    await log_action(
        ctx, master, "merged_in", Actor.of(user), reason=note, payload={"ticket_id": ticket.id, "number": ticket.number}
    )
    return ticket
