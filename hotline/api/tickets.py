"""Ticket endpoints. Thin: authenticate, parse, lock, check visibility, call one use-case, present."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from dispatch.states import TicketState
from hotline import access, schemas
from hotline.api.common import Endpoint, bounded_int, int_param, now, ok, parse_body
from hotline.auth import User, current_user
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.tickets import callbacks, flow, intake, pii_log
from hotline.tickets.journal import Context, lock, lock_in_order, transaction
from hotline.tickets.records import PersonalView, Ticket, mask_payload, mask_text, personal_fields, ticket_json

UseCase = Callable[[Context, Any, User, Ticket, Any], Awaitable[Any]]


async def present(
    tx: Context, user: User, ticket: Ticket, deadlines: list[asyncpg.Record] | None = None
) -> dict[str, Any]:
    """The ticket as this user may see it; a read of unmasked personal data is logged. `deadlines`:
    its open clocks when the caller knows them (else they are read)."""
    view = access.personal_view(user, tx.catalog, ticket)
    if view is PersonalView.FULL:
        await pii_log.record_reads(tx.conn, user, tx.now, pii_log.ticket_reads([ticket]), "view")
    names = tx.catalog.unit_names
    data = ticket_json(ticket, unit_names=names, view=view)
    data["deadlines"] = [
        {
            "id": d["id"],
            "track": d["track"],
            "rule_name": d["rule_name"],
            "unit_id": d["unit_id"],
            "start_at": d["start_at"].isoformat(),
            "due_at": d["due_at"].isoformat(),
            "warn_at": d["warn_at"].isoformat(),
            "status": d["status"],
        }
        for d in (await tx.conn.fetch(Q.open_deadlines, ticket.id) if deadlines is None else deadlines)
    ]
    return data


def _context(request: Request, *, intake: bool = False):  # type: ignore[no-untyped-def]
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request), intake=intake)


def action(
    path: str,
    summary: str,
    body: type[BaseModel] | None,
    use_case: UseCase,
    others: Callable[[Any], list[int]] | None = None,
) -> Endpoint:
    """A ticket action; `others(body)` names the other tickets it changes, all locked in id order first."""

    async def view(request: Request) -> Response:
        user = await current_user(request)
        ticket_id = int_param(request, "id")
        parsed = await parse_body(request, body) if body is not None else None
        async with _context(request) as tx:
            if others is None:
                ticket = await lock(tx.conn, ticket_id)
            else:
                ticket = (await lock_in_order(tx.conn, [ticket_id, *others(parsed)]))[ticket_id]
            await access.require_view(tx.conn, user, ticket, tx.catalog)
            await use_case(tx, request.app.state.intake, user, ticket, parsed)
            result = await present(tx, user, await lock(tx.conn, ticket_id))
        return ok(result)

    return Endpoint(
        "POST",
        f"/api/tickets/{{id:int}}/{path}",
        view,
        summary,
        "tickets",
        body,
        "Ticket",
        (200, 401, 403, 404, 409, 422),
    )


async def create(request: Request) -> Response:
    user = await current_user(request)
    body = await parse_body(request, schemas.NewTicket)
    key = request.headers.get("idempotency-key") or body.idempotency_key
    if key is not None and not 1 <= len(key) <= 200:
        raise ApiError(422, "Idempotency-Key 长度应为 1–200 个字符", code="invalid")
    async with _context(request, intake=True) as tx:
        access.require_hotline(user, tx.catalog)
        ticket, created = await intake.create_ticket(tx, request.app.state.intake, user, body, key)
        result = await present(tx, user, ticket, tx.clocks_started if created else None)
    return ok(result, 201 if created else 200)


async def suggest(request: Request) -> Response:
    user = await current_user(request)
    draft = await parse_body(request, schemas.IntakeDraft)
    async with _context(request) as tx:
        access.require_hotline(user, tx.catalog)
        return ok(await intake.suggest(tx, request.app.state.intake, user, draft))


async def visible_ticket(tx: Context, user: User, ticket_id: int) -> Ticket:
    """The ticket for reading (no lock), or the same 404 whether it is missing or not this user's."""
    row = await tx.conn.fetchrow(Q.ticket_by_id, ticket_id)
    if row is None:
        raise ApiError(404, "找不到该工单", code="ticket_not_found")
    ticket = Ticket.from_row(row)
    await access.require_view(tx.conn, user, ticket, tx.catalog)
    return ticket


