"""Finding a ticket (查找工单): by number, caller phone or free text, with filters, within what the user may
see, newest or oldest first, a page at a time (keyset on created_at and id: no cap on how deep one pages).
Results are list lines: the summary and the caller's number masked for everyone (whoever needs more
opens the ticket, where reads are logged)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from hotline.catalog_cache import Catalog
from hotline.queries import Q
from hotline.tickets.records import CHANNEL_LABELS, PersonalView, Ticket, mask_phone, summary

OPEN_STATES = ("new", "pending_dispatch", "assigned", "signed", "suspended", "returned", "completed", "reviewed")
SORTS = ("newest", "oldest")
RECENT_ROWS = 5000  # the newest tickets a search by words reads in order before it uses the GIN index
# A search by words reads back from the page's top in windows, each older than the last: the first FIRST_WINDOW
# long; after one that found nothing, the search reaches WINDOW_GROWTH times as far back (3, 9, 27, 81 days); after
# one that found some, the next is as long as the matches so far say the rest of the page needs, with HEADROOM.
# Past WINDOWED_SPAN the last window takes all the rest.
FIRST_WINDOW = timedelta(days=3)
WINDOW_GROWTH = 3
HEADROOM = 1.5
WINDOWED_SPAN = timedelta(days=243)
# A scope below a district is read whole (search.sql's narrow queries) while it holds at most this many tickets: that
# costs 5-11 µs a ticket whatever the words (a megacity's busiest community holds 78,000: 0.75 s), where the windows
# over the city's matches take a larger scope in 80-200 ms but may read far for words a small one rarely has (on
# 1M tickets, a community of 14,000: up to 4.4 s; docs/benchmarks.md).
NARROW_TICKETS = 20_000
# A larger scope below a district, up to this many tickets, is still read whole when the newest tickets did not fill
# the page, instead of through the windows: for a community of 76,000 tickets on 10M, those took 519 ms p50 but
# 18.5 s p99 (and once over the 30-s statement timeout) for words it rarely has; this way 779 ms p50, 1.3 s p99.
WHOLE_TICKETS = 100_000
EXTRA_COLUMNS = ("next_due", "overdue", "supervised", "last_action", "last_at")
SCOPES = ("wide", "narrow")
QUERIES = {
    (sort, key, scope): getattr(Q, f"search_{sort}_{key}_{scope}")
    for sort in SORTS
    for key in ("number", "phone", "text", "filters")
    for scope in SCOPES
}


@dataclass(frozen=True)
class Key:
    """What the search is by: a number (prefix), a phone, free text (its jieba words), or nothing but filters."""

    kind: str  # number | phone | text | filters | nothing (words with no word to look for)
    value: str | None = None


@dataclass(frozen=True)
class Scope:
    """Whose tickets: those that any of `units` holds or held (None: every ticket). `narrow` when they are few
    enough to start from, `bounded` when few enough to read whole after the newest tickets (`sized_scope`)."""

    units: list[int] | None = None
    narrow: bool = False
    bounded: bool = False

    @property
    def kind(self) -> str:
        return "narrow" if self.narrow and self.units is not None else "wide"


async def sized_scope(conn: asyncpg.Connection, units: list[int] | None, below_district: bool) -> Scope:
    """The scope of `units`: below a district, narrow when they hold at most NARROW_TICKETS tickets and bounded at
    most WHOLE_TICKETS (counted no further than that)."""
    if units is None or not below_district:
        return Scope(units)
    held = await conn.fetchval(Q.search_scope_tickets_up_to, units, WHOLE_TICKETS)
    return Scope(units, narrow=held <= NARROW_TICKETS, bounded=held <= WHOLE_TICKETS)


@dataclass(frozen=True)
class Filters:
    states: list[str] | None = None
    type: str | None = None
    channel: str | None = None
    category_code: str | None = None
    overdue: bool = False
    supervised: bool = False
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Page:
    sort: str = "newest"
    after: tuple[datetime, int] | None = None
    limit: int = 50


@dataclass(frozen=True)
class Found:
    rows: list[asyncpg.Record]
    more: bool


async def find(
    conn: asyncpg.Connection, key: Key, filters: Filters, page: Page, scope: Scope, now: datetime,
    recent_rows: int = RECENT_ROWS,
) -> Found:  # fmt: skip
    """One page of matches (`limit` rows, and whether more follow) among the tickets of the scope."""
    if key.kind == "nothing":  # words with no word in them
        return Found([], False)
    await conn.execute(Q.search_custom_plans)
    if key.kind == "text" and page.sort == "newest" and scope.kind == "wide":  # a narrow scope is read whole
        return await _newest_words(conn, key, filters, page, scope, now, recent_rows)
    return await _fetch(conn, key, filters, page, scope, now)


async def _newest_words(
    conn: asyncpg.Connection, key: Key, filters: Filters, page: Page, scope: Scope, now: datetime,
    recent_rows: int,
) -> Found:  # fmt: skip
    """Words, newest first: first among the newest RECENT_ROWS tickets read in order (common words such as 小区
    物业 fill a page there; PostgreSQL would otherwise read their long lists in the GIN index, or fetch every match
    to sort it), then through the GIN index in the last days before the page's start, then in older windows until
    the page is full: a window fetches few matches to sort, the windows do not overlap (each day's matches are read
    once), and their rows, newest window first, are the newest page overall."""
    recent = await _fetch(conn, key, filters, page, scope, now, recent_rows)
    if recent.more:
        return recent
    if scope.bounded:  # WHOLE_TICKETS: read whole, in a time that does not depend on the words
        return await _fetch(conn, key, filters, page, replace(scope, narrow=True), now)
    top = page.after[0] if page.after else min(now, filters.until or now)
    rows: list[asyncpg.Record] = []
    reached, upper = top, filters.until  # read so far: [reached, top); the next window ends before `upper`
    while True:
        lower: datetime | None = reached - _next_span(top - reached, len(rows), page.limit + 1)
        if lower is not None and top - lower > WINDOWED_SPAN:
            lower = None
        last = lower is None or (filters.since is not None and lower <= filters.since)
        window = replace(filters, since=filters.since if last else lower, until=upper)
        wanted = page.limit - len(rows)  # one more row than this says there is more
        found = await _fetch(conn, key, window, replace(page, limit=wanted), scope, now)
        rows += found.rows
        if found.more or last:
            return Found(rows, found.more)
        assert lower is not None
        reached = upper = lower  # windows meet without overlap: `since` is inclusive, `until` exclusive


def _next_span(read: timedelta, found: int, wanted: int) -> timedelta:
    """How far the next window reaches back, having read `read` back from the top and found `found` matches there
    (fewer than the `wanted`)."""
    if not read:
        return FIRST_WINDOW
    if not found:
        return read * (WINDOW_GROWTH - 1)
    return read * (wanted - found) / found * HEADROOM


async def plain_page(
    conn: asyncpg.Connection, key: Key, filters: Filters, page: Page, scope: Scope, now: datetime
) -> Found:
    """The page as one query finds it, without the recent rows and the windows (what they must equal)."""
    await conn.execute(Q.search_custom_plans)
    return await _fetch(conn, key, filters, page, scope, now)


async def _fetch(
    conn: asyncpg.Connection, key: Key, filters: Filters, page: Page, scope: Scope, now: datetime,
    recent: int | None = None,
) -> Found:  # fmt: skip
    after_at, after_id = page.after if page.after else (None, None)
    args: list[Any] = [
        scope.units, filters.states, filters.type, filters.channel, filters.category_code, filters.overdue,
        filters.supervised, filters.since, filters.until, now, after_at, after_id, page.limit + 1,
    ]  # fmt: skip
    if key.kind != "filters":
        args.append(key.value)
    if recent is not None:
        rows = await conn.fetch(Q.search_newest_text_recent, *args, recent)
    else:
        rows = await conn.fetch(QUERIES[(page.sort, key.kind, scope.kind)], *args)
    return Found(rows[: page.limit], len(rows) > page.limit)


def number_prefix(number: str) -> str:
    """A LIKE pattern for the numbers starting with `number` (its wildcards escaped)."""
    return number.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def cursor(row: asyncpg.Record) -> str:
    """Where the next page starts: the last row's created_at (microseconds) and id."""
    at: datetime = row["created_at"]
    micros = int(at.timestamp()) * 1_000_000 + at.microsecond
    return f"{micros}.{row['id']}"


