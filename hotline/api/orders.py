"""Supervision both ways over HTTP: orders received and issued, answering and reviewing them, recent urges."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, bounded_int, int_param, now, ok, parse_body
from hotline.api.tickets import visible_ticket
from hotline.auth import current_user
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.tickets.journal import transaction
from hotline.tickets.orders import do_answer_order, do_review_order, order_json
from hotline.tickets.records import mask_text

BOXES = ("received", "issued")
URGES_SHOWN_FOR = timedelta(days=7)


def _tx(request: Request):  # type: ignore[no-untyped-def]
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request))


async def list_orders(request: Request) -> Response:
    """received: orders to my unit (open first); issued: orders to the units below mine (answered ones first, to
    be reviewed)."""
    user = await current_user(request)
    box = request.query_params.get("box", "received")
    if box not in BOXES:
        raise ApiError(422, f"box 取值无效，可选：{'、'.join(BOXES)}", code="invalid")
    limit = bounded_int(request, "limit", 100, 1, 500)
    async with _tx(request) as tx:
        if box == "received":
            rows = await tx.conn.fetch(Q.orders_received, user.unit_id, limit)
        else:
            below = access.visible_units(user, tx.catalog)
            units = None if below is None else sorted(below - {user.unit_id})
            rows = await tx.conn.fetch(Q.orders_issued, units, limit)
        names = tx.catalog.unit_names
    return ok({"items": [order_json(r, names) for r in rows]})


async def ticket_orders(request: Request) -> Response:
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    async with _tx(request) as tx:
        await visible_ticket(tx, user, ticket_id)
        rows = await tx.conn.fetch(Q.orders_of_ticket, ticket_id)
        names = tx.catalog.unit_names
    return ok({"items": [order_json(r, names) for r in rows]})


async def answer_order(request: Request) -> Response:
    user = await current_user(request)
    order_id = int_param(request, "id")
    body = await parse_body(request, schemas.OrderAnswer)
    settings = request.app.state.settings
    async with _tx(request) as tx:
        today = tx.now.astimezone(settings.tz).date()
        await do_answer_order(tx, user, order_id, body.answer, body.finish_by, today)
        row = await tx.conn.fetchrow(Q.order_by_id, order_id)
        names = tx.catalog.unit_names
    return ok(order_json(row, names))


async def review_order(request: Request) -> Response:
    user = await current_user(request)
    order_id = int_param(request, "id")
    body = await parse_body(request, schemas.OrderReview)
    hours = request.app.state.settings.supervision.order_answer_hours
    async with _tx(request) as tx:
        await do_review_order(tx, user, order_id, body.close, body.note, hours)
        request.app.state.intake.clock.schedule_started(tx)  # a re-issued order's new answer clock
        row = await tx.conn.fetchrow(Q.order_by_id, order_id)
        names = tx.catalog.unit_names
    return ok(order_json(row, names))


async def recent_urges(request: Request) -> Response:
    """催办 to my unit's tickets in the last 7 days, newest first (notes masked)."""
    user = await current_user(request)
    async with _tx(request) as tx:
        rows = await tx.conn.fetch(Q.recent_urges_of_unit, user.unit_id, URGES_SHOWN_FOR, tx.now)
    items = [
        {
            "id": r["id"],
            "at": r["at"].isoformat(),
            "note": mask_text(r["reason"]),
            "actor_name": r["actor_name"],
            "ticket_id": r["ticket_id"],
            "ticket_number": r["number"],
        }
        for r in rows
    ]
    return ok({"items": items})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/orders",
        list_orders,
        "督办单：本单位收到的（received）或下级单位的（issued）",
        "supervision",
        None,
        "OrderList",
        (200, 401, 422),
        query=(
            ("box", {"type": "string", "enum": list(BOXES)}),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
        ),
    ),
    Endpoint(
        "GET",
        "/api/tickets/{id:int}/orders",
        ticket_orders,
        "工单的督办单",
        "supervision",
        None,
        "OrderList",
        (200, 401, 404),
    ),
    Endpoint(
        "POST",
        "/api/orders/{id:int}/answer",
        answer_order,
        "答复督办单（办理情况、预计办结日期）",
        "supervision",
        schemas.OrderAnswer,
        "Order",
        (200, 401, 403, 404, 409, 422),
    ),
    Endpoint(
        "POST",
        "/api/orders/{id:int}/review",
        review_order,
        "审核督办答复：办结或重新督办",
        "supervision",
        schemas.OrderReview,
        "Order",
        (200, 401, 403, 404, 409, 422),
    ),
    Endpoint("GET", "/api/urges", recent_urges, "本单位近7天收到的催办", "supervision", None, "UrgeList", (200, 401)),
]