async def get_ticket(request: Request) -> Response:
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    async with _context(request) as tx:
        return ok(await present(tx, user, await visible_ticket(tx, user, ticket_id)))


async def reveal(request: Request) -> Response:
    """查看号码: the caller's data unmasked, for the centre and for units that need numbers; always logged."""
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    async with _context(request) as tx:
        ticket = await visible_ticket(tx, user, ticket_id)
        access.require_reveal(user, tx.catalog, ticket)
        reads = pii_log.ticket_reads([ticket])
        await pii_log.record_reads(tx.conn, user, tx.now, reads, "reveal")
        return ok(
            {
                "ticket_id": ticket.id,
                "number": ticket.number,
                **personal_fields(ticket, PersonalView.FULL),
                "logged_fields": reads[0][1] if reads else [],
            }
        )


async def ticket_events(request: Request) -> Response:
    user = await current_user(request)
    ticket_id = int_param(request, "id")
    async with _context(request) as tx:
        ticket = await visible_ticket(tx, user, ticket_id)
        view = access.personal_view(user, tx.catalog, ticket)
        rows = await tx.conn.fetch(Q.ticket_events, ticket_id)
        # notes and reasons are free text: numbers in them are masked as in the content, or their read logged
        if view is PersonalView.FULL:
            if any(mask_text(e["reason"]) != e["reason"] for e in rows):
                await pii_log.record_reads(tx.conn, user, tx.now, [(ticket.id, ["trail"])], "view")
            shown = [(e["reason"], e["payload"]) for e in rows]
        else:
            shown = [(mask_text(e["reason"]), mask_payload(e["payload"])) for e in rows]
        names = tx.catalog.unit_names
        events = [
            {
                "id": e["id"],
                "at": e["at"].isoformat(),
                "action": e["action"],
                "from_state": e["from_state"],
                "to_state": e["to_state"],
                "from_unit_id": e["from_unit_id"],
                "from_unit_name": e["from_unit_name_then"] or names.get(e["from_unit_id"]),
                "to_unit_id": e["to_unit_id"],
                "to_unit_name": e["to_unit_name_then"] or names.get(e["to_unit_id"]),
                "actor_id": e["actor_id"],
                "actor_name": e["actor_name"] or "系统",
                "reason": reason,
                "payload": payload,
            }
            for e, (reason, payload) in zip(rows, shown, strict=True)
        ]
        return ok({"ticket_id": ticket_id, "events": events})


# One query per scope: $1 the units the user may see, $2 a state or NULL, $3 limit, $4 offset, $5 the scope's units.
LIST_QUERIES = {
    "inbox": Q.list_tickets_inbox,
    "cohandling": Q.list_tickets_cohandling,
    "queue": Q.list_tickets_queue,
    "reviews": Q.list_tickets_reviews,
    "extensions": Q.list_tickets_extensions,
    "all": Q.list_tickets_all,
    "callbacks": Q.list_tickets_callbacks,
}
# Columns a scope's query adds to the ticket's own: shown with the item (free text masked like the content).
EXTRA_COLUMNS = ("waiting_since", "callback_warn_at", "unreachable_attempts", "reopen_reason", "co_done_at")
TEXT_COLUMNS = frozenset({"reopen_reason"})
LIST_SCOPES = tuple(LIST_QUERIES)


