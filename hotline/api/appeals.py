"""Appeal endpoints (申诉关)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, int_param, now, ok, parse_body
from hotline.api.tickets import visible_ticket
from hotline.auth import current_user
from hotline.queries import Q
from hotline.tickets.appeals import appeal_json, do_decide_appeal, do_file_appeal
from hotline.tickets.journal import lock, transaction


async def file_appeal(request: Request) -> Response:
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    body = await parse_body(request, schemas.Appeal)
    state = request.app.state
    async with transaction(state.pool, state.catalogs, state.redis, now(request)) as tx:
        ticket = await lock(tx.conn, ticket_id)
        await access.require_view(tx.conn, user, ticket, tx.catalog)
        appeal_id = await do_file_appeal(tx, user, ticket, body.kind, body.reason, body.attachments)
        row = await tx.conn.fetchrow(Q.appeal_with_number_by_id, appeal_id)
        names = tx.catalog.unit_names
    return ok(appeal_json(row, names), 201)


async def decide_appeal(request: Request) -> Response:
    user = await current_user(request)
    appeal_id = int_param(request, "id")
    body = await parse_body(request, schemas.Decision)
    state = request.app.state
    async with transaction(state.pool, state.catalogs, state.redis, now(request)) as tx:
        row = await do_decide_appeal(tx, user, appeal_id, body.approve, body.note)
        names = tx.catalog.unit_names
    return ok(appeal_json(row, names))


async def list_appeals(request: Request) -> Response:
    user = await current_user(request)
    state = request.app.state
    async with transaction(state.pool, state.catalogs, state.redis, now(request)) as tx:
        units = access.visible_units(user, tx.catalog)
        rows = await tx.conn.fetch(Q.list_appeals, None if units is None else sorted(units))
        names = tx.catalog.unit_names
    return ok({"items": [appeal_json(r, names) for r in rows]})


async def ticket_appeals(request: Request) -> Response:
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    async with _tx(request) as tx:
        await visible_ticket(tx, user, ticket_id)
        rows = await tx.conn.fetch(Q.appeals_of_ticket, ticket_id)
        names = tx.catalog.unit_names
    return ok({"items": [appeal_json(r, names) for r in rows]})


def _tx(request: Request):  # type: ignore[no-untyped-def]
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request))


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/tickets/{id:int}/appeals",
        file_appeal,
        "申诉",
        "appeals",
        schemas.Appeal,
        "Appeal",
        (201, 401, 403, 404, 409, 422),
    ),
    Endpoint(
        "POST",
        "/api/appeals/{id:int}/decision",
        decide_appeal,
        "申诉审核",
        "appeals",
        schemas.Decision,
        "Appeal",
        (200, 401, 403, 404, 409, 422),
    ),
    Endpoint("GET", "/api/appeals", list_appeals, "申诉列表", "appeals", None, "AppealList", (200, 401)),
    Endpoint(
        "GET",
        "/api/tickets/{id:int}/appeals",
        ticket_appeals,
        "工单的申诉",
        "appeals",
        None,
        "AppealList",
        (200, 401, 404),
    ),
]
