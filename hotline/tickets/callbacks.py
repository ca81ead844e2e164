"""回访: the hotline centre calls the citizen back once the level above accepted the result.

The callback has a clock of its own (hotline/sla/clock.py `start_callback`). Satisfied closes the ticket;
dissatisfied reopens it (重办) to the same unit with new clocks, the operator's reason shown to the unit;
`max_unreachable` unreachable attempts in a round close it as 无法联系, without a satisfaction score;
closing without a callback (免回访) needs a reason. Every attempt is a row of `callback_attempts`.
"""

from __future__ import annotations

from typing import Any

from dispatch.sla import Track
from dispatch.states import Action
from hotline import access
from hotline.auth import User
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.settings import CallbackSettings
from hotline.sla.clock import Completion, SlaClock
from hotline.tickets.journal import Actor, Context, apply, check, log_action
from hotline.tickets.records import Ticket

UNREACHABLE_OUTCOME = "unreachable"
SATISFIED = frozenset({"satisfied", "basically_satisfied"})


async def _attempt(
    ctx: Context, user: User, ticket: Ticket, outcome: str, note: str, resolved: bool | None = None,
    satisfaction: str | None = None,
) -> None:  # fmt: skip
    await ctx.conn.execute(
        Q.insert_callback_attempt,
        ticket.id,
        ticket.reopen_count,
        ctx.now,
        user.id,
        outcome,
        resolved,
        satisfaction,
        note,
    )


def _counted(ctx: Context, satisfaction: str | None = None) -> dict[str, Any]:
    """What a finished callback (reached when there is a `satisfaction`) adds to the boards' 回访率 and 满意率, as
    board_callbacks_by_hour counts it, and when: a board drops it once its hour leaves the window."""
    reached = satisfaction is not None
    return {
        "callback": {
            "finished": 1,
            "reached": int(reached),
            "satisfied": int(satisfaction in SATISFIED),
            "at": ctx.now.isoformat(),
        }
    }


async def do_callback(
    ctx: Context,
    clock: SlaClock,
    settings: CallbackSettings,
    user: User,
    ticket: Ticket,
    reached: bool,
    resolved: bool | None,
    satisfaction: str | None,
    note: str,
) -> Ticket:
    """One callback attempt. Two operators calling back the same ticket at once: the second finds it
    closed (or reopened) under the row lock and gets a 409."""
    access.require_hotline(user, ctx.catalog)
    check(ticket.state, Action.CALLBACK_SATISFIED)
    actor = Actor.of(user)
    if not reached:
        return await _unreachable(ctx, clock, settings, user, ticket, note)
    if satisfaction is None or resolved is None:
        raise ApiError(422, "回访接通时须填写是否解决和满意度", code="callback_incomplete")
    changes: dict[str, Any] = {"satisfaction": satisfaction, "resolved": resolved}
    payload = {"satisfaction": satisfaction, "resolved": resolved}
    if satisfaction != "dissatisfied":
        await _attempt(ctx, user, ticket, "satisfied", note, resolved, satisfaction)
        changes["closed_at"] = ctx.now
        ticket = await apply(
            ctx, ticket, Action.CALLBACK_SATISFIED, actor, reason=note, payload=payload, changes=changes,
            board=_counted(ctx, satisfaction),
        )  # fmt: skip
        await clock.meet(ctx, ticket.id, (Track.CALLBACK,))
        return ticket
    if not note.strip():
        raise ApiError(422, "回访不满意须填写原因（将转给承办单位重办）", code="reason_required")
    unit_id = ticket.holder_unit_id
    if unit_id is None:
        raise ApiError(409, "工单当前没有承办单位", code="no_holder")
    await _attempt(ctx, user, ticket, "dissatisfied", note, resolved, satisfaction)
    changes.update(reopen_count=ticket.reopen_count + 1, assigned_at=ctx.now, signed_at=None, completed_at=None)
    ticket = await apply(
        ctx,
        ticket,
        Action.CALLBACK_DISSATISFIED,
        actor,
        to_unit_id=unit_id,
        reason=note,
        payload=payload,
        changes=changes,
        board=_counted(ctx, satisfaction),
    )
    await clock.meet(ctx, ticket.id, (Track.CALLBACK,))
    await clock.start(ctx, ticket, unit_id, Completion.RESTART)
    return ticket


async def _unreachable(
    ctx: Context, clock: SlaClock, settings: CallbackSettings, user: User, ticket: Ticket, note: str
) -> Ticket:
    misses = int(await ctx.conn.fetchval(Q.callback_misses, ticket.id, ticket.reopen_count)) + 1
    if misses < settings.max_unreachable:
        await _attempt(ctx, user, ticket, UNREACHABLE_OUTCOME, note)
        await log_action(
            ctx,
            ticket,
            "callback_unreachable",
            Actor.of(user),
            reason=note or f"回访未接通（第 {misses} 次）",
            payload={"attempt": misses, "of": settings.max_unreachable},
        )
        return ticket
    await _attempt(ctx, user, ticket, "unreachable_closed", note)
    ticket = await apply(
        ctx,
        ticket,
        Action.CLOSE_WITHOUT_CALLBACK,
        Actor.of(user),
        reason=f"回访 {misses} 次均未接通，按无法联系办结" + (f"：{note}" if note else ""),
        payload={"outcome": "unreachable", "attempts": misses},
        changes={"closed_at": ctx.now},
        board=_counted(ctx),
    )
    await clock.meet(ctx, ticket.id, (Track.CALLBACK,))
    return ticket


async def do_waive_callback(ctx: Context, clock: SlaClock, user: User, ticket: Ticket, reason: str) -> Ticket:
    """免回访: closing without calling back (anonymous caller, the caller asked not to be called), with a reason."""
    access.require_hotline(user, ctx.catalog)
    if not reason.strip():
        raise ApiError(422, "免回访须填写原因", code="reason_required")
    check(ticket.state, Action.CLOSE_WITHOUT_CALLBACK)
    await _attempt(ctx, user, ticket, "waived", reason)
    ticket = await apply(
        ctx,
        ticket,
        Action.CLOSE_WITHOUT_CALLBACK,
        Actor.of(user),
        reason=reason,
        payload={"outcome": "waived"},
        changes={"closed_at": ctx.now},
        board=_counted(ctx),
    )
    await clock.cancel(ctx, ticket.id, (Track.CALLBACK,))
    return ticket