async def list_tickets(request: Request) -> Response:
    """inbox: held by my unit; cohandling: co-handled (协办) by my unit or one below it; queue: waiting for a
    dispatcher at my unit, least sure classification first,
    with the model's top-3 (`prediction`); reviews: returns and completions waiting for my unit's review;
    extensions: pending extension requests of units below mine; all: everything I may see; callbacks: waiting
    for the hotline centre's callback (回访), the longest waiting first."""
    user = await current_user(request)
    scope = request.query_params.get("scope", "all")
    state = request.query_params.get("state")
    if scope not in LIST_SCOPES:
        raise ApiError(422, f"scope 取值无效，可选：{'、'.join(LIST_SCOPES)}", code="invalid")
    if state is not None and state not in {s.value for s in TicketState}:
        raise ApiError(422, "state 取值无效", code="invalid")
    limit = bounded_int(request, "limit", 50, 1, 500)
    offset = bounded_int(request, "offset", 0, 0, 1_000_000)
    async with _context(request) as tx:
        if scope == "callbacks":
            access.require_hotline(user, tx.catalog)
        units = access.visible_units(user, tx.catalog)
        visible = None if units is None else sorted(units)
        rows = await tx.conn.fetch(
            LIST_QUERIES[scope], visible, state or None, limit, offset, *await _scope_args(scope, user, tx)
        )
        names = tx.catalog.unit_names
        items, unmasked = [], []
        for r in rows:
            values = dict(r)
            next_due = values.pop("next_due")
            prediction = _prediction(values)
            extra = {key: values.pop(key) for key in EXTRA_COLUMNS if key in values}
            ticket = Ticket.from_row(values)  # type: ignore[arg-type]
            view = access.personal_view(user, tx.catalog, ticket)
            if view is PersonalView.FULL:
                unmasked.append(ticket)
            item = ticket_json(ticket, unit_names=names, view=view)
            item["next_due_at"] = next_due.isoformat() if next_due else None
            item.update(_extra_json(extra, view))
            if scope == "queue":
                item["prediction"] = prediction
            items.append(item)
        await pii_log.record_reads(tx.conn, user, tx.now, pii_log.ticket_reads(unmasked), "list")
        return ok({"items": items, "limit": limit, "offset": offset})


def _extra_json(extra: dict[str, Any], view: PersonalView) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in extra.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif key in TEXT_COLUMNS and value is not None and view is not PersonalView.FULL:
            value = mask_text(value)
        out[key] = value
    return out


def _prediction(values: dict[str, Any]) -> dict[str, Any] | None:
    """The model's guess the queue query adds to a row (removed from `values`): top-3 and the margin."""
    top = values.pop("prediction_top", None)
    margin = values.pop("prediction_margin", None)
    model = values.pop("prediction_model", None)
    if top is None:
        return None
    return {"top": top, "margin": round(float(margin), 4), "model_version": model}


async def _scope_args(scope: str, user: User, tx: Context) -> tuple[Any, ...]:
    """The units a scope's own filter takes ($5): mine, the ones I review (directly below, and below those with
    no reviewer of their own: a community's grids), or all below."""
    if scope in ("inbox", "queue"):
        return (user.unit_id,)
    if scope == "reviews":
        tree = tx.catalog.tree
        below = sorted(tree.subtree_ids(user.unit_id) - {user.unit_id})
        reviewing = {r["unit_id"] for r in await tx.conn.fetch(Q.reviewing_units, below)}
        return (list(tree.reviewed_by(user.unit_id, reviewing)),)
    if scope == "extensions":
        return (sorted(tx.catalog.tree.subtree_ids(user.unit_id) - {user.unit_id}),)
    if scope == "cohandling":
        return (sorted(tx.catalog.tree.subtree_ids(user.unit_id)),)
    return ()


async def _assign(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Assign) -> Any:
    return await flow.do_assign(tx, it.clock, user, t, b.unit_id, b.reason, b.category_code, b.co_unit_ids)


async def _sign(tx: Context, it: Any, user: User, t: Ticket, b: None) -> Any:
    return await flow.do_sign(tx, it.clock, user, t)


async def _return(tx: Context, it: Any, user: User, t: Ticket, b: schemas.ReasonOnly) -> Any:
    return await flow.do_return(tx, it.clock, user, t, b.reason)


async def _review_return(tx: Context, it: Any, user: User, t: Ticket, b: schemas.ReturnDecision) -> Any:
    return await flow.do_review_return(tx, it.clock, user, t, b.approve, b.note, b.reroute_to)


async def _contact(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Contact) -> Any:
    return await flow.do_record_contact(tx, it.clock, user, t, b.method, b.outcome, b.note)


async def _note(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Note) -> Any:
    return await flow.do_add_note(tx, user, t, b.text)


async def _extension(tx: Context, it: Any, user: User, t: Ticket, b: schemas.ExtensionRequest) -> Any:
    return await flow.do_request_extension(tx, user, t, b.extra_days, b.reason)


async def _review_extension(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Decision) -> Any:
    return await flow.do_decide_extension(tx, it.clock, user, t, b.approve, b.note)


