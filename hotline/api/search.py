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

NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9-]{4,40}$")
CURSOR_PATTERN = re.compile(r"^(-?\d{1,20})\.(\d{1,19})$")
MAX_QUERY_WORDS = 16


def _invalid(message: str) -> ApiError:
    return ApiError(422, message, code="invalid")


def _key(request: Request, user: User, tx: Context, words: Any) -> search.Key:
    given = {k: v.strip() for k in ("number", "phone", "q") if (v := request.query_params.get(k)) and v.strip()}
    if any("\x00" in v for v in given.values()):
        raise _invalid("查找内容含有空字符（\\u0000），请删除后重试")
    if len(given) > 1:
        raise _invalid("工单号、来电号码和关键词一次只能按一种查找")
    if "number" in given:
        if not NUMBER_PATTERN.match(given["number"]):
            raise _invalid("工单号只能包含字母、数字和连字符（4–40 位）")
        return search.Key("number", search.number_prefix(given["number"].upper()))
    if "phone" in given:
        if not access.at_hotline_centre(user, tx.catalog):
            raise ApiError(403, "只有热线中心可以按来电号码查找工单", code="not_hotline")
        phone = re.sub(r"\s", "", given["phone"])
        if not re.match(PHONE_PATTERN, phone):
            raise _invalid("来电号码格式不正确")
        return search.Key("phone", phone)
    if "q" in given:
        if len(given["q"]) > 200:
            raise _invalid("关键词过长（上限 200 字）")
        tokens = words(given["q"])[:MAX_QUERY_WORDS]
        if not tokens:
            raise _invalid("关键词中没有可查找的词，请换个说法")
        return search.Key("text", " ".join(tokens))
    return search.Key("filters")


def _choice(request: Request, name: str, allowed: set[str], label: str) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in allowed:
        raise _invalid(f"{label}取值无效")
    return value


def _states(request: Request) -> list[str] | None:
    raw = request.query_params.get("state")
    if not raw:
        return None
    states: list[str] = []
    for part in raw.split(","):
        if part == "open":
            states += search.OPEN_STATES
        elif part in {s.value for s in TicketState}:
            states.append(part)
        else:
            raise _invalid("状态取值无效")
    return sorted(set(states))


def _day(request: Request, name: str, label: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise _invalid(f"{label}应为日期（如 2026-12-01）") from None
    if not 1900 <= day.year <= 2200:
        raise _invalid(f"{label}应在 1900–2200 年之间")
    return day


def _scope(request: Request, user: User, tx: Context) -> search.Scope:
    """The user's units (access.visible_units), or the one unit asked for among them. Narrow below a district:
    a street's or a department's tickets are few enough to start from (sql/queries/search.sql)."""
    visible = access.visible_units(user, tx.catalog)
    unit_id = bounded_int(request, "unit", 0, 0, 2**62) or None
    if unit_id is None:
        root = None if visible is None else user.unit_id
        units = None if visible is None else sorted(visible)
    elif unit_id not in tx.catalog.unit_names or (visible is not None and unit_id not in visible):
        raise ApiError(403, "只能查找本单位及下级单位的工单", code="unit_out_of_scope")
    else:
        root, units = unit_id, [unit_id]
    narrow = root is not None and tx.catalog.tree.unit(root).level.rank > Level.DISTRICT.rank
    return search.Scope(units, narrow)


def _filters(request: Request, tx: Context, tz: Any) -> search.Filters:
    category = request.query_params.get("category") or None
    if category is not None and category not in tx.catalog.categories:
        raise _invalid("分类取值无效")
    first, last = _day(request, "from", "开始日期"), _day(request, "to", "结束日期")
    if first and last and last < first:
        raise _invalid("结束日期不能早于开始日期")
    return search.Filters(
        states=_states(request),
        type=_choice(request, "type", {t.value for t in TicketType}, "类型"),
        channel=_choice(request, "channel", set(CHANNEL_LABELS), "渠道"),
        category_code=category,
        overdue=_flag(request, "overdue"),
        supervised=_flag(request, "supervised"),
        since=datetime.combine(first, time(), tz).astimezone(UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC) if last else None,
    )


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "")
    if raw not in ("", "0", "1", "true", "false"):
        raise _invalid(f"{name} 应为 1 或 0")
    return raw in ("1", "true")


def _page(request: Request) -> search.Page:
    sort = _choice(request, "sort", set(search.SORTS), "排序") or "newest"
    after = None
    if raw := request.query_params.get("after"):
        match = CURSOR_PATTERN.match(raw)
        if match is None:
            raise _invalid("after 不是有效的翻页位置")
        micros, ticket_id = int(match.group(1)), int(match.group(2))
        try:
            at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
        except OverflowError:
            raise _invalid("after 不是有效的翻页位置") from None
        after = (at, ticket_id)
    return search.Page(sort, after, bounded_int(request, "limit", 50, 1, 200))


async def search_tickets(request: Request) -> Response:
    user = await current_user(request)
    state = request.app.state
    text = state.intake.text
    async with transaction(state.pool, state.catalogs, state.redis, now(request)) as tx:
        text.place_index(tx.catalog)  # the city's place names are words, as when the tickets were indexed
        key = _key(request, user, tx, text.segmenter.query_words)
        scope = _scope(request, user, tx)
        filters = _filters(request, tx, state.settings.tz)
        page = _page(request)
        # the standby when one keeps up (docs/operations.md): searching must not load the primary
        async with state.reads.acquire() as reader, reader.transaction():
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
            ("number", {"type": "string"}),
            ("phone", {"type": "string"}),
            ("q", {"type": "string"}),
            ("state", {"type": "string"}),
            ("type", {"type": "string", "enum": [t.value for t in TicketType]}),
            ("channel", {"type": "string", "enum": list(CHANNEL_LABELS)}),
            ("category", {"type": "string"}),
            ("unit", {"type": "integer", "minimum": 0}),
            ("overdue", {"type": "string", "enum": ["0", "1"]}),
            ("supervised", {"type": "string", "enum": ["0", "1"]}),
            ("from", {"type": "string", "format": "date"}),
            ("to", {"type": "string", "format": "date"}),
            ("sort", {"type": "string", "enum": list(search.SORTS)}),
            ("after", {"type": "string"}),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
        ),
    ),
]
