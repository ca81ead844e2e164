"""协办 over HTTP: a co-unit's notes, contacts and 协办完成; every co-unit's part, for the lead unit to read."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, int_param, now, ok
from hotline.api.tickets import action, visible_ticket
from hotline.auth import User, current_user
from hotline.queries import Q
from hotline.tickets import cohandling
from hotline.tickets.journal import Context, transaction
from hotline.tickets.records import PersonalView, Ticket, mask_payload, mask_text


async def co_parts(request: Request) -> Response:
    """The co-units' parts of a ticket (the lead unit reads them before completing); notes masked below the centre."""
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    state = request.app.state
    async with transaction(state.pool, state.catalogs, state.redis, now(request)) as tx:
        ticket = await visible_ticket(tx, user, ticket_id)
        full = access.personal_view(user, tx.catalog, ticket) is PersonalView.FULL
        rows = await tx.conn.fetch(Q.co_parts_of_ticket, ticket_id, ticket.co_unit_ids)
        names = tx.catalog.unit_names
    parts = [
        {
            "unit_id": r["unit_id"],
            "unit_name": names.get(r["unit_id"]),
            "added_at": r["added_at"].isoformat(),
            "done_at": r["done_at"].isoformat() if r["done_at"] else None,
            "done_by_name": r["done_by_name"],
            "result": r["result"] if full else mask_text(r["result"]),
            "records": [_record(x, full) for x in r["records"]],
        }
        for r in rows
    ]
    return ok({"ticket_id": ticket_id, "lead_unit_id": ticket.lead_unit_id, "items": parts})


def _record(record: dict[str, Any], full: bool) -> dict[str, Any]:
    if full:
        return record
    return {**record, "text": mask_text(record["text"]), "payload": mask_payload(record["payload"])}


async def _note(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Note) -> Any:
    return await cohandling.do_co_note(tx, user, t, b.text)


async def _contact(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Contact) -> Any:
    return await cohandling.do_co_contact(tx, user, t, b.method, b.outcome, b.note)


async def _done(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Completion) -> Any:
    return await cohandling.do_co_done(tx, user, t, b.result)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/tickets/{id:int}/co-parts",
        co_parts,
        "协办单位的办理情况",
        "tickets",
        None,
        "CoParts",
        (200, 401, 404),
    ),
    action("co-notes", "协办进展", schemas.Note, _note),
    action("co-contact", "协办单位联系诉求人", schemas.Contact, _contact),
    action("co-done", "协办完成（协办结果）", schemas.Completion, _done),
]
