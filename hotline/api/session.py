"""Login, logout, and who am I."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import auth, schemas
from hotline.api.common import Endpoint, now, ok, parse_body
from hotline.audit.logins import recorded_login
from hotline.errors import ApiError
from hotline.guard import logins


async def login(request: Request) -> Response:
    body = await parse_body(request, schemas.Login)
    address = request.client.host if request.client else "unknown"
    attempt = logins.Attempt(body.username, body.password, body.kind, address, now(request))
    token, user = await recorded_login(request, body.username, body.kind, logins.sign_in(request.app.state, attempt))
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    who = auth.user_json(user, catalog.tree.unit(user.unit_id).name)
    if body.kind == "api":
        return ok({"token": token, "user": who})
    response = ok({"user": who})  # the session lives in the HttpOnly cookie alone, out of scripts' reach
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.auth.secure_cookie or request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    token = auth.request_token(request)
    if token is None:
        raise ApiError(401)
    async with request.app.state.pool.acquire() as conn:
        if not await auth.logout(conn, token):
            raise ApiError(401, "登录已失效或令牌无效", code="unauthenticated")
    response = ok({"ok": True})
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


async def me(request: Request) -> Response:
    user = await auth.current_user(request)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    return ok(auth.user_json(user, catalog.tree.unit(user.unit_id).name))


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/auth/login",
        login,
        "登录（session：写入 Cookie；api：返回 Bearer 令牌）",
        "auth",
        schemas.Login,
        "Login",
        (200, 401, 422, 429, 503),
        public=True,
    ),
    Endpoint("POST", "/api/auth/logout", logout, "退出登录", "auth", None, "Ok", (200, 401)),
    Endpoint("GET", "/api/me", me, "当前用户", "auth", None, "User", (200, 401)),
]
