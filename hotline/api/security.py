"""安全 for administrators: the record of sign-in attempts (and Open311 client keys, hotline/guard/client_keys.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, bounded_int, int_param, now, ok, parse_body
from hotline.audit.log import record_request
from hotline.auth import User, current_user
from hotline.errors import ApiError
from hotline.guard import client_keys, logins


async def login_events(request: Request) -> Response:
    """Filter by username and outcome; newest first, a page at a time."""
    access.require_admin(await current_user(request))
    limit = bounded_int(request, "limit", 50, 1, 200)
    offset = bounded_int(request, "offset", 0, 0, 1_000_000)
    username = request.query_params.get("user", "").strip() or None
    if username is not None and len(username) > 64:
        raise ApiError(422, "用户名过长（最多 64 个字符）", code="invalid")
    outcome = request.query_params.get("outcome") or None
    if outcome is not None and outcome not in logins.OUTCOMES:
        raise ApiError(422, "outcome 取值无效，可选：" + "、".join(logins.OUTCOMES), code="invalid")
    async with request.app.state.pool.acquire() as conn:
        return ok(await logins.page(conn, username, outcome, limit, offset))


async def _city_admin(request: Request) -> User:
    user = await current_user(request)
    async with request.app.state.pool.acquire() as conn:
        access.require_city_admin(user, await request.app.state.catalogs.get(conn))
    return user


async def open311_clients(request: Request) -> Response:
    await _city_admin(request)
    async with request.app.state.pool.acquire() as conn:
        return ok({"items": await client_keys.listing(conn)})


async def create_open311_client(request: Request) -> Response:
    """The key is in this answer and nowhere else: the page shows it once for the admin to pass on."""
    user = await _city_admin(request)
    body = await parse_body(request, schemas.Open311ClientNew)
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        catalog = await request.app.state.catalogs.get(conn)
        created = await client_keys.create(conn, catalog, body.name, body.acts_as, user, now(request))
        kept = {k: v for k, v in created.items() if k != "key"}  # the key itself never goes into the log
        await record_request(conn, request, user, "api_key.create", target=body.name, after=kept)
        return ok(created, 201)


async def revoke_open311_client(request: Request) -> Response:
    user = await _city_admin(request)
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        revoked = await client_keys.revoke(conn, int_param(request, "id"), now(request))
        await record_request(conn, request, user, "api_key.revoke", target=str(revoked.get("name", "")), after=revoked)
        return ok(revoked)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/admin/logins",
        login_events,
        "登录记录（管理员）：每一次登录尝试，成功与失败，按用户名和结果筛选，分页",
        "admin",
        None,
        "LoginEvents",
        (200, 401, 403, 422),
        query=(
            ("user", {"type": "string", "maxLength": 64}),
            ("outcome", {"type": "string", "enum": list(logins.OUTCOMES)}),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            ("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
        ),
    ),
]
ENDPOINTS += [
    Endpoint(
        "GET", "/api/admin/open311-clients", open311_clients, "Open311 客户端密钥（管理员）", "admin", None,
        "Open311Clients", (200, 401, 403),
    ),
    Endpoint(
        "POST", "/api/admin/open311-clients", create_open311_client,
        "新建 Open311 客户端密钥（密钥只在此次应答中出现一次）", "admin", schemas.Open311ClientNew, "Open311Client",
        (201, 401, 403, 422),
    ),
    Endpoint(
        "POST", "/api/admin/open311-clients/{id:int}/revoke", revoke_open311_client, "吊销 Open311 客户端密钥",
        "admin", None, "Open311Client", (200, 401, 403, 404),
    ),
]  # fmt: skip
