"""The category model's versions (administrators): history, comparison, rollback, a retrain on demand,
and the labels dispatchers gave. Use-cases in hotline/learning/."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, now, ok, parse_body
from hotline.audit.log import record_request
from hotline.auth import User, current_user
from hotline.errors import ApiError
from hotline.learning import registry
from hotline.queries import Q
from hotline.roles import Role

_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


async def _admin(request: Request) -> User:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    return user


async def overview(request: Request) -> Response:
    await _admin(request)
    state = request.app.state
    async with state.pool.acquire() as conn:
        return ok(await registry.overview(conn, registry.model_store(state.settings), now(request)))


async def compare(request: Request) -> Response:
    await _admin(request)
    a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
    if not (_VERSION.match(a) and _VERSION.match(b)):
        raise ApiError(422, "请给出要对比的两个模型版本（a、b）", code="invalid")
    async with request.app.state.pool.acquire() as conn:
        return ok(await registry.compare(conn, a, b))


async def rollback(request: Request) -> Response:
    user = await _admin(request)
    body = await parse_body(request, schemas.ModelRollback)
    state = request.app.state
    store = registry.model_store(state.settings)
    async with state.pool.acquire() as conn:
        await registry.rollback(conn, store, body.version, user.id, now(request))
        await record_request(conn, request, user, "model", target=body.version or "", after={"rollback": True})
        return ok(await registry.overview(conn, store, now(request)))


async def retrain_now(request: Request) -> Response:
    user = await _admin(request)
    # one job per minute however often the button is pressed (arq refuses a job id it still knows); runs never
    # overlap anyway (the run's advisory lock)
    job_id = f"retrain:manual:{now(request):%Y%m%d%H%M}"
    job = await request.app.state.redis.enqueue_job("retrain_model", origin="manual", _job_id=job_id)
    async with request.app.state.pool.acquire() as conn:
        await record_request(conn, request, user, "model", after={"retrain": True, "queued": job is not None})
    return ok({"queued": job is not None})


async def recent_labels(request: Request) -> Response:
    await _admin(request)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
        rows = await conn.fetch(Q.recent_category_labels, 50)
    names = {code: c.name for code, c in catalog.categories.items()}
    return ok(
        {
            "items": [
                {
                    "id": r["id"],
                    "at": r["at"].isoformat(),
                    "ticket_id": r["ticket_id"],
                    "number": r["number"],
                    "user_name": r["user_name"],
                    "unit_name": r["unit_name"],
                    "from_code": r["from_code"],
                    "from_name": names.get(r["from_code"] or ""),
                    "from_source": r["from_source"],
                    "to_code": r["to_code"],
                    "to_name": names.get(r["to_code"]),
                    "correction": r["from_code"] != r["to_code"],
                    "model_version": r["model_version"],
                }
                for r in rows
            ]
        }
    )


ADMIN_ONLY = (200, 401, 403)
ENDPOINTS = [
    Endpoint("GET", "/api/models", overview, "分类模型版本历史", "models", None, "ModelHistory", ADMIN_ONLY),
    Endpoint(
        "GET",
        "/api/models/compare",
        compare,
        "对比两个模型版本（各类别指标）",
        "models",
        None,
        "ModelComparison",
        (*ADMIN_ONLY, 404, 422),
        query=(("a", {"type": "string"}), ("b", {"type": "string"})),
    ),
    Endpoint(
        "POST",
        "/api/models/rollback",
        rollback,
        "回滚到上一版本（或指定的曾启用版本）",
        "models",
        schemas.ModelRollback,
        "ModelHistory",
        (*ADMIN_ONLY, 404, 409, 422),
    ),
    Endpoint(
        "POST", "/api/models/retrain", retrain_now, "立即训练候选模型（排队）", "models", None, "Queued", ADMIN_ONLY
    ),
    Endpoint(
        "GET", "/api/models/labels", recent_labels, "派单员最近给出的分类标注", "models", None, "LabelList", ADMIN_ONLY
    ),
]
