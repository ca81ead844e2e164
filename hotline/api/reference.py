"""Reference data: units, categories, the knowledge base."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, kb, schemas
from hotline.api.common import Endpoint, int_param, now, ok, parse_body
from hotline.api.tickets import action, visible_ticket
from hotline.audit.log import record_request
from hotline.auth import User, current_user
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets import kb_links
from hotline.tickets.journal import Context, transaction
from hotline.tickets.records import Ticket


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
                    "active": u.id not in catalog.inactive,
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
        async with conn.transaction():
            entry_id = await kb.add_entry(
                conn, request.app.state.intake.text.tokens, body.title, body.answer, body.category_code, body.keywords
            )
            after = {"id": entry_id, "title": body.title, "category_code": body.category_code}
            await record_request(conn, request, user, "kb.add", target=body.title[:64], after=after)
    return ok({"id": entry_id}, 201)


async def edit_kb_entry(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    entry_id = int_param(request, "id")
    body = await parse_body(request, schemas.KbEntryEdit)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
        if body.category_code is not None and body.category_code not in catalog.categories:
            raise ApiError(422, f"分类代码 {body.category_code} 不存在", code="unknown_category")
        cut = request.app.state.intake.text.tokens
        args = (body.title, body.answer, body.category_code, body.keywords, body.active)
        async with conn.transaction():
            if not await kb.update_entry(conn, cut, entry_id, *args):
                raise ApiError(404, "找不到该知识库条目", code="kb_entry_not_found")
            after = {"id": entry_id, "title": body.title, "category_code": body.category_code, "active": body.active}
            await record_request(conn, request, user, "kb.edit", target=body.title[:64], after=after)
    return ok({"id": entry_id})


async def ticket_kb_links(request: Request) -> Response:
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    state = request.app.state
    async with transaction(state.pool, state.catalogs, state.redis, now(request)) as tx:
        await visible_ticket(tx, user, ticket_id)
        rows = await tx.conn.fetch(Q.kb_links_of_ticket, ticket_id)
        names = tx.catalog.unit_names
    items = [
        {
            "id": r["kb_entry_id"],  # the entry's, as every knowledge-base list names it
            "kb_entry_id": r["kb_entry_id"],
            "title": r["title"],
            "answer": r["answer"],
            "unit_name": names.get(r["unit_id"]),
            "linked_by_name": r["linked_by_name"],
            "linked_at": r["linked_at"].isoformat(),
        }
        for r in rows
    ]
    return ok({"items": items})


async def _link(tx: Context, it: Any, user: User, t: Ticket, b: schemas.KbLink) -> Any:
    return await kb_links.do_link_kb(tx, user, t, b.kb_entry_id)


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
    Endpoint(
        "PUT",
        "/api/kb/{id:int}",
        edit_kb_entry,
        "修改知识库条目（停用则不再检索到）",
        "knowledge",
        schemas.KbEntryEdit,
        "Created",
        (200, 401, 403, 404, 422),
    ),
    Endpoint(
        "GET",
        "/api/tickets/{id:int}/kb-links",
        ticket_kb_links,
        "工单引用的知识库答复",
        "knowledge",
        None,
        "KbList",
        (200, 401, 404),
    ),
    action("kb-links", "引用知识库答复", schemas.KbLink, _link),
]
