"""The report's numbers equal the same numbers computed here, independently, with SQL over the tickets."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import asyncpg
import pytest

from hotline.report import scores
from hotline.report.data import monthly
from hotline.settings import Settings
from tests.support.history import MONTH, NOW
from tests.support.jobs import run_through_queue

pytestmark = pytest.mark.usefixtures("history")
TZ = "Asia/Shanghai"
IN_MONTH = f"to_char(created_at AT TIME ZONE '{TZ}', 'YYYY-MM') = '{MONTH}' AND state <> 'merged'"
T_IN_MONTH = IN_MONTH.replace("created_at", "t.created_at").replace("state", "t.state")


@pytest.fixture(scope="module")
async def report(history, pool: asyncpg.Pool, session_settings: Settings) -> dict:
    async with pool.acquire() as conn:
        return await monthly(conn, session_settings, scores.parse_period(MONTH), NOW)


async def test_volumes_match_sql(report: dict, pool: asyncpg.Pool) -> None:
    total = await pool.fetchval(f"SELECT count(*) FROM tickets WHERE {IN_MONTH}")
    assert total > 100
    assert report["volumes"]["total"] == total
    channels = {r["channel"]: r["n"] for r in await pool.fetch(
        f"SELECT channel, count(*) AS n FROM tickets WHERE {IN_MONTH} GROUP BY channel")}  # fmt: skip
    labels = {"phone": "电话", "web": "网站", "app": "移动应用", "api": "接口"}
    assert {i["name"]: i["tickets"] for i in report["volumes"]["by_channel"]} == {
        labels[k]: v for k, v in channels.items()
    }
    categories = {r["name"]: r["n"] for r in await pool.fetch(
        f"SELECT c.name, count(*) AS n FROM tickets t JOIN categories c ON c.code = t.category_code "
        f"WHERE {T_IN_MONTH} GROUP BY c.name")}  # fmt: skip
    assert {i["name"]: i["tickets"] for i in report["volumes"]["by_category"]} == categories
    districts = {r["name"]: r["n"] for r in await pool.fetch(
        f"SELECT d.name, count(*) AS n FROM tickets t JOIN units c ON c.id = (t.place->>'community_id')::bigint "
        f"JOIN units s ON s.id = c.parent_id JOIN units d ON d.id = s.parent_id "
        f"WHERE {T_IN_MONTH} GROUP BY d.name")}  # fmt: skip
    assert {i["name"]: i["tickets"] for i in report["volumes"]["by_district"]} == districts
    assert sum(i["tickets"] for i in report["volumes"]["by_type"]) == total


async def test_trend_and_comparisons_match_sql(report: dict, pool: asyncpg.Pool) -> None:
    by_month = {r["m"]: r["n"] for r in await pool.fetch(
        f"SELECT to_char(created_at AT TIME ZONE '{TZ}', 'YYYY-MM') AS m, count(*) AS n FROM tickets "
        "WHERE state <> 'merged' GROUP BY 1")}  # fmt: skip
    trend = report["trend"]
    assert len(trend) == 13 and trend[-1]["month"] == MONTH and trend[0]["month"] == "2025-10"
    assert all(p["tickets"] == by_month.get(p["month"], 0) for p in trend)
    c = report["comparison"]
    assert c["previous_tickets"] == by_month["2026-09"]
    assert c["month_on_month"] == round((by_month[MONTH] - by_month["2026-09"]) / by_month["2026-09"], 4)


async def _independent_rates(pool: asyncpg.Pool, as_of: datetime) -> dict[int, dict[str, tuple[int, int]]]:
    """Per lead unit: (on time, decided) for completion, (satisfied, reached) for satisfaction, approved appeals out."""
    rows = await pool.fetch(
        f"""
        SELECT t.lead_unit_id AS unit,
               EXISTS (SELECT 1 FROM appeals a WHERE a.ticket_id = t.id AND a.unit_id = t.lead_unit_id
                       AND a.status = 'approved' AND a.kind = 'overdue') AS appealed_overdue,
               EXISTS (SELECT 1 FROM appeals a WHERE a.ticket_id = t.id AND a.unit_id = t.lead_unit_id
                       AND a.status = 'approved' AND a.kind = 'dissatisfied') AS appealed_dissatisfied,
               d.status, d.ended_at, d.due_at, t.satisfaction
        FROM tickets t LEFT JOIN deadlines d ON d.ticket_id = t.id AND d.track = 'complete'
        WHERE {IN_MONTH.replace("created_at", "t.created_at").replace("state", "t.state")}
          AND t.lead_unit_id IS NOT NULL
        """
    )
    out: dict[int, dict[str, list[int]]] = {}
    for r in rows:
        unit = out.setdefault(r["unit"], {"completion": [0, 0], "satisfaction": [0, 0], "tickets": [0, 0]})
        unit["tickets"][1] += 1
        if not r["appealed_overdue"] and r["status"] is not None:
            late = (r["status"] == "met" and r["ended_at"] > r["due_at"]) or (
                r["status"] == "running" and r["due_at"] < as_of
            )
            if r["status"] == "met" or late:
                unit["completion"][1] += 1
                unit["completion"][0] += not late
        if not r["appealed_dissatisfied"] and r["satisfaction"] is not None:
            unit["satisfaction"][1] += 1
            unit["satisfaction"][0] += r["satisfaction"] != "dissatisfied"
    return {u: {k: tuple(v) for k, v in d.items()} for u, d in out.items()}


async def test_hot_topics_rank_by_tickets_then_by_word(report: dict) -> None:
    """The same month's report lists its hot words in the same order in every process: ties by word."""
    topics = [(t["tickets"], t["word"]) for t in report["hot_topics"]]
    assert len(topics) >= 10 and len({n for n, _ in topics}) < len(topics)  # ties there are to order
    assert topics == sorted(topics, key=lambda t: (-t[0], t[1]))


