"""The privacy log for administrators: who read which caller's personal data, when and how (pii_reads)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access
from hotline.api.common import DATE, Endpoint, bounded_int, day_range, ok
from hotline.auth import current_user
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.tickets import pii_log


def _text(request: Request, name: str, label: str, longest: int) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > longest:
        raise ApiError(422, f"{label}过长（最多 {longest} 个字符）", code="invalid")
    return value


async def pii_reads(request: Request) -> Response:
    """Filter by user (username), ticket (number) and local dates from–to (both included); newest first."""
    user = await current_user(request)
    access.require_admin(user)
    limit = bounded_int(request, "limit", 50, 1, 200)
    offset = bounded_int(request, "offset", 0, 0, 1_000_000)
    since, until = day_range(request)
    state = request.app.state
    async with state.pool.acquire() as conn:
        catalog = await state.catalogs.get(conn)
        user_id = ticket_id = None
        if username := _text(request, "user", "用户名", 64):
            user_id = await conn.fetchval(Q.user_id_by_username, username)
            if user_id is None:
                raise ApiError(404, f"用户 {username} 不存在", code="unknown_user")
        if number := _text(request, "ticket", "工单编号", 32):
            ticket_id = await conn.fetchval(Q.ticket_id_by_number, number)
            if ticket_id is None:
                raise ApiError(404, f"工单 {number} 不存在", code="ticket_not_found")
        where = pii_log.ReadFilter(user_id, ticket_id, since, until)
        return ok(await pii_log.page(conn, where, limit, offset, catalog.unit_names))


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/admin/pii-reads",
        pii_reads,
        "个人信息查阅记录（管理员）：按用户、工单、日期筛选，分页",
        "admin",
        None,
        "PiiReads",
        (200, 401, 403, 404, 422),
        query=(
            ("user", {"type": "string", "maxLength": 64}),
            ("ticket", {"type": "string", "maxLength": 32}),
            ("from", DATE),
            ("to", DATE),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            ("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
        ),
    ),
]
