"""Intake (受理): suggestions while the call is going on, and creating the ticket.

Creating is idempotent on the idempotency key: a retried submit returns the ticket the first
one made. A new ticket is analysed (category, place, complexity), then closed on the spot,
merged into an open master ticket, or routed: auto-dispatched down the chain when routing is
sure, otherwise parked in the dispatcher queue of the deepest level it could determine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from dispatch.routing import Place, RoutingDecision, RoutingError, route
from dispatch.states import Action, TicketState
from dispatch.ticket_types import TicketType
from hotline import kb
from hotline.analysis import Analysis, TextServices
from hotline.auth import User
from hotline.errors import ApiError
from hotline.learning import labels
from hotline.queries import Q
from hotline.schemas import IntakeDraft, NewTicket
from hotline.settings import Settings
from hotline.sla.clock import SlaClock
from hotline.tickets import flow, search_index, service_days
from hotline.tickets.journal import CREATED, Context, announce, lock
from hotline.tickets.records import Ticket, summary
from realtime.events import EventType

log = structlog.get_logger(__name__)
HISTORY_SUMMARY_LENGTH = 80


@dataclass(frozen=True)
class Intake:
    """What intake needs that lives for the whole process."""

    settings: Settings
    clock: SlaClock
    text: TextServices

    @classmethod
    def from_settings(cls, settings: Settings) -> Intake:
        text = TextServices(
            settings.path(settings.classifier.model_dir),
            settings.intake.complex_categories,
            reload_check_s=settings.classifier.reload_check_s,
        )
        return cls(settings, SlaClock.from_settings(settings), text)


def _routing(ctx: Context, intake: Intake, analysis: Analysis, holder_id: int) -> Any:
    try:
        return route(
            analysis.category_code or "",
            analysis.confidence,
            analysis.place,
            ctx.catalog.tree,
            ctx.catalog.rules,
            threshold=intake.settings.classifier.auto_dispatch_threshold,
            holder_unit_id=holder_id,
        )
    except RoutingError as exc:  # the responsibility table contradicts the org tree: a person must decide
        log.warning("routing data inconsistent", error=str(exc))
        return route("", 0.0, Place(), ctx.catalog.tree, (), threshold=1.0, holder_unit_id=holder_id)


async def suggest(ctx: Context, intake: Intake, user: User, draft: IntakeDraft) -> dict[str, Any]:
    """Everything the operator's console shows beside the form while the caller talks."""
    analysis = intake.text.analyse(ctx.catalog, draft.content, draft.address, draft.category_code, draft.is_complex)
    decision = _routing(ctx, intake, analysis, ctx.catalog.tree.root.id)
    return {
        "analysis": analysis.to_json(ctx.catalog),
        "routing": flow.routing_json(decision, ctx),
        "knowledge": await kb.search(ctx.conn, intake.text.tokens, draft.content, category_code=analysis.category_code),
        "caller_history": await caller_history(ctx, draft.caller_phone),
        "similar_open": await merge_candidates(ctx, intake, draft.content, draft.caller_phone, analysis),
    }


async def caller_history(ctx: Context, phone: str | None) -> list[dict[str, Any]]:
    if not phone:
        return []
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "type": r["type"],
            "category_code": r["category_code"],
            "state": r["state"],
            "state_label": TicketState(r["state"]).label,
            "summary": summary(r["content"], HISTORY_SUMMARY_LENGTH),
            "created_at": r["created_at"].isoformat(),
        }
        for r in await ctx.conn.fetch(Q.caller_history, phone)
    ]