async def test_department_rates_and_ranking_order(report: dict, pool: asyncpg.Pool, settings: Settings) -> None:
    expected = await _independent_rates(pool, NOW)
    departments = report["rankings"]["department"]["items"]
    assert departments
    for entry in departments:
        mine = expected[entry["unit_id"]]
        assert entry["tickets"] == mine["tickets"][1]
        ok, n = mine["completion"]
        assert entry["rates"]["completion"] == (round(ok / n, 4) if n else None)
        ok, n = mine["satisfaction"]
        assert entry["rates"]["satisfaction"] == (round(ok / n, 4) if n else None)
    ranked = [e for e in departments if e["ranked"]]
    assert [e["total"] for e in ranked] == sorted((e["total"] for e in ranked), reverse=True)
    assert [e["rank"] for e in ranked] == list(range(1, len(ranked) + 1))
    assert all((e["tickets"] >= settings.report.min_sample) == e["ranked"] for e in departments)


async def test_district_sample_sizes_sum_lead_units(report: dict, pool: asyncpg.Pool) -> None:
    with_lead = await pool.fetchval(f"SELECT count(*) FROM tickets WHERE {IN_MONTH} AND lead_unit_id IS NOT NULL")
    assert sum(e["tickets"] for e in report["rankings"]["district"]["items"]) == with_lead


async def test_minimum_sample_size_is_respected(pool: asyncpg.Pool, settings: Settings) -> None:
    period = scores.parse_period(MONTH)
    for minimum in (1, 40, 10_000):
        custom = dataclasses.replace(settings.report, min_sample=minimum)
        async with pool.acquire() as conn:
            result = await scores.rankings(conn, period, "street", custom, settings.tz, NOW)
        for e in result["items"]:
            assert e["ranked"] == (e["tickets"] >= minimum)
            assert (e["rank"] is None) == (not e["ranked"])
        if minimum == 10_000:
            assert not any(e["ranked"] for e in result["items"])


async def test_approved_appeal_is_excluded_for_its_kind_only(pool: asyncpg.Pool, settings: Settings) -> None:
    start, end = scores.parse_period(MONTH).bounds(settings.tz)
    async with pool.acquire() as conn:
        ticket = await conn.fetchrow(
            """SELECT t.id, t.lead_unit_id FROM tickets t WHERE t.created_at >= $1 AND t.created_at < $2
               AND t.satisfaction = 'dissatisfied'
               AND NOT EXISTS (SELECT 1 FROM appeals a WHERE a.ticket_id = t.id) ORDER BY t.id LIMIT 1""",
            start,
            end,
        )
        assert ticket is not None
        before = {r["unit_id"]: dict(r) for r in await scores.unit_facts(conn, start, end, NOW)}[ticket["lead_unit_id"]]
        tx = conn.transaction()
        await tx.start()
        try:
            user = await conn.fetchval("SELECT id FROM users ORDER BY id LIMIT 1")
            await conn.execute(
                "INSERT INTO appeals (ticket_id, unit_id, kind, reason, filed_by, filed_at, status) "
                "VALUES ($1, $2, 'dissatisfied', '测试', $3, $4, 'approved')",
                ticket["id"], ticket["lead_unit_id"], user, NOW,
            )  # fmt: skip
            after = {r["unit_id"]: dict(r) for r in await scores.unit_facts(conn, start, end, NOW)}[
                ticket["lead_unit_id"]
            ]
        finally:
            await tx.rollback()
    assert after["satisfaction_n"] == before["satisfaction_n"] - 1
    assert after["satisfaction_ok"] == before["satisfaction_ok"]  # a dissatisfied callback left the denominator
    assert after["tickets"] == before["tickets"]
    assert after["completion_n"] == before["completion_n"]  # other kinds still count
    assert after["appealed"] == before["appealed"] + 1


