"""Bulk demo history: months of closed and open tickets written with COPY and set-based SQL,
not the use-cases, so a year of a large city takes minutes. Reproducible (fixed seed).

Tickets are generated in Python and copied in; their deadlines, contacts, SLA alerts and
appeals are then derived from the tickets by INSERT ... SELECT. Deadlines here use natural
time (reply: [sla] reply_minutes after assignment; completion: completion_days after), a
simplification of the working calendar that is good enough for history.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import random
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg

from classifier.segment import Segmenter
from hotline.demo.city import RESPONSIBILITY
from hotline.queries import Q
from hotline.settings import Settings
from hotline.tickets import search_index

CORPUS = Path(__file__).resolve().parents[2] / "classifier" / "bootstrap" / "corpus.csv"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
TYPES = [
    ("complaint", 30),
    ("help_request", 30),
    ("consultation", 20),
    ("report", 10),
    ("suggestion", 8),
    ("praise", 2),
]
CHANNELS = [("phone", 70), ("web", 12), ("app", 15), ("api", 3)]
# Categories that rise in summer (water, power, noise) and in winter (heating lives under UTILITIES too).
SUMMER = {"UTILITIES": 1.6, "NOISE": 1.5, "POLLUTION": 1.3}
HOURS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 10, 12, 14, 14, 13, 11, 9, 8, 6, 4, 2, 1]
BATCH = 50_000
TICKET_COLUMNS = [
    "number", "type", "channel", "caller_phone", "caller_name", "address", "content", "category_code",
    "category_confidence", "category_source", "place", "state", "holder_unit_id", "lead_unit_id",
    "created_at", "updated_at", "assigned_at", "signed_at", "first_contact_at", "completed_at", "closed_at",
    "satisfaction", "resolved", "return_count", "reopen_count", "search_tokens",
]  # fmt: skip
PLANTED_TEXT = "小区突然停水了，到现在还没有来水，家里老人孩子都没水用，请尽快处理。"


@dataclass(frozen=True)
class Community:
    id: int
    name: str
    street_id: int
    district_id: int


@dataclass(frozen=True)
class City:
    communities: list[Community]
    departments: dict[tuple[int, str], int]  # (district id, kind) -> unit id
    texts: dict[str, list[str]]  # category code -> corpus texts
    categories: list[str]
    tokens: dict[str, str]  # corpus text -> its search tokens (few texts, a million tickets: cut each once)

    def with_tokens(self, row: tuple) -> tuple:
        content = row[6]
        if content not in self.tokens:
            self.tokens[content] = search_index.index_tokens(self.segmenter, content)
        return (*row, self.tokens[content])

    @functools.cached_property
    def segmenter(self) -> Segmenter:
        return search_index.city_segmenter([c.name for c in self.communities])


@dataclass(frozen=True)
class Planted:
    """A cluster written on purpose: `count` tickets of one category from one community in a few hours."""

    category_code: str
    community_id: int
    start: datetime
    count: int


async def load_city(conn: asyncpg.Connection) -> City:
    units = {r["id"]: r for r in await conn.fetch(Q.history_units)}
    communities = []
    departments = {}
    for u in units.values():
        if u["level"] == "community":
            street = units[u["parent_id"]]
            communities.append(Community(u["id"], u["name"], street["id"], street["parent_id"]))
        elif u["level"] == "department":
            departments[(u["parent_id"], u["kind"])] = u["id"]
    names = {r["name"]: r["code"] for r in await conn.fetch(Q.history_categories)}
    texts: dict[str, list[str]] = {}
    for row in csv.DictReader(CORPUS.read_text(encoding="utf-8").splitlines()):
        if row["label"] in names:
            texts.setdefault(names[row["label"]], []).append(row["text"])
    communities.sort(key=lambda c: c.id)
    return City(communities, departments, texts, sorted(texts), {})


def lead_unit(city: City, category: str, community: Community) -> int:
    """The owning unit as routing would pick it from the responsibility table (highest priority rule)."""
    rules = typing.cast(list[tuple[str, str | None, tuple[str, ...], int]], RESPONSIBILITY[category])
    # a history ticket's place is a community: a grid rule needs a grid, so routing would fall back past it
    level, kind, _co, _priority = max((r for r in rules if r[0] != "grid"), key=lambda rule: rule[3])
    if level == "community":
        return community.id
    if level == "street":
        return community.street_id
    return city.departments[(community.district_id, kind or "")]


def _month_weight(moment: datetime) -> float:
    return 1.0 + 0.25 * math.sin((moment.month - 4) / 12 * 2 * math.pi)


def _days(start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    days, day = [], start
    while day < end:
        weekday = 0.75 if day.weekday() >= 5 else 1.0
        days.append((day, _month_weight(day) * weekday))
        day += timedelta(days=1)
    return days


def _row(
    rng: random.Random, city: City, settings: Settings, n: int, created: datetime, now: datetime,
    category: str, community: Community, content: str, phone: str,
) -> tuple:  # fmt: skip
    ticket_type = rng.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    place = {"community_id": community.id, "street_id": community.street_id, "district_id": community.district_id}
    base = (
        f"YC{created:%Y%m%d}{n:09d}", ticket_type, channel, phone, rng.choice(SURNAMES) + rng.choice(("先生", "女士")),
        community.name, content, category, round(rng.uniform(0.5, 0.99), 2), "classifier", place,
    )  # fmt: skip
    if ticket_type == "consultation" and rng.random() < 0.3:
        return (*base, "closed_on_spot", None, None, created, created, None, None, None, None, created,
                None, None, 0, 0)  # fmt: skip
    lead = lead_unit(city, category, community)
    assigned = created + timedelta(minutes=rng.uniform(2, 40))
    sign_late = rng.random() < 0.08
    signed = assigned + timedelta(minutes=rng.uniform(61, 400) if sign_late else rng.uniform(2, 58))
    days = settings.sla.completion_days.get(ticket_type, 15)
    late = rng.random() < 0.1
    completed = signed + timedelta(days=rng.uniform(days, days * 1.8) if late else rng.uniform(0.05, days * 0.9))
    contacted = signed + timedelta(minutes=rng.uniform(10, 600)) if rng.random() < 0.95 else None
    returns = 2 + rng.randrange(2) if rng.random() < 0.02 else (1 if rng.random() < 0.04 else 0)
    if signed > now:
        return (*base, "assigned", lead, lead, created, assigned, assigned, None, None, None, None,
                None, None, returns, 0)  # fmt: skip
    if completed > now:
        return (*base, "signed", lead, lead, created, signed, assigned, signed, contacted, None, None,
                None, None, returns, 0)  # fmt: skip
    closed = completed + timedelta(hours=rng.uniform(4, 72))
    if closed > now:
        return (*base, "completed", lead, lead, created, completed, assigned, signed, contacted, completed, None,
                None, None, returns, 0)  # fmt: skip
    reached = rng.random() < 0.9
    satisfaction = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], [70, 20, 10])[0]
    resolved = satisfaction != "dissatisfied" or rng.random() < 0.3
    return (*base, "closed", lead, lead, created, closed, assigned, signed, contacted, completed, closed,
            satisfaction if reached else None, resolved if reached else None, returns,
            1 if reached and satisfaction == "dissatisfied" else 0)  # fmt: skip


def _tickets(
    rng: random.Random, city: City, settings: Settings, count: int, start: datetime, now: datetime, first: int
) -> Iterator[tuple]:
    days = _days(start, now)
    cum = list(_accumulate(w for _, w in days))
    hours = list(_accumulate(HOURS))
    callers = [f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" for _ in range(max(10, count // 3))]
    moments = []
    for _ in range(count):
        day = rng.choices(days, cum_weights=cum)[0][0]
        hour = rng.choices(range(24), cum_weights=hours)[0]
        moments.append(min(day + timedelta(hours=hour, seconds=rng.uniform(0, 3600)), now - timedelta(seconds=60)))
    moments.sort()  # written in the order calls came in, as the live system does
    for n, created in enumerate(moments):
        summer = 1 if 6 <= created.month <= 8 else 0
        weights = [SUMMER.get(c, 1.0) if summer else 1.0 for c in city.categories]
        category = rng.choices(city.categories, weights)[0]
        community = city.communities[int(rng.triangular(0, len(city.communities), 0)) % len(city.communities)]
        content = rng.choice(city.texts[category])
        phone = rng.choice(callers) if rng.random() < 0.3 else f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}"
        yield city.with_tokens(_row(rng, city, settings, first + n, created, now, category, community, content, phone))


def _accumulate(values: Iterator[float] | list[int]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def planted_clusters(city: City, start: datetime, now: datetime, rng: random.Random) -> list[Planted]:
    """A few afternoons where one community floods the line about water (停水): what early warning must find."""
    span = (now - start).days
    days = [start + timedelta(days=int(span * 0.3)), start + timedelta(days=int(span * 0.6)), now - timedelta(days=25)]
    result = []
    for k, day in enumerate(days):
        community = city.communities[(k * 7 + 3) % len(city.communities)]
        result.append(Planted("UTILITIES", community.id, day.replace(hour=6, minute=0, second=0, microsecond=0), 12))
    return result


def _planted_rows(
    city: City, settings: Settings, planted: list[Planted], now: datetime, rng: random.Random, first: int
) -> Iterator[tuple]:
    by_id = {c.id: c for c in city.communities}
    n = first + 90_000_000
    for p in planted:
        for i in range(p.count):
            n += 1
            created = p.start + timedelta(minutes=i * 15 + rng.uniform(0, 10))
            phone = f"139{rng.randint(10**7, 10**8 - 1)}"
            yield city.with_tokens(
                _row(rng, city, settings, n, created, now, p.category_code, by_id[p.community_id], PLANTED_TEXT, phone)
            )


async def generate_history(
    conn: asyncpg.Connection, settings: Settings, count: int, months: int, now: datetime, seed: int = 2026
) -> dict[str, int]:
    """Write `count` tickets from the start of the month `months` before `now`'s up to `now`, plus the planted
    clusters, with deadlines, contacts, alerts and appeals. Returns row counts per table."""
    rng = random.Random(seed)
    city = await load_city(conn)
    # from the first day of the month `months` back, so the oldest month (last year's) is whole
    index = now.year * 12 + now.month - 1 - months
    start = now.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    planted = planted_clusters(city, start, now, rng)
    first_id = await conn.fetchval(Q.history_first_ticket_id)
    await _binary_jsonb(conn)  # COPY's binary format needs it
    try:
        result = await _write(conn, settings, rng, city, count, start, now, planted, first_id)
    finally:
        await conn.set_type_codec(
            "jsonb", encoder=lambda v: json.dumps(v, ensure_ascii=False), decoder=json.loads, schema="pg_catalog"
        )
    result["planted"] = len(planted)
    return result


async def raise_passed_alerts(conn: asyncpg.Connection, now: datetime) -> None:
    """The SLA alerts of every open clock whose moment passed by `now`, as raised and announced when it passed: a
    history kept and measured later has clocks that came due meanwhile, which a worker's sweep would otherwise
    raise and announce in the middle of the measurements (bench/megacity.py)."""
    await conn.execute(Q.history_passed_alerts, now)


async def _binary_jsonb(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: b"\x01" + json.dumps(v, ensure_ascii=False).encode(),
        decoder=lambda b: json.loads(b[1:]),
        schema="pg_catalog",
        format="binary",
    )


async def _write(
    conn: asyncpg.Connection, settings: Settings, rng: random.Random, city: City, count: int, start: datetime,
    now: datetime, planted: list[Planted], first_id: int,
) -> dict[str, int]:  # fmt: skip
    """The history in one transaction, without a statement timeout; returns the row counts per table."""
    async with conn.transaction():
        await conn.execute(Q.no_statement_timeout)  # a year of a large city is one long write
        await conn.execute(Q.history_disable_transition_trigger)
        rows = _tickets(rng, city, settings, count, start, now, first_id)
        while batch := [r for _, r in zip(range(BATCH), rows, strict=False)]:
            await conn.copy_records_to_table("tickets", records=batch, columns=TICKET_COLUMNS)
        await conn.copy_records_to_table(
            "tickets", records=list(_planted_rows(city, settings, planted, now, rng, first_id)), columns=TICKET_COLUMNS
        )
        await conn.execute(Q.history_enable_transition_trigger)
        await _derived(conn, settings, first_id, now)
        # counted here, under the transaction's lifted timeout: ten million tickets take longer than a request may
        return dict(await conn.fetchrow(Q.history_table_counts))


async def _derived(conn: asyncpg.Connection, settings: Settings, first_id: int, now: datetime) -> None:
    sla = settings.sla
    await conn.execute(Q.history_ticket_units, first_id)
    await conn.execute(Q.history_reply_deadlines, first_id, sla.reply_minutes, sla.warn_fraction)
    await conn.execute(Q.history_completion_deadlines, first_id, sla.completion_days, sla.warn_fraction)
    await conn.execute(Q.history_overdue_alerts, first_id, now)
    handlers = await conn.fetch(Q.history_handlers)
    unit_ids, user_ids = [r["unit_id"] for r in handlers], [r["id"] for r in handlers]
    await conn.execute(Q.history_contacts, first_id, unit_ids, user_ids)
    await conn.execute(Q.history_appeals, first_id, unit_ids, user_ids)
    await conn.execute(Q.count_unset_repeats, timedelta(days=settings.supervision.repeat_days))
    await conn.execute(Q.history_ticket_number_seq)
    await conn.execute(Q.history_analyze)