def split(row: asyncpg.Record) -> tuple[Ticket, dict[str, Any]]:
    """A result row as the ticket and what search_page_columns added."""
    values = dict(row)
    extra = {k: values.pop(k) for k in EXTRA_COLUMNS}
    return Ticket.from_row(values), extra  # type: ignore[arg-type]


def result_json(ticket: Ticket, extra: dict[str, Any], catalog: Catalog, view: PersonalView) -> dict[str, Any]:
    """A result line: masked summary and phone whatever the view (the ticket page shows more, logged)."""
    category = catalog.categories.get(ticket.category_code or "")
    withheld = view is PersonalView.WITHHELD
    return {
        "id": ticket.id,
        "number": ticket.number,
        "type": ticket.type.value,
        "type_label": ticket.type.label,
        "channel": ticket.channel,
        "channel_label": CHANNEL_LABELS[ticket.channel],
        "state": ticket.state.value,
        "state_label": ticket.state.label,
        "category_code": ticket.category_code,
        "category_name": category.name if category else None,
        "holder_unit_id": ticket.holder_unit_id,
        "holder_unit_name": catalog.unit_names.get(ticket.holder_unit_id) if ticket.holder_unit_id else None,
        "summary": summary(ticket.content),
        "caller_phone": None if withheld else mask_phone(ticket.caller_phone),
        "confidential": ticket.confidential,
        "urgency": ticket.urgency,
        "created_at": ticket.created_at.isoformat(),
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        "next_due_at": extra["next_due"].isoformat() if extra["next_due"] else None,
        "overdue": extra["overdue"],
        "supervised": extra["supervised"],
        "last_action": extra["last_action"],
        "last_at": extra["last_at"].isoformat() if extra["last_at"] else None,
        "reopen_count": ticket.reopen_count,
    }
