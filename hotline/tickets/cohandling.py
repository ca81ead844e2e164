"""协办: units that assist the lead unit (主办). A dispatcher names co-units when dispatching (routing may name
them too, from the responsibility table); each co-unit sees the ticket in its 协办 list, records its part —
notes, contacts with the citizen, and 协办完成 with its result — and the lead unit reads those parts before it
completes. Access follows `tickets.co_unit_ids` (hotline/access.py): a re-route that clears them ends it.
"""

from __future__ import annotations

from collections.abc import Sequence

from hotline import access
from hotline.auth import User
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.journal import Actor, Context, announce, log_action
from hotline.tickets.records import Ticket
from realtime.events import EventType

MAX_CO_UNITS = 5


def check_co_units(ctx: Context, user: User, target_unit_id: int, unit_ids: Sequence[int]) -> list[int]:
    """A dispatcher's co-units: existing units of the dispatcher's own subtree, other than the lead unit."""
    if not unit_ids:
        return []
    access.require_role(user, Role.DISPATCHER)
    chosen = list(dict.fromkeys(unit_ids))
    if len(chosen) > MAX_CO_UNITS:
        raise ApiError(422, f"协办单位最多 {MAX_CO_UNITS} 个", code="too_many_co_units")
    tree = ctx.catalog.tree
    for unit_id in chosen:
        if unit_id not in tree:
            raise ApiError(422, "协办单位不存在", code="unknown_unit")
        if unit_id == target_unit_id:
            raise ApiError(422, "主办单位不能同时是协办单位", code="lead_as_co_unit")
        if unit_id == user.unit_id or not tree.is_within(unit_id, user.unit_id):
            raise ApiError(422, "协办单位须是本单位辖区内的下级单位", code="outside_subtree")
    return chosen


async def record_co_units(
    ctx: Context, actor: Actor, ticket: Ticket, added: Sequence[int], *, logged: bool = True
) -> None:
    """The parts of newly named co-units, announced to them; a dispatcher's choice is logged as its own event
    (routing's is in the auto-dispatch event's routing already: `logged=False`)."""
    if not added:
        return
    await ctx.conn.execute(Q.insert_co_unit_parts, ticket.id, list(added), ctx.now, actor.user_id)
    announce(ctx, EventType.TICKET_CO_UNITS, ticket, {"co_unit_ids": list(added)})
    if not logged:
        return
    names = "、".join(ctx.catalog.unit_names.get(u, "") for u in added)
    await log_action(
        ctx, ticket, "co_units_added", actor, reason=f"协办单位：{names}", payload={"unit_ids": list(added)}
    )


def _require_co_unit(user: User, ticket: Ticket) -> None:
    access.require_role(user, *access.HANDLING_ROLES)
    if user.unit_id not in ticket.co_unit_ids:
        raise ApiError(403, "本单位不是该工单的协办单位", code="not_co_unit")
    if ticket.state.is_terminal:
        raise ApiError(409, f"工单已「{ticket.state.label}」，无需协办", code="ticket_finished")


async def _open_part(ctx: Context, ticket: Ticket, unit_id: int) -> None:
    done = await ctx.conn.fetchval(Q.co_part_done_at, ticket.id, unit_id)
    if done is not None:
        raise ApiError(409, "本单位已完成协办", code="co_part_done")


async def do_co_note(ctx: Context, user: User, ticket: Ticket, text: str) -> None:
    _require_co_unit(user, ticket)
    await log_action(ctx, ticket, "co_note", Actor.of(user), reason=text, payload={"unit_id": user.unit_id})


async def do_co_contact(ctx: Context, user: User, ticket: Ticket, method: str, outcome: str, note: str) -> None:
    _require_co_unit(user, ticket)
    await ctx.conn.execute(Q.insert_contact, ticket.id, user.unit_id, user.id, ctx.now, method, outcome, note)
    payload = {"unit_id": user.unit_id, "method": method, "outcome": outcome}
    await log_action(ctx, ticket, "co_contact", Actor.of(user), reason=note, payload=payload)


async def do_co_done(ctx: Context, user: User, ticket: Ticket, result: str) -> None:
    """协办完成: the co-unit's result, which the lead unit reads before it completes."""
    _require_co_unit(user, ticket)
    await _open_part(ctx, ticket, user.unit_id)  # type: ignore[arg-type]
    await ctx.conn.execute(Q.finish_co_part, ticket.id, user.unit_id, ctx.now, user.id, result)
    await log_action(ctx, ticket, "co_done", Actor.of(user), reason=result, payload={"unit_id": user.unit_id})
    announce(ctx, EventType.TICKET_CO_DONE, ticket, {"unit_id": user.unit_id})
