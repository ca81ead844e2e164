"""Knowledge base at work: an answer from the knowledge base given on a dispatched ticket is linked to it, as a
直接办结 links its `kb_entry_id` — by the unit handling it, a co-unit, the level reviewing it, or the centre."""

from __future__ import annotations

from hotline import access
from hotline.auth import User
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.journal import Actor, Context, log_action
from hotline.tickets.records import Ticket


async def do_link_kb(ctx: Context, user: User, ticket: Ticket, kb_entry_id: int) -> None:
    """The caller has checked that the user sees the ticket."""
    access.require_role(user, Role.HANDLER, Role.DISPATCHER, Role.OPERATOR)
    if ticket.state.is_terminal:
        raise ApiError(409, f"工单已「{ticket.state.label}」，不能再引用知识库答复", code="ticket_finished")
    entry = await ctx.conn.fetchrow(Q.kb_entry_by_id, kb_entry_id)
    if entry is None or not entry["active"]:
        raise ApiError(422, "知识库条目不存在", code="unknown_kb_entry")
    linked = await ctx.conn.fetchval(Q.insert_kb_link, ticket.id, kb_entry_id, user.unit_id, user.id, ctx.now)
    if linked is None:
        raise ApiError(409, "已引用过该知识库条目", code="kb_linked")
    payload = {"kb_entry_id": kb_entry_id, "title": entry["title"]}
    await log_action(ctx, ticket, "kb_linked", Actor.of(user), reason=entry["title"], payload=payload)