def test_weighted_total_rescales_missing_components() -> None:
    weights = {"sign_for": 1, "completion": 1, "contact": 0, "resolution": 2, "satisfaction": 0, "return": 0}
    rates = {"sign_for": 1.0, "completion": 0.5, "contact": None, "resolution": None, "satisfaction": 1, "return": 1}
    assert scores.weighted_total(rates, weights) == 75.0
    assert scores.weighted_total(dict.fromkeys(rates), weights) is None


def test_periods() -> None:
    assert scores.parse_period("2026-Q4").first.month == 10 and scores.parse_period("2026-Q4").end.year == 2027
    assert scores.parse_period("2026-12").end.month == 1
    for bad in ("2026-13", "2026-Q5", "26-01", "", "0000-01", "9999-12"):
        with pytest.raises(scores.PeriodError):
            scores.parse_period(bad)


async def test_stored_days_give_the_same_numbers_and_a_write_deletes_its_day(
    pool: asyncpg.Pool, redis, settings: Settings
) -> None:
    """Through the real queue: the refresh job stores settled days; rankings read them and still equal the
    independent SQL; a later write to a ticket of a stored day deletes that day and the numbers follow it."""
    await pool.execute("TRUNCATE score_days CASCADE")
    # most of 13 months have settled by now
    assert await run_through_queue(settings, "score_days_refresh", "score-days-test") > 300
    period = scores.parse_period(MONTH)
    start, end = period.bounds(settings.tz)
    assert await pool.fetchval("SELECT count(*) FROM score_days WHERE day_start >= $1 AND day_start < $2", start, end)
    # one day per transaction (computed_at is its transaction's start): a reader locks one day at a time
    assert await pool.fetchval("SELECT count(*) = count(DISTINCT computed_at) FROM score_days")

    async def check() -> dict[int, dict]:
        expected = await _independent_rates(pool, NOW)
        async with pool.acquire() as conn:
            result = await scores.rankings(conn, period, "department", settings.report, settings.tz, NOW)
        for entry in result["items"]:
            mine = expected[entry["unit_id"]]
            assert entry["tickets"] == mine["tickets"][1]
            for key in ("completion", "satisfaction"):
                ok, n = mine[key]
                assert entry["rates"][key] == (round(ok / n, 4) if n else None), key
        return {e["unit_id"]: e for e in result["items"]}

    await check()
    ticket = await pool.fetchrow(
        """SELECT t.id, t.created_at FROM tickets t JOIN score_days d
             ON t.created_at >= d.day_start AND t.created_at < d.day_end
           WHERE t.created_at >= $1 AND t.created_at < $2 AND t.satisfaction = 'satisfied' ORDER BY t.id LIMIT 1""",
        start,
        end,
    )
    old = await pool.fetchval("SELECT satisfaction FROM tickets WHERE id = $1", ticket["id"])
    await pool.execute("ALTER TABLE tickets DISABLE TRIGGER tickets_transition")  # a data fix, not a live change
    try:
        await pool.execute("UPDATE tickets SET satisfaction = 'dissatisfied' WHERE id = $1", ticket["id"])
        assert not await pool.fetchval(
            "SELECT count(*) FROM score_days WHERE day_start <= $1 AND day_end > $1", ticket["created_at"]
        )
        await check()
    finally:
        await pool.execute("UPDATE tickets SET satisfaction = $2 WHERE id = $1", ticket["id"], old)
        await pool.execute("ALTER TABLE tickets ENABLE TRIGGER tickets_transition")
    await check()
