"""The appeal gate (申诉关): a unit contests an outcome that counts against it; a supervisor decides.

Approved appeals are excluded from that unit's scores (the report reads `appeals`).
"""

from __future__ import annotations

import asyncpg

from dispatch.statuses import AppealStatus
from hotline import access
from hotline.auth import User
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.journal import Actor, Context, lock, log_action
from hotline.tickets.records import Ticket, mask_text

KIND_LABELS = {"overdue": "超期", "dissatisfied": "不满意", "returned": "退单", "other": "其他"}


async def do_file_appeal(
    ctx: Context, user: User, ticket: Ticket, kind: str, reason: str, attachments: list[str] | None = None
) -> int:
    held = await access.held_by(ctx.conn, ticket.id)
    if user.unit_id not in held:
        raise ApiError(403, "只有办理过该工单的单位可以申诉", code="not_involved")
    access.require_role(user, *access.HANDLING_ROLES, Role.SUPERVISOR)
    appeal_id = await ctx.conn.fetchval(
        Q.insert_appeal,
        ticket.id,
        user.unit_id,
        kind,
        reason,
        user.id,
        ctx.now,
        attachments or [],
    )
    if appeal_id is None:
        raise ApiError(409, f"本单位已就「{KIND_LABELS[kind]}」提出过申诉", code="appeal_exists")
    await log_action(
        ctx, ticket, "appeal", Actor.of(user), reason=reason, payload={"appeal_id": appeal_id, "kind": kind}
    )
    return int(appeal_id)


async def do_decide_appeal(ctx: Context, user: User, appeal_id: int, approve: bool, note: str) -> asyncpg.Record:
    appeal = await ctx.conn.fetchrow(Q.appeal_by_id, appeal_id)
    if appeal is None:
        raise ApiError(404, "找不到该申诉", code="appeal_not_found")
    ticket = await lock(ctx.conn, appeal["ticket_id"])
    appeal = await ctx.conn.fetchrow(Q.lock_appeal, appeal_id)
    await access.require_view(ctx.conn, user, ticket, ctx.catalog)
    access.require_supervisor_over(user, appeal["unit_id"], ctx.catalog)
    if appeal["status"] != AppealStatus.PENDING:
        raise ApiError(409, "该申诉已经处理过", code="appeal_decided")
    decided = await ctx.conn.fetchrow(
        Q.decide_appeal,
        appeal_id,
        AppealStatus.decided(approve),
        user.id,
        ctx.now,
        note,
        ticket.number,
    )
    await log_action(
        ctx,
        ticket,
        "appeal_approved" if approve else "appeal_rejected",
        Actor.of(user),
        reason=note,
        payload={"appeal_id": appeal_id, "kind": appeal["kind"], "unit_id": appeal["unit_id"]},
    )
    return decided


def appeal_json(row: asyncpg.Record, unit_names: dict[int, str]) -> dict[str, object]:
    return {
        "id": row["id"],
        "ticket_id": row["ticket_id"],
        "ticket_number": row["ticket_number"],
        "unit_id": row["unit_id"],
        "unit_name": unit_names.get(row["unit_id"]),
        "kind": row["kind"],
        "kind_label": KIND_LABELS[row["kind"]],
        "reason": mask_text(row["reason"]),  # appeals are listed on boards: numbers in free text masked
        "attachments": [mask_text(a) for a in row["attachments"]],
        "status": row["status"],
        "filed_by": row["filed_by"],
        "filed_at": row["filed_at"].isoformat(),
        "decided_by": row["decided_by"],
        "status_label": AppealStatus(row["status"]).label,
        "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
        "decision_note": mask_text(row["decision_note"]),
    }
