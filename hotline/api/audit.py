"""The audit log for administrators of the hotline centre: read and filter (newest first, paged) and
export as CSV. The export is itself an audited action."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline import access
from hotline.api.common import DATE, Endpoint, bounded_int, day_range, now, ok
from hotline.audit.actions import ACTIONS, action_label
from hotline.audit.log import Actor, Origin, record
from hotline.auth import User, current_user
from hotline.errors import ApiError
from hotline.exports.audit import audit_csv
from hotline.queries import Q

EXPORT_LIMIT = 100_000


def _text(request: Request, name: str, label: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    if len(value) > 64 or "\x00" in value:
        raise ApiError(422, f"{label}过长或含有无效字符（最多 64 个字符）", code="invalid")
    return value or None


def _filters(request: Request) -> tuple[Any, ...]:
    """(username, action or its prefix, since, until, target text) from the query; dates are local days."""
    since, until = day_range(request)
    action = _text(request, "action", "操作")
    if action and action not in ACTIONS and not any(a.startswith(action + ".") for a in ACTIONS):
        raise ApiError(422, f"没有名为 {action} 的操作", code="invalid")
    return _text(request, "user", "用户名"), action, since, until, _text(request, "target", "对象")


async def _city_admin(request: Request) -> User:
    user = await current_user(request)
    access.require_admin(user)
    async with request.app.state.pool.acquire() as conn:
        access.require_city_admin(user, await request.app.state.catalogs.get(conn))
    return user


def entry_json(r: Any) -> dict[str, Any]:
    return {
        "id": r["id"],
        "at": r["at"].isoformat(),
        "actor_id": r["actor_id"],
        "actor_name": r["actor_name"],
        "action": r["action"],
        "action_label": action_label(r["action"]),
        "target": r["target"],
        "ip": r["ip"],
        "user_agent": r["user_agent"],
        "before": r["before"],
        "after": r["after"],
    }


async def audit_page(request: Request) -> Response:
    await _city_admin(request)
    limit = bounded_int(request, "limit", 50, 1, 200)
    offset = bounded_int(request, "offset", 0, 0, 1_000_000)
    rows = await request.app.state.pool.fetch(Q.audit_page, *_filters(request), limit + 1, offset)
    return ok(
        {
            "items": [entry_json(r) for r in rows[:limit]],
            "next_offset": offset + limit if len(rows) > limit else None,
            "actions": ACTIONS,
        }
    )


async def audit_export(request: Request) -> Response:
    user = await _city_admin(request)
    filters = _filters(request)
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(Q.audit_export, *filters, EXPORT_LIMIT)
        asked = dict(
            zip(
                ("user", "action", "from", "to", "target"),
                [request.query_params.get(k) for k in ("user", "action", "from", "to", "target")],
                strict=True,
            )
        )
        after = {"rows": len(rows), "filters": {k: v for k, v in asked.items() if v}}
        await record(conn, Origin.of(request), Actor(user.id, user.username), "audit.export", now(request), after=after)
    stamp = f"{now(request).astimezone(request.app.state.settings.tz):%Y%m%d-%H%M}"
    return Response(
        audit_csv(rows, request.app.state.settings.tz),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"', "Cache-Control": "no-store"},
    )


QUERY = (
    ("user", {"type": "string", "maxLength": 64}),
    ("action", {"type": "string", "maxLength": 64}),
    ("target", {"type": "string", "maxLength": 64}),
    ("from", DATE),
    ("to", DATE),
)
ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/admin/audit",
        audit_page,
        "审计日志（市级管理员）：按用户、操作、对象、日期筛选，分页",
        "admin",
        None,
        "AuditLog",
        (200, 401, 403, 422),
        query=(
            *QUERY,
            ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            ("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
        ),
    ),
]
# a file download, outside /openapi.json like the report's spreadsheet
ROUTES = [Route("/api/admin/audit.csv", audit_export, name="audit_export")]
