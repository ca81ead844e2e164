"""Reference data: units, categories, the knowledge base."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, kb, schemas
from hotline.api.common import Endpoint, ok, parse_body
from hotline.auth import current_user
from hotline.errors import ApiError
from hotline.roles import Role


async def list_units(request: Request) -> Response:
    await current_user(request)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    return ok(
        {
            "items": [
                {
                    "id": u.id,
                    "name": u.name,
                    "level": u.level.value,
                    "level_label": u.level.label,
                    "parent_id": u.parent_id,
                    "kind": u.kind,
                    "aliases": list(u.aliases),
                }
                for u in catalog.tree
            ]
        }
    )


async def list_categories(request: Request) -> Response:
    await current_user(request)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    return ok(
        {
            "items": [
                {"code": c.code, "name": c.name, "level1": c.level1} for c in catalog.categories.values() if c.active
            ]
        }
    )


async def search_kb(request: Request) -> Response:
    await current_user(request)
    query = request.query_params.get("q", "")[:500]
    category = request.query_params.get("category")
    async with request.app.state.pool.acquire() as conn:
        items = await kb.search(conn, request.app.state.intake.text.tokens, query, category_code=category, limit=10)
    return ok({"items": items})


async def add_kb_entry(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    body = await parse_body(request, schemas.KbEntry)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
        if body.category_code is not None and body.category_code not in catalog.categories:
            raise ApiError(422, f"分类代码 {body.category_code} 不存在", code="unknown_category")
        entry_id = await kb.add_entry(
            conn, request.app.state.intake.text.tokens, body.title, body.answer, body.category_code, body.keywords
        )
    return ok({"id": entry_id}, 201)


ENDPOINTS = [
    Endpoint("GET", "/api/units", list_units, "组织机构", "catalog", None, "UnitList", (200, 401)),
    Endpoint("GET", "/api/categories", list_categories, "诉求分类", "catalog", None, "CategoryList", (200, 401)),
    Endpoint(
        "GET",
        "/api/kb",
        search_kb,
        "知识库检索（结巴分词）",
        "knowledge",
        None,
        "KbList",
        (200, 401),
        query=(("q", {"type": "string", "maxLength": 500}), ("category", {"type": "string", "maxLength": 32})),
    ),
    Endpoint(
        "POST", "/api/kb", add_kb_entry, "新增知识库条目", "knowledge", schemas.KbEntry, "Created", (201, 401, 403, 422)
    ),
]
