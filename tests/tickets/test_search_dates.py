"""A search by words between two dates asks the text index for those dates (migration 0024): a ticket holds its
day, its 7-day week and its 28-day span, and a range is asked as the fewest of them that cover it. Checked against
the database's own functions over random ranges: every day of the range is covered and none outside it, the spans
are few however long the range, and a ticket is matched exactly when its day is in the range."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from hotline.queries import Q

pytestmark = pytest.mark.usefixtures("clean")  # only the database's functions are used; nothing is written

EPOCH = date(1970, 1, 1)
SPAN_DAYS = {"d": 1, "w": 7, "f": 28}


def day_number(at: datetime) -> int:
    return (at.astimezone(UTC).date() - EPOCH).days


def days_asked(query: str) -> list[int]:
    days = []
    for kind, number in re.findall(r"'([dwf])(\d+)'", query):
        length = SPAN_DAYS[kind]
        days += range(int(number) * length, int(number) * length + length)
    return days


async def test_a_range_is_asked_as_its_days_exactly_in_few_spans(pool: asyncpg.Pool) -> None:
    rng = random.Random(15)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for _ in range(300):
        since = start + timedelta(days=rng.randrange(900), minutes=rng.randrange(24 * 60))
        until = since + timedelta(days=rng.choice((0, 1, 6, 13, 27, 60, 225, 400)), minutes=rng.randrange(24 * 60))
        query = await pool.fetchval(Q.search_dates_asked, since, until)
        asked = days_asked(query)
        assert sorted(asked) == list(range(day_number(since), day_number(until) + 1)), (since, until, query)
        # at most 3 weeks and 6 days at each end, and the 28-day spans between
        assert query.count("'") // 2 <= 2 * (3 + 6) + len(asked) // 28 + 1, query


async def test_a_ticket_is_matched_exactly_when_its_day_is_in_the_range(pool: asyncpg.Pool) -> None:
    rng = random.Random(25)
    start = datetime(2025, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 the next day in the city: the day is UTC's, as both sides
    for _ in range(300):
        since = start + timedelta(days=rng.randrange(60))
        until = since + timedelta(days=rng.randrange(70))
        created = start + timedelta(days=rng.randrange(140), minutes=rng.randrange(24 * 60))
        matched = await pool.fetchval(Q.search_dates_match, since, until, created)
        assert matched == (day_number(since) <= day_number(created) <= day_number(until)), (since, until, created)
