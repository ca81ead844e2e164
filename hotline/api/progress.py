"""进度查询: a citizen checks a ticket without logging in, with its number and the last four digits of the phone
they called from. The answer holds the stage, the level of the unit handling it and dates: no personal data,
no content, and no unit named below the district (a street's, community's or department's name with a date
could point at a neighbour; the district is public knowledge of any address). Every attempt counts against
the asking address in Redis, failures also against the number, so the four digits cannot be tried through."""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from dispatch.org import Level
from hotline.api.common import Endpoint, now, ok, parse_body
from hotline.catalog_cache import Catalog
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.schemas import ProgressQuery

ATTEMPTS_PER_ADDRESS = 10  # look-ups per address and window
FAILURES_PER_NUMBER = 20  # wrong digits per ticket number and window, whoever asks
WINDOW_S = 600
NOT_FOUND = "未找到匹配的工单，请核对工单号和手机号后四位"
STAGES = {
    "new": "已受理，正在派单",
    "pending_dispatch": "已受理，正在派单",
    "returned": "已受理，正在派单",
    "assigned": "已派至承办单位，等待签收",
    "signed": "承办单位办理中",
    "suspended": "承办单位办理中",
    "completed": "已办结，正在审核",
    "reviewed": "已办结，等待回访",
    "closed": "已办结",
    "closed_on_spot": "已当场答复办结",
    "merged": "已与同类诉求合并办理",
}


async def _spend(redis: Any, key: str, limit: int) -> bool:
    """Count one against `key` in this window; False once the window's allowance is used up."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_S, nx=True)
        count, _ = await pipe.execute()
    return int(count) <= limit


async def _over(redis: Any, key: str, limit: int) -> bool:
    count = await redis.get(key)
    return count is not None and int(count) >= limit


def progress_json(row: asyncpg.Record, catalog: Catalog) -> dict[str, Any]:
    level = district = None
    if row["holder_unit_id"] is not None and catalog.org is not None:
        tree = catalog.tree
        unit = tree.unit(row["holder_unit_id"])
        level = unit.level.label
        chain = (unit, *tree.ancestors(unit.id))
        district = next((u.name for u in chain if u.level is Level.DISTRICT), None)
    return {
        "number": row["number"],
        "stage": STAGES[row["state"]],
        "state": row["state"],
        "unit_level": level,
        "district": district,
        "created_at": row["created_at"].isoformat(),
        "assigned_at": _iso(row["assigned_at"]),
        "signed_at": _iso(row["signed_at"]),
        "completed_at": _iso(row["completed_at"]),
        "closed_at": _iso(row["closed_at"]),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


async def lookup(request: Request) -> Response:
    body = await parse_body(request, ProgressQuery)
    state = request.app.state
    address = request.client.host if request.client else "unknown"
    number = body.number.upper()
    prefix = f"{state.settings.redis.queue_name}:public-progress"  # cities sharing one Redis count apart
    failures = f"{prefix}:failures:{number}"
    if not await _spend(state.redis, f"{prefix}:address:{address}", ATTEMPTS_PER_ADDRESS) or await _over(
        state.redis, failures, FAILURES_PER_NUMBER
    ):
        raise ApiError(
            429, "查询过于频繁，请 10 分钟后再试", code="too_many_requests", headers={"Retry-After": str(WINDOW_S)}
        )
    async with state.pool.acquire() as conn:
        row = await conn.fetchrow(Q.public_progress, number)
        catalog = await state.catalogs.get(conn)
    phone = "".join(ch for ch in (row["caller_phone"] or "") if ch.isdigit()) if row else ""
    if row is None or len(phone) < 4 or phone[-4:] != body.phone_last4:
        await _spend(state.redis, failures, FAILURES_PER_NUMBER)
        raise ApiError(404, NOT_FOUND, code="ticket_not_found")
    result = progress_json(row, catalog)
    result["checked_at"] = now(request).isoformat()
    return ok(result)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/public/progress",
        lookup,
        "进度查询（无需登录）：工单号与手机号后四位，只答复办理阶段、承办层级和时间",
        "public",
        ProgressQuery,
        "Progress",
        (200, 404, 422, 429),
        public=True,
    ),
]
