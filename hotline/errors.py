"""API errors: JSON with a stable code and a message a person understands (in Chinese)."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

log = structlog.get_logger(__name__)

_DEFAULT_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthenticated", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "找不到该资源"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "该记录已被他人修改，请刷新后重试"),
    413: ("too_large", "提交的内容过大"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    415: ("unsupported_media_type", "请以 JSON 格式提交"),
    422: ("invalid", "提交的内容有误"),
    500: ("internal", "系统内部错误，请稍后重试"),
    503: ("unavailable", "服务暂不可用"),
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **details: Any,
    ):
        default_code, default_message = _DEFAULT_MESSAGES.get(status, ("error", "请求失败"))
        self.status = status
        self.headers = headers or {}  # e.g. Retry-After on a 429
        self.code = code or default_code
        self.message = message or default_message
        self.details = details
        super().__init__(self.message)


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    response.headers.update(exc.headers)
    return response


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _DEFAULT_MESSAGES.get(exc.status_code, ("error", "请求失败"))
    response = error_response(exc.status_code, code, message)
    response.headers.update(exc.headers or {})  # a 405's Allow (RFC 9110)
    return response


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", path=request.url.path, exc_info=exc)
    code, message = _DEFAULT_MESSAGES[500]
    return error_response(500, code, message)


async def handle_lock_conflict(request: Request, exc: Exception) -> Response:
    """Two transactions locked the same tickets in opposite orders (a merge against a timer window,
    say); PostgreSQL cancelled this one, which changed nothing, so the caller may simply retry."""
    log.warning("lock conflict", path=request.url.path, error=str(exc))
    return error_response(409, "conflict", "该工单正被同时处理，请稍后重试")


async def handle_service_down(request: Request, exc: Exception) -> Response:
    """PostgreSQL or Redis unreachable, restarting or timing out (issue 12 point 16): nothing was
    acknowledged, so the client may retry; a 503 at once rather than a hang or a 500."""
    redis = isinstance(exc, RedisError)
    log.warning("service unavailable", path=request.url.path, service="redis" if redis else "postgres", error=repr(exc))
    message = "队列服务暂时不可用，请稍后重试" if redis else "数据库暂时不可用，请稍后重试"
    response = error_response(503, "redis_unavailable" if redis else "database_unavailable", message)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def handle_interface_error(request: Request, exc: Exception) -> Response:
    """asyncpg's client-side errors: a connection the server closed under a transaction (a PostgreSQL
    restart, seen in bench/chaos.py) is an outage, anything else a bug."""
    if "closed" in str(exc):
        return await handle_service_down(request, exc)
    return await handle_unexpected(request, exc)


async def handle_client_gone(request: Request, exc: Exception) -> Response:
    """The client left before its body was read (it gave up waiting): nobody reads this answer."""
    log.info("client disconnected", path=request.url.path)
    return error_response(400, "client_disconnected", "客户端已断开连接")


RETRY_AFTER_S = 5
# What a server outage raises: refused or reset connections, a connect that timed out, a connection the
# server closed (restart, crash), a server still starting or shutting down; Redis's own errors.
SERVICE_DOWN: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    # a connection lost in the middle of an operation, then used again by the transaction's rollback
    # ("cannot switch to state ...; another operation is in progress": bench/chaos.py, PostgreSQL restart)
    asyncpg.exceptions._base.InternalClientError,
    RedisError,
)

EXCEPTION_HANDLERS = {
    **dict.fromkeys(SERVICE_DOWN, handle_service_down),
    asyncpg.exceptions.InterfaceError: handle_interface_error,
    ClientDisconnect: handle_client_gone,
    ApiError: handle_api_error,
    asyncpg.exceptions.DeadlockDetectedError: handle_lock_conflict,
    asyncpg.exceptions.SerializationError: handle_lock_conflict,
    # a writer's score-day lock waited its lock_timeout (migration 0010): nothing changed, retry
    asyncpg.exceptions.LockNotAvailableError: handle_lock_conflict,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
