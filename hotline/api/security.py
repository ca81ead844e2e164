"""安全 for administrators: the record of sign-in attempts (and Open311 client keys, hotline/guard/client_keys.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access
from hotline.api.common import Endpoint, bounded_int, ok
from hotline.auth import current_user
from hotline.errors import ApiError
from hotline.guard import logins


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
