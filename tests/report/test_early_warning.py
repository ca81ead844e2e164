"""Early warning finds the planted clusters, names their tickets, and stores/announces each once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from hotline.demo.history import PLANTED_TEXT
from hotline.queries import load_queries
from hotline.report import early_warning, scores
from hotline.report.data import monthly
from hotline.settings import ReportSettings, Settings
from tests.support.history import MONTH, NOW
from tests.support.jobs import run_through_queue

pytestmark = pytest.mark.usefixtures("history")
T = load_queries(Path(__file__).with_name("sql"))


async def _planted(pool: asyncpg.Pool) -> dict[int, set[int]]:
    rows = await pool.fetch(
        "SELECT (place->>'community_id')::bigint AS community, id FROM tickets WHERE content = $1", PLANTED_TEXT
    )
    found: dict[int, set[int]] = {}
    for r in rows:
        found.setdefault(r["community"], set()).add(r["id"])
    return found


async def test_every_planted_cluster_is_found_with_its_tickets(pool: asyncpg.Pool, settings: Settings) -> None:
    planted = await _planted(pool)
    assert len(planted) == 3
    async with pool.acquire() as conn:
        warnings = await early_warning.place_warnings(conn, NOW - timedelta(days=400), NOW, settings.report)
    for community, ids in planted.items():
        mine = [w for w in warnings if w.community_id == community and w.category_code == "UTILITIES"]
        assert mine, f"planted cluster in community {community} not found"
        named = {t["id"] for w in mine for t in w.tickets}
        assert len(named & ids) >= settings.report.warning_min_tickets
        assert all(w.ticket_count > w.baseline_mean + settings.report.warning_k * w.baseline_std for w in mine)
    assert len(warnings) <= 3 * 3  # the background noise of the demo history stays quiet
    for w in warnings:  # each names the tickets of its place created in its window, and no other
        in_window = await pool.fetch(
            T.place_tickets_in_window, w.category_code, w.community_id, w.window_start, w.window_end
        )
        assert [t["id"] for t in w.tickets] == [r["id"] for r in in_window]


async def test_the_month_report_lists_the_planted_cluster(pool: asyncpg.Pool, settings: Settings) -> None:
    async with pool.acquire() as conn:
        report = await monthly(conn, settings, scores.parse_period(MONTH), NOW)
    texts = [w for w in report["early_warnings"] if w["category_code"] == "UTILITIES"]
    assert texts and "水电气暖" in texts[0]["text"]
    assert any(t["content"] == PLANTED_TEXT for t in texts[0]["tickets"])


def test_usual_level_suppresses_a_cluster_that_is_always_busy() -> None:
    settings = ReportSettings()
    start = datetime(2026, 10, 20, tzinfo=UTC)
    busy = {start - timedelta(days=d) + timedelta(hours=h): 3 for d in range(0, 15) for h in range(6)}
    quiet = {start + timedelta(hours=h): 3 for h in range(6)}
    found = early_warning.detect({("NOISE", 1): busy, ("NOISE", 2): quiet}, start, start + timedelta(hours=1), settings)
    assert [w.community_id for w in found] == [2]
    assert found[0].ticket_count == 18 and found[0].baseline_mean == 0


def test_near_identical_texts_cluster() -> None:
    settings = ReportSettings()
    rows = [{"id": i, "content": PLANTED_TEXT + ("！" * (i % 3)), "community_id": i % 4} for i in range(6)]
    rows.append({"id": 99, "content": "公交车绕行不报站，希望整改", "community_id": 1})
    clusters = early_warning.text_clusters(rows, settings)
    assert [sorted(m["id"] for m in c) for c in clusters] == [list(range(6))]


async def test_cron_job_stores_each_warning_once_and_announces_it(
    pool: asyncpg.Pool, settings: Settings, redis
) -> None:
    """Through the real queue: tickets copied to the last hours form a cluster the job must report."""
    now = datetime.now(UTC)
    source = await pool.fetch("SELECT id FROM tickets WHERE content = $1 ORDER BY id LIMIT 7", PLANTED_TEXT)
    await pool.execute("ALTER TABLE tickets DISABLE TRIGGER tickets_transition")  # history, not live changes
    try:
        for i, r in enumerate(source):
            await pool.execute(
                """INSERT INTO tickets (number, type, channel, content, category_code, place, state, lead_unit_id,
                                        holder_unit_id, created_at, updated_at)
                   SELECT 'EW' || $2::text, type, channel, content, category_code, place, 'assigned', lead_unit_id,
                          holder_unit_id, $3, $3 FROM tickets WHERE id = $1""",
                r["id"], f"{i}-{now.timestamp()}", now - timedelta(minutes=20 * i + 1),
            )  # fmt: skip
    finally:
        await pool.execute("ALTER TABLE tickets ENABLE TRIGGER tickets_transition")
    results = [await run_through_queue(settings, "early_warning_scan", f"ew-{attempt}") for attempt in range(2)]
    assert results[0] >= 1 and results[1] == 0  # the second run finds the same window: nothing new
    stored = await pool.fetch("SELECT * FROM early_warnings WHERE window_start > $1", now - timedelta(hours=7))
    assert stored and all(w["published_at"] is not None for w in stored)
    assert len(stored[0]["ticket_ids"]) >= settings.report.warning_min_tickets
    entries = await redis.xrange("realtime:events")
    payloads = [json.loads(e[1][b"payload"]) for e in entries if e[1].get(b"type") == b"early.warning"]
    # one event per group of boards that may open the same tickets (docs/report.md); the city's names them all
    assert len({p["warning_id"] for p in payloads}) == results[0]
    city = max(payloads, key=lambda p: len(p["ticket_ids"]))
    assert city["kind"] == "early" and len(city["ticket_ids"]) == len(stored[0]["ticket_ids"]) and city["rule_name"]


TEXT_CLUSTER = "地铁三号线施工围挡占用人行道，行人只能走机动车道，非常危险，请尽快整改"


async def test_the_month_report_lists_a_near_identical_text_cluster(pool: asyncpg.Pool, settings: Settings) -> None:
    """Seven near-identical texts from seven communities in one afternoon: no place cluster, one text cluster,
    which names those seven; the same text two days later is not in it."""
    start, _ = scores.parse_period(MONTH).bounds(settings.tz)
    moment = start + timedelta(days=12, hours=2)
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("ALTER TABLE tickets DISABLE TRIGGER tickets_transition")  # history, not live changes
            sources = await conn.fetch(
                """SELECT DISTINCT ON (place->>'community_id') id FROM tickets
                   WHERE place ? 'community_id' ORDER BY place->>'community_id', id LIMIT 7"""
            )
            insert = """INSERT INTO tickets (number, type, channel, content, category_code, place, state,
                                             lead_unit_id, holder_unit_id, created_at, updated_at)
                        SELECT 'TX' || $2::text, type, channel, $3, category_code, place, 'assigned', lead_unit_id,
                               holder_unit_id, $4, $4 FROM tickets WHERE id = $1 RETURNING id"""
            planted = [
                await conn.fetchval(
                    insert, r["id"], str(i), TEXT_CLUSTER + "！" * (i % 2), moment + timedelta(minutes=25 * i)
                )
                for i, r in enumerate(sources)
            ]
            await conn.fetchval(insert, sources[0]["id"], "later", TEXT_CLUSTER, moment + timedelta(days=2))
            report = await monthly(conn, settings, scores.parse_period(MONTH), NOW)
        finally:
            await tx.rollback()
    texts = [w for w in report["early_warnings"] if w["cluster_kind"] == "text"]
    assert len(texts) == 1, texts
    assert {t["id"] for t in texts[0]["tickets"]} == set(planted)
    assert texts[0]["ticket_count"] == 7 and "多个社区" in texts[0]["text"]
    assert any(w["cluster_kind"] == "place" for w in report["early_warnings"])  # the planted 停水 afternoon
