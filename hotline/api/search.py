"""查找工单: one search for every role, within what each may see (hotline/access.py).

By number (or its beginning), by the caller's phone (the hotline centre only: elsewhere numbers are masked
and not a key), or by free text (jieba words, all must match); filtered by category, unit, state, type,
channel, overdue / supervised and dates; newest or oldest first, a page at a time with a cursor."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dispatch.org import Level
from dispatch.states import TicketState
from dispatch.ticket_types import TicketType
from hotline import access
from hotline.api.common import Endpoint, bounded_int, now, ok
from hotline.auth import User, current_user
from hotline.errors import ApiError
from hotline.schemas import PHONE_PATTERN
from hotline.tickets import search
from hotline.tickets.journal import Context, transaction
from hotline.tickets.records import CHANNEL_LABELS

NUMBER_RE = r"^[A-Za-z0-9-]{4,40}$"
NUMBER_PATTERN = re.compile(NUMBER_RE)
CURSOR_RE = r"^(-?\d{1,20})\.(\d{1,19})$"
CURSOR_PATTERN = re.compile(CURSOR_RE)
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 16
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR_MIN_US = int((datetime(1, 1, 2, tzinfo=UTC) - EPOCH).total_seconds()) * 1_000_000
CURSOR_MAX_US = int((datetime(9999, 12, 30, tzinfo=UTC) - EPOCH).total_seconds()) * 1_000_000
TYPE_CHOICES = [t.value for t in TicketType]
CHANNEL_CHOICES = list(CHANNEL_LABELS)
FLAG_CHOICES = ["0", "1"]
STATE_CHOICES = ["open", *(s.value for s in TicketState)]


def _invalid(message: str) -> ApiError:
    return ApiError(422, message, code="invalid")


def _key(request: Request, user: User, tx: Context, words: Any) -> search.Key:
    """By number, else phone, else words (the page sends one). Words with nothing to look for (only stop words,
    a number, a NUL) find nothing rather than refuse: the query string was valid, the words were not words."""
    params = request.query_params
    if (number := params.get("number")) is not None:
        if not NUMBER_PATTERN.match(number):
            raise _invalid("工单号只能包含字母、数字和连字符（4–40 位）")
        return search.Key("number", search.number_prefix(number.upper()))
    if (phone := params.get("phone")) is not None:
        if not access.at_hotline_centre(user, tx.catalog):
            raise ApiError(403, "只有热线中心可以按来电号码查找工单", code="not_hotline")
        if not re.match(PHONE_PATTERN, phone):
            raise _invalid("来电号码格式不正确")
        return search.Key("phone", phone)
    text = (params.get("q") or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise _invalid(f"关键词过长（上限 {MAX_QUERY_CHARS} 字）")
    if not text:
        return search.Key("filters")
    tokens = [] if "\x00" in text else words(text)[:MAX_QUERY_WORDS]
    return search.Key("text", " ".join(tokens)) if tokens else search.Key("nothing")


def _choice(request: Request, name: str, allowed: list[str], label: str) -> str | None:
    value = request.query_params.get(name)
    if value is not None and value not in allowed:
        raise _invalid(f"{label}取值无效")
    return value


def _states(request: Request) -> list[str] | None:
    given = request.query_params.getlist("state")
    if not given:
        return None
    states: list[str] = []
    for part in given:
        if part not in STATE_CHOICES:
            raise _invalid("状态取值无效")
        states += search.OPEN_STATES if part == "open" else [part]
    return sorted(set(states))


def _day(request: Request, name: str, label: str) -> date | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise _invalid(f"{label}应为日期（如 2026-12-01）") from None
    return min(max(day, FIRST_DAY), LAST_DAY)  # beyond them no ticket, and no overflow at the time zone


def _scope(request: Request, user: User, tx: Context) -> tuple[list[int] | None, bool]:
    """The user's units (access.visible_units), or the one unit asked for among them; whether they are below a
    district (a street's, department's, community's or one unit's: maybe few enough to start from, sized_scope)."""
    visible = access.visible_units(user, tx.catalog)
    unit_id = bounded_int(request, "unit", 0, 0, 2**62) or None
    if unit_id is None:
        root = None if visible is None else user.unit_id
        units = None if visible is None else sorted(visible)
    elif unit_id not in tx.catalog.unit_names or (visible is not None and unit_id not in visible):
        raise ApiError(403, "只能查找本单位及下级单位的工单", code="unit_out_of_scope")
    else:
        root, units = unit_id, [unit_id]
    return units, root is not None and tx.catalog.tree.unit(root).level.rank > Level.DISTRICT.rank


def _filters(request: Request, tz: Any) -> search.Filters:
    """An unknown category, or dates the wrong way round, are valid questions with no answer: no tickets."""
    first, last = _day(request, "from", "开始日期"), _day(request, "to", "结束日期")
    return search.Filters(
        states=_states(request),
        type=_choice(request, "type", TYPE_CHOICES, "类型"),
        channel=_choice(request, "channel", CHANNEL_CHOICES, "渠道"),
        category_code=request.query_params.get("category") or None,
        overdue=_choice(request, "overdue", FLAG_CHOICES, "超期") == "1",
        supervised=_choice(request, "supervised", FLAG_CHOICES, "督办") == "1",
        since=datetime.combine(first, time(), tz).astimezone(UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC) if last else None,
    )


def _page(request: Request) -> search.Page:
    sort = _choice(request, "sort", list(search.SORTS), "排序") or "newest"
    after = None
    if (raw := request.query_params.get("after")) is not None:
        match = CURSOR_PATTERN.match(raw)
        if match is None:
            raise _invalid("after 不是有效的翻页位置")
        micros = min(max(int(match.group(1)), CURSOR_MIN_US), CURSOR_MAX_US)
        after = (EPOCH + timedelta(microseconds=micros), int(match.group(2)))
    return search.Page(sort, after, bounded_int(request, "limit", 50, 1, 200))


async def search_tickets(request: Request) -> Response:
    user = await current_user(request)
    state = request.app.state
    text = state.intake.text
    async with transaction(state.pool, state.catalogs, state.redis, now(request)) as tx:
        text.place_index(tx.catalog)  # the city's place names are words, as when the tickets were indexed
        key = _key(request, user, tx, text.segmenter.query_words)
        units, below_district = _scope(request, user, tx)
        filters = _filters(request, state.settings.tz)
        page = _page(request)
        # the standby when one keeps up (docs/operations.md): searching must not load the primary
        async with state.reads.acquire() as reader, reader.transaction():
            scope = await search.sized_scope(reader, units, below_district)
            found = await search.find(reader, key, filters, page, scope, tx.now)
        items = []
        for row in found.rows:
            ticket, extra = search.split(row)
            items.append(search.result_json(ticket, extra, tx.catalog, access.personal_view(user, tx.catalog, ticket)))
    return ok(
        {
            "items": items,
            "more": found.more,
            "next": search.cursor(found.rows[-1]) if found.more else None,
            "by": key.kind,
            "notice": "关键词中没有可查找的词，请换个说法" if key.kind == "nothing" else None,
        }
    )


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/search/tickets",
        search_tickets,
        "查找工单：工单号、来电号码（仅热线中心）、关键词，按分类、单位、状态、类型、渠道、超期、督办、日期筛选",
        "tickets",
        None,
        "SearchResults",
        (200, 401, 403, 422),
        query=(
            ("number", {"type": "string", "pattern": NUMBER_RE}),
            ("phone", {"type": "string", "pattern": PHONE_PATTERN}),
            ("q", {"type": "string", "maxLength": MAX_QUERY_CHARS}),
            ("state", {"type": "array", "items": {"type": "string", "enum": STATE_CHOICES}}),
            ("type", {"type": "string", "enum": TYPE_CHOICES}),
            ("channel", {"type": "string", "enum": CHANNEL_CHOICES}),
            ("category", {"type": "string"}),
            ("unit", {"type": "integer", "minimum": 0, "maximum": 2**62}),
            ("overdue", {"type": "string", "enum": FLAG_CHOICES}),
            ("supervised", {"type": "string", "enum": FLAG_CHOICES}),
            ("from", {"type": "string", "format": "date"}),
            ("to", {"type": "string", "format": "date"}),
            ("sort", {"type": "string", "enum": list(search.SORTS)}),
            ("after", {"type": "string", "pattern": CURSOR_RE}),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
        ),
    ),
]
