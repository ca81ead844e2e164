"""Users in the admin pages (create, edit, deactivate, reactivate, reset a password) and every user's own
password change. Each view: authenticate, parse, one transaction with the use-case (its audit entry inside)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, auth, schemas
from hotline.admin import users
from hotline.api.common import Endpoint, bounded_int, int_param, now, ok, parse_body
from hotline.audit.log import Origin
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.journal import Context, transaction


def _tx(request: Request):  # type: ignore[no-untyped-def]
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request))


async def _admin(request: Request) -> users.Admin:
    user = await auth.current_user(request)
    access.require_role(user, Role.ADMIN)
    return users.Admin(user, Origin.of(request))


async def _one(tx: Context, user_id: int) -> dict[str, object]:
    row = await tx.conn.fetchrow(Q.admin_user_lock, user_id)
    assert row is not None
    return users.user_json(row, tx.catalog.unit_names)


def _active_filter(request: Request) -> bool | None:
    value = request.query_params.get("active")
    if value in (None, ""):
        return None
    if value not in ("true", "false"):
        raise ApiError(422, "active 应为 true 或 false", code="invalid")
    return value == "true"


async def list_users(request: Request) -> Response:
    admin = await _admin(request)
    limit = bounded_int(request, "limit", 500, 1, 2000)
    text = (request.query_params.get("q") or "").strip()[:64] or None
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
        scope = access.user_scope(admin.user, catalog)
        rows = await conn.fetch(
            Q.admin_users, sorted(scope) if scope is not None else None, text, _active_filter(request), limit
        )
    return ok({"items": [users.user_json(r, catalog.unit_names) for r in rows]})


async def create_user(request: Request) -> Response:
    admin = await _admin(request)
    body = await parse_body(request, schemas.NewUserBody)
    async with _tx(request) as tx:
        user_id, password = await users.do_create_user(tx, admin, body)
        user = await _one(tx, user_id)
    return ok({"user": user, "temporary_password": password}, 201)


async def update_user(request: Request) -> Response:
    admin = await _admin(request)
    user_id = int_param(request, "id")
    body = await parse_body(request, schemas.UserChangeBody)
    async with _tx(request) as tx:
        await users.do_update_user(tx, admin, user_id, body)
        user = await _one(tx, user_id)
    return ok({"user": user})


def _set_active(active: bool):  # type: ignore[no-untyped-def]
    async def view(request: Request) -> Response:
        admin = await _admin(request)
        user_id = int_param(request, "id")
        async with _tx(request) as tx:
            await users.do_set_active(tx, admin, user_id, active)
            user = await _one(tx, user_id)
        return ok({"user": user})

    return view


async def reset_password(request: Request) -> Response:
    admin = await _admin(request)
    user_id = int_param(request, "id")
    async with _tx(request) as tx:
        password = await users.do_reset_password(tx, admin, user_id)
        user = await _one(tx, user_id)
    return ok({"user": user, "temporary_password": password})


async def change_own_password(request: Request) -> Response:
    user = await auth.current_user(request)
    body = await parse_body(request, schemas.OwnPasswordBody)
    async with _tx(request) as tx:
        await users.do_change_own_password(tx, user, auth.request_token(request), Origin.of(request), body)
    return ok({"ok": True})


USER_PATH = "/api/admin/users/{id:int}"
WRITE = (200, 401, 403, 404, 409, 422)
ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/admin/users",
        list_users,
        "用户列表（本单位及下级单位）",
        "admin",
        None,
        "AdminUserList",
        (200, 401, 403, 422),
        query=(
            ("q", {"type": "string", "maxLength": 64}),
            ("active", {"type": "string", "enum": ["true", "false"]}),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 2000}),
        ),
    ),
    Endpoint(
        "POST",
        "/api/admin/users",
        create_user,
        "新建用户（返回一次性临时密码，首次登录须修改）",
        "admin",
        schemas.NewUserBody,
        "AdminUserPassword",
        (201, 401, 403, 409, 422),
    ),
    Endpoint(
        "PATCH",
        USER_PATH,
        update_user,
        "修改用户的姓名、角色或单位",
        "admin",
        schemas.UserChangeBody,
        "AdminUser",
        WRITE,
    ),
    Endpoint(
        "POST",
        f"{USER_PATH}/deactivate",
        _set_active(False),
        "停用用户（立即注销其全部会话和令牌）",
        "admin",
        None,
        "AdminUser",
        WRITE,
    ),
    Endpoint("POST", f"{USER_PATH}/reactivate", _set_active(True), "启用用户", "admin", None, "AdminUser", WRITE),
    Endpoint(
        "POST",
        f"{USER_PATH}/reset-password",
        reset_password,
        "重置密码（临时密码，下次登录须修改）",
        "admin",
        None,
        "AdminUserPassword",
        WRITE,
    ),
    Endpoint(
        "POST",
        "/api/me/password",
        change_own_password,
        "修改本人密码",
        "auth",
        schemas.OwnPasswordBody,
        "Ok",
        (200, 401, 422),
    ),
]