async def merge_candidates(
    ctx: Context, intake: Intake, content: str, phone: str | None, analysis: Analysis
) -> list[dict[str, Any]]:
    """Open tickets that may be the same problem (并单): same caller, same place and category, or near-same text."""
    since = ctx.now - timedelta(days=intake.settings.intake.repeat_days)
    rows = await ctx.conn.fetch(Q.merge_candidates, since, phone, analysis.category_code, analysis.place.community_id)
    scored = []
    for r in rows:
        similarity = intake.text.similarity(content, r["content"])
        same_caller = bool(phone) and r["caller_phone"] == phone
        same_place = (
            analysis.place.community_id is not None
            and r["place"].get("community_id") == analysis.place.community_id
            and r["category_code"] == analysis.category_code
        )
        if not (same_caller or same_place or similarity >= intake.settings.intake.similar_min_score):
            continue
        reasons = [
            *(["同一来电人"] if same_caller else []),
            *(["同一地点同类问题"] if same_place else []),
            *([f"内容相似度 {similarity:.2f}"] if similarity >= intake.settings.intake.similar_min_score else []),
        ]
        scored.append(
            {
                "id": r["id"],
                "number": r["number"],
                "state": r["state"],
                "state_label": TicketState(r["state"]).label,
                "summary": summary(r["content"], HISTORY_SUMMARY_LENGTH),
                "similarity": round(similarity, 3),
                "reasons": reasons,
                "created_at": r["created_at"].isoformat(),
            }
        )
    scored.sort(key=lambda c: (-len(c["reasons"]), -c["similarity"]))
    return scored[:10]


def is_confidential(body: NewTicket) -> bool:
    """保密 as the caller asked; a 举报 (report) is confidential unless the caller says otherwise."""
    return body.confidential if body.confidential is not None else body.type == TicketType.REPORT.value


async def create_ticket(
    ctx: Context, intake: Intake, user: User, body: NewTicket, idempotency_key: str | None
) -> tuple[Ticket, bool]:
    """Create (or, for a retried submit, find) the ticket; returns (ticket, created)."""
    catalog = ctx.catalog
    if body.category_code is not None and body.category_code not in catalog.categories:
        raise ApiError(422, f"分类代码 {body.category_code} 不存在", code="unknown_category")
    analysis = await intake.text.analyse_batched(
        catalog, body.content, body.address, body.category_code, body.is_complex
    )
    root = catalog.tree.root.id
    row = await ctx.conn.fetchrow(
        Q.insert_ticket,
        f"{ctx.now.astimezone(intake.settings.tz):%Y%m%d}",
        idempotency_key,
        body.type,
        body.channel,
        body.caller_phone,
        body.caller_name,
        body.address,
        body.content,
        analysis.category_code,
        analysis.confidence,
        analysis.category_source,
        body.urgency,
        analysis.is_complex,
        analysis.complexity_json(),
        analysis.place_json(),
        root,
        user.id,
        ctx.now,
        user.unit_id,
        Action.CREATE.value,
        {"channel": body.channel, "analysis": analysis.to_json(catalog)},
        is_confidential(body),
        search_index.index_tokens(intake.text.segmenter, body.content),
        *labels.prediction_row(analysis),
        timedelta(days=intake.settings.supervision.repeat_days),
    )
    if row is None:  # the same submit again: answer with what the first one made
        existing = await ctx.conn.fetchval(Q.ticket_id_by_idempotency_key, idempotency_key)
        return await lock(ctx.conn, existing), False
    ticket = Ticket.from_row(row)  # ours alone until commit: no lock needed; the model's guess is kept with it
    announce(ctx, EventType.TICKET_CREATED, ticket, {"type_label": ticket.type.label}, moved_from=CREATED)
    decided: list[RoutingDecision] = []

    def decision() -> RoutingDecision:  # the routing's, or for a call not routed the one it would have had
        if not decided:
            decided.append(_routing(ctx, intake, analysis, root))
        return decided[0]

    if body.close_on_spot:
        ticket = await flow.do_close_on_spot(ctx, user, ticket, body.kb_entry_id, body.answer or "")
    elif body.merge_into is not None:
        master = await lock(ctx.conn, body.merge_into)
        ticket = await flow.do_merge(ctx, intake.clock, user, ticket, master, "受理时并单")
    else:
        ticket = await flow.route_decision(ctx, intake.clock, ticket, decision())
    await service_days.mark_call(ctx, ticket, decision)  # 专题服务日: a leader on the line for this unit now
    return ticket, True