async def _suspend(tx: Context, it: Any, user: User, t: Ticket, b: schemas.ReasonOnly) -> Any:
    return await flow.do_suspend(tx, it.clock, user, t, b.reason)


async def _resume(tx: Context, it: Any, user: User, t: Ticket, b: None) -> Any:
    return await flow.do_resume(tx, it.clock, user, t)


async def _complete(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Completion) -> Any:
    return await flow.do_submit_completion(tx, it.clock, user, t, b.result)


async def _review_completion(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Decision) -> Any:
    return await flow.do_review_completion(tx, it.clock, user, t, b.approve, b.note)


async def _callback(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Callback) -> Any:
    settings = it.settings.callback
    return await callbacks.do_callback(tx, it.clock, settings, user, t, b.reached, b.resolved, b.satisfaction, b.note)


async def _waive_callback(tx: Context, it: Any, user: User, t: Ticket, b: schemas.ReasonOnly) -> Any:
    return await callbacks.do_waive_callback(tx, it.clock, user, t, b.reason)


async def _close_on_spot(tx: Context, it: Any, user: User, t: Ticket, b: schemas.CloseOnSpot) -> Any:
    return await flow.do_close_on_spot(tx, user, t, b.kb_entry_id, b.note)


async def _merge(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Merge) -> Any:
    master = await lock(tx.conn, b.master_ticket_id)
    await access.require_view(tx.conn, user, master, tx.catalog)
    return await flow.do_merge(tx, it.clock, user, t, master, b.note)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/intake/suggest",
        suggest,
        "受理建议：分类、地点、派单、知识库、来电历史、相似工单",
        "intake",
        schemas.IntakeDraft,
        "Suggestions",
        (200, 401, 403, 422),
    ),
    Endpoint(
        "POST",
        "/api/tickets",
        create,
        "新建工单（幂等：Idempotency-Key）",
        "tickets",
        schemas.NewTicket,
        "Ticket",
        (200, 201, 401, 403, 404, 409, 422),
    ),
    Endpoint(
        "GET",
        "/api/tickets",
        list_tickets,
        "工单列表",
        "tickets",
        None,
        "TicketList",
        (200, 401, 422),
        query=(
            ("scope", {"type": "string", "enum": list(LIST_SCOPES)}),
            ("state", {"type": "string", "enum": [s.value for s in TicketState]}),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
            ("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
        ),
    ),
    Endpoint("GET", "/api/tickets/{id:int}", get_ticket, "工单详情", "tickets", None, "Ticket", (200, 401, 404)),
    Endpoint(
        "POST",
        "/api/tickets/{id:int}/reveal",
        reveal,
        "查看号码：诉求人姓名、号码与地址（记入个人信息查阅记录）",
        "tickets",
        None,
        "Revealed",
        (200, 401, 403, 404),
    ),
    Endpoint(
        "GET",
        "/api/tickets/{id:int}/events",
        ticket_events,
        "工单全过程记录",
        "tickets",
        None,
        "EventList",
        (200, 401, 404),
    ),
    action("assign", "派单 / 转派下级 / 改派", schemas.Assign, _assign),
    action("sign", "签收", None, _sign),
    action("return", "退单", schemas.ReasonOnly, _return),
    action("return-review", "退单审核（同意则退回上级派单队列）", schemas.ReturnDecision, _review_return),
    action("contact", "记录联系诉求人", schemas.Contact, _contact),
    action("notes", "办理进展", schemas.Note, _note),
    action("extension", "申请延期", schemas.ExtensionRequest, _extension),
    action("extension-review", "延期审核", schemas.Decision, _review_extension),
    action("suspend", "挂起", schemas.ReasonOnly, _suspend),
    action("resume", "恢复办理", None, _resume),
    action("complete", "提交办结", schemas.Completion, _complete),
    action("completion-review", "办结审核", schemas.Decision, _review_completion),
    action("callback", "回访（未接通达到次数则按无法联系办结）", schemas.Callback, _callback),
    action("callback-waive", "免回访办结（须填写原因）", schemas.ReasonOnly, _waive_callback),
    action("close-on-spot", "直接办结", schemas.CloseOnSpot, _close_on_spot),
    action("merge", "并单", schemas.Merge, _merge, others=lambda b: [b.master_ticket_id]),
]
