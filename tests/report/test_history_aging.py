"""A kept history measured after it ended (bench/megacity.py): the clocks that came due since have their alerts as
the timers would have raised them, so a worker started on it raises and announces nothing of the past."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from hotline.demo.history import raise_passed_alerts
from hotline.queries import load_queries
from hotline.settings import Settings
from realtime.stream import DEFAULT_STREAM
from tests.support.history import NOW
from tests.support.jobs import run_through_queue

T = load_queries(Path(__file__).with_name("sql"))


async def test_an_aged_history_has_the_alerts_of_the_clocks_that_came_due_since_it_ended(
    history: dict[str, int], pool: asyncpg.Pool, redis: Any, settings: Settings
) -> None:
    later = datetime.now(UTC)  # the history ended at NOW, days before
    assert await pool.fetchval(T.passed_moments_without_alert, later) > 0

    async with pool.acquire() as conn:
        await raise_passed_alerts(conn, later)

    assert await pool.fetchval(T.passed_moments_without_alert, later) == 0
    alerts = await pool.fetchrow(T.running_clock_alerts, NOW)
    assert alerts["raised_after"] > 0 and alerts["at_their_moment"] and alerts["announced"] and alerts["flagged"]
    assert await run_through_queue(settings, "sweep", "aged-history-sweep") == 0
    announced = {fields[b"type"] for _id, fields in await redis.xrange(DEFAULT_STREAM)}
    assert not announced & {b"sla.warning", b"sla.overdue"}
