"""Users administered in the pages: create, edit, deactivate and reactivate, reset a password, and every
user's own password change. Administrators of the hotline centre manage everyone; an administrator of a
district (or any unit) manages the users of that unit's subtree only (`access.require_user_admin`).

A deactivated user's tokens are deleted at once, so an open session is refused on its next request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg

from hotline import access, auth
from hotline.admin.password_policy import password_problem, temporary_password
from hotline.audit.log import Actor, Origin, record
from hotline.auth import User
from hotline.errors import ApiError
from hotline.passwords import hash_password, verify_password
from hotline.queries import Q
from hotline.roles import Role
from hotline.schemas import NewUserBody, OwnPasswordBody, UserChangeBody
from hotline.tickets.journal import Context


@dataclass(frozen=True)
class Admin:
    """Who acts, and from where: what the audit entry of each action names."""

    user: User
    origin: Origin

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.username)


def user_json(row: asyncpg.Record, unit_names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "role_label": Role(row["role"]).label,
        "unit_id": row["unit_id"],
        "unit_name": unit_names.get(row["unit_id"], ""),
        "active": row["active"],
        "must_change_password": row["must_change_password"],
        "created_at": row["created_at"].isoformat(),
        "last_login_at": row["last_login_at"].isoformat() if row["last_login_at"] else None,
    }


def _audited(row: asyncpg.Record) -> dict[str, Any]:
    """What the audit log keeps of a user: never the password hash."""
    return {k: row[k] for k in ("username", "display_name", "role", "unit_id", "active")}


def _require_open_unit(ctx: Context, unit_id: int) -> None:
    if unit_id not in ctx.catalog.tree:
        raise ApiError(422, "所选单位不存在", code="unknown_unit")
    if unit_id in ctx.catalog.inactive:
        raise ApiError(422, "所选单位已停用，不能再分配用户", code="inactive_unit")


async def _locked(ctx: Context, admin: Admin, user_id: int) -> asyncpg.Record:
    row = await ctx.conn.fetchrow(Q.admin_user_lock, user_id)
    if row is None or not access.manages_users_of(admin.user, row["unit_id"], ctx.catalog):
        raise ApiError(404, "找不到该用户", code="user_not_found")
    return row


async def do_create_user(ctx: Context, admin: Admin, body: NewUserBody) -> tuple[int, str]:
    """A new user with a temporary password (returned once) to change at the first login."""
    access.require_user_admin(admin.user, body.unit_id, ctx.catalog)
    _require_open_unit(ctx, body.unit_id)
    if await ctx.conn.fetchval(Q.admin_user_exists, body.username):
        raise ApiError(409, f"用户名 {body.username} 已被使用", code="username_taken")
    password = temporary_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    try:
        user_id = await ctx.conn.fetchval(
            Q.admin_user_create, body.username, body.display_name, body.role, body.unit_id, password_hash, ctx.now
        )
    except asyncpg.UniqueViolationError:  # a concurrent create of the same name
        raise ApiError(409, f"用户名 {body.username} 已被使用", code="username_taken") from None
    after: dict[str, Any] = {"username": body.username, "display_name": body.display_name, "role": body.role}
    after |= {"unit_id": body.unit_id, "active": True}
    await record(ctx.conn, admin.origin, admin.actor, "user.create", ctx.now, target=body.username, after=after)
    return user_id, password


async def do_update_user(ctx: Context, admin: Admin, user_id: int, body: UserChangeBody) -> None:
    row = await _locked(ctx, admin, user_id)
    role = body.role or row["role"]
    unit_id = body.unit_id or row["unit_id"]
    display_name = body.display_name or row["display_name"]
    if unit_id != row["unit_id"]:
        access.require_user_admin(admin.user, unit_id, ctx.catalog)
        _require_open_unit(ctx, unit_id)
    if user_id == admin.user.id and (role != row["role"] or unit_id != row["unit_id"]):
        raise ApiError(409, "不能修改自己的角色或单位，请由其他管理员操作", code="own_account")
    if (display_name, role, unit_id) == (row["display_name"], row["role"], row["unit_id"]):
        return
    await ctx.conn.execute(Q.admin_user_update, user_id, display_name, role, unit_id)
    before = _audited(row)
    after = {**before, "display_name": display_name, "role": role, "unit_id": unit_id}
    await record(
        ctx.conn, admin.origin, admin.actor, "user.update", ctx.now, target=row["username"], before=before, after=after
    )


async def do_set_active(ctx: Context, admin: Admin, user_id: int, active: bool) -> None:
    """Deactivate (every token revoked in the same transaction) or reactivate a user."""
    row = await _locked(ctx, admin, user_id)
    if user_id == admin.user.id:
        raise ApiError(409, "不能停用或启用自己的账号", code="own_account")
    if row["active"] == active:
        return
    if active:
        _require_open_unit(ctx, row["unit_id"])
    await ctx.conn.execute(Q.admin_user_set_active, user_id, active)
    if not active:
        await auth.revoke_user_tokens(ctx.conn, user_id)
    action = "user.reactivate" if active else "user.deactivate"
    before = _audited(row)
    await record(
        ctx.conn,
        admin.origin,
        admin.actor,
        action,
        ctx.now,
        target=row["username"],
        before=before,
        after={**before, "active": active},
    )


async def do_reset_password(ctx: Context, admin: Admin, user_id: int) -> str:
    """A new temporary password (returned once); the user's sessions end and the next login must change it."""
    row = await _locked(ctx, admin, user_id)
    password = temporary_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    await ctx.conn.execute(Q.user_set_password, user_id, password_hash, True, ctx.now)
    await auth.revoke_user_tokens(ctx.conn, user_id)
    await record(ctx.conn, admin.origin, admin.actor, "user.reset_password", ctx.now, target=row["username"])
    return password


async def do_change_own_password(
    ctx: Context, user: User, token: str | None, origin: Origin, body: OwnPasswordBody
) -> None:
    """Every user's own change: the current password, then the policy; other sessions end, this one stays."""
    stored = await ctx.conn.fetchval(Q.own_password_hash, user.id)
    if stored is None or not await asyncio.to_thread(verify_password, stored, body.current_password):
        raise ApiError(422, "当前密码不正确", code="wrong_password")
    problem = password_problem(body.new_password, user.username)
    if problem is None and body.new_password == body.current_password:
        problem = "新密码不能与当前密码相同"
    if problem:
        raise ApiError(422, problem, code="weak_password")
    new_hash = await asyncio.to_thread(hash_password, body.new_password)
    await ctx.conn.execute(Q.user_set_password, user.id, new_hash, False, ctx.now)
    # the other sessions end; the one changing it goes on (a page that just saved should not log its user out)
    await ctx.conn.execute(Q.delete_user_tokens, user.id, auth.token_digest(token) if token else None)
    await record(ctx.conn, origin, Actor(user.id, user.username), "password.change", ctx.now, target=user.username)
