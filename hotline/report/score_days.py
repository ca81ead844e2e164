"""Score facts per lead unit and local day, stored for settled days (table score_days, migration 0007).

A month or quarter is the sum of its days: stored days are read, the others computed from the tickets
(and stored when settled: no ticket of the day has a running or paused clock, and the day ended at least
a day before `as_of`). Writes to a stored day's tickets, deadlines or appeals delete it (a trigger), so the
sum always equals the facts computed from the tickets; docs/report.md says how writers and readers lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from hotline.db import custom_plans
from hotline.queries import Q

COUNTS = (
    "tickets", "appealed", "sign_for_ok", "sign_for_n", "completion_ok", "completion_n", "contact_ok", "contact_n",
    "resolution_ok", "resolution_n", "satisfaction_ok", "satisfaction_n", "return_ok", "return_n",
)  # fmt: skip
DAY = timedelta(days=1)
RUN_DAYS = 31  # a month of a megacity (about 300,000 tickets) in one statement


def local_days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]] | None:
    """[start, end) cut at local midnights of start's time zone; None when the bounds are not midnights."""
    tz = start.tzinfo
    if not isinstance(tz, ZoneInfo) or start.astimezone(tz).time() != datetime.min.time():
        return None
    days, day = [], start.astimezone(tz).date()
    while (begin := _midnight(day, tz)) < end:
        days.append((begin, _midnight(day + DAY, tz)))
        day += DAY
    return days if days and days[-1][1] == end else None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _utc_day_keys(begin: datetime, end: datetime) -> list[int]:
    """The advisory lock keys writers take for tickets created in [begin, end): their UTC day numbers."""
    first = int(begin.timestamp() // 86400)
    last = int((end.timestamp() - 1e-6) // 86400)
    return list(range(first, last + 1))


def _add(totals: dict[int, dict[str, int]], unit_id: int, row: asyncpg.Record | dict[str, Any]) -> None:
    mine = totals.setdefault(unit_id, dict.fromkeys(COUNTS, 0))
    for key in COUNTS:
        mine[key] += row[key]


def _runs(days: Iterable[tuple[datetime, datetime]]) -> list[list[tuple[datetime, datetime]]]:
    """Consecutive days, at most RUN_DAYS a run: one statement each, bounded below the statement timeout however
    many days are missing (the first fill after ten million tickets arrive)."""
    runs: list[list[tuple[datetime, datetime]]] = []
    for day in days:
        if runs and runs[-1][-1][1] == day[0] and len(runs[-1]) < RUN_DAYS:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


async def unit_facts(
    conn: asyncpg.Connection, start: datetime, end: datetime, as_of: datetime, scope: list[int] | None = None
) -> list[dict[str, Any]]:
    """Per lead unit, the counts behind the six rates for tickets created in [start, end)."""
    days = local_days(start, end)
    tz = start.tzinfo
    if days is None or not isinstance(tz, ZoneInfo):
        async with custom_plans(conn):
            rows = await conn.fetch(Q.unit_score_facts, start, end, as_of, scope, "UTC")
        totals: dict[int, dict[str, int]] = {}
        for r in rows:
            _add(totals, r["unit_id"], r)
        return _result(totals)
    totals, stored = {}, set()
    for r in await conn.fetch(Q.score_days_stored, start, end):
        stored.add(r["day_start"])
        if r["unit_id"] is not None and (scope is None or r["unit_id"] in scope):
            _add(totals, r["unit_id"], r)
    for run in _runs(d for d in days if d[0] not in stored):
        await _compute(conn, run, as_of, tz, scope, totals)
    return _result(totals)


async def _compute(
    conn: asyncpg.Connection,
    run: list[tuple[datetime, datetime]],
    as_of: datetime,
    tz: ZoneInfo,
    scope: list[int] | None,
    totals: dict[int, dict[str, int]],
) -> None:
    """Facts of consecutive days not stored, computed without any lock and added to `totals`; then each day
    that came back settled is stored (`_store_day`), one day per transaction — never inside the caller's
    transaction, whose locks and rows would live until it ends."""
    storable = not conn.is_in_transaction() and any(e + DAY <= as_of for _, e in run)
    async with custom_plans(conn):
        rows = await conn.fetch(Q.unit_score_facts, run[0][0], run[-1][1], as_of, None if storable else scope, str(tz))
    by_day: dict[date, list[asyncpg.Record]] = {}
    for r in rows:
        by_day.setdefault(r["day"], []).append(r)
        if scope is None or r["unit_id"] in scope:
            _add(totals, r["unit_id"], r)
    if storable:
        for b, e in run:
            if e + DAY <= as_of and not any(r["open"] for r in by_day.get(b.date(), [])):
                await _store_day(conn, b, e, as_of, tz)


async def _store_day(conn: asyncpg.Connection, begin: datetime, end: datetime, as_of: datetime, tz: ZoneInfo) -> bool:
    """Store one day that looked settled: in its own transaction, under the exclusive locks of its UTC days
    taken without waiting (a writer holding one: the day is left for a later read), computed again under
    them — a write may have committed since the unlocked read — and stored only if still settled. Writers
    wait at most for this one day's computation (docs/report.md)."""
    async with custom_plans(conn):
        got = await conn.fetch(Q.score_days_lock, _utc_day_keys(begin, end))
        if not all(r["locked"] for r in got):
            return False
        rows = await conn.fetch(Q.unit_score_facts, begin, end, as_of, None, str(tz))
        if any(r["open"] for r in rows):
            return False
        await _store(conn, [(begin, end)], {begin.date(): list(rows)})
    return True


async def _store(
    conn: asyncpg.Connection, days: list[tuple[datetime, datetime]], by_day: dict[date, list[asyncpg.Record]]
) -> None:
    inserted = await conn.fetch(Q.score_days_insert, [b for b, _ in days], [e for _, e in days])
    new = {r["day_start"] for r in inserted}
    records = [
        (b, r["unit_id"], *(r[k] for k in COUNTS)) for b, _ in days if b in new for r in by_day.get(b.date(), [])
    ]
    if records:
        await conn.copy_records_to_table("score_day_facts", records=records, columns=["day_start", "unit_id", *COUNTS])


def _result(totals: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    return [{"unit_id": unit_id, **counts} for unit_id, counts in sorted(totals.items())]


async def fill(conn: asyncpg.Connection, start: datetime, end: datetime, as_of: datetime) -> int:
    """Store the settled days of [start, end) not stored yet (the cron job); returns the days now stored."""
    await unit_facts(conn, start, end, as_of)
    return int(await conn.fetchval(Q.score_days_count, start, end))


async def refresh(conn: asyncpg.Connection, tz: ZoneInfo, as_of: datetime) -> int:
    """Store the settled days of the 13 months up to `as_of` (this month and the twelve before it: every period
    a ranking is usually asked for); returns the days now stored."""
    today = as_of.astimezone(tz).date()
    first = date(today.year - 1, today.month, 1)
    return await fill(conn, _midnight(first, tz), _midnight(today, tz), as_of)


async def score_days_refresh(ctx: dict[str, Any]) -> int:
    """arq cron (and after an import of history): store the settled days of the last 13 months, so a ranking
    reads stored facts only."""
    settings = ctx["settings"]
    async with ctx["pool"].acquire() as conn:
        return await refresh(conn, settings.tz, datetime.now(settings.tz))
