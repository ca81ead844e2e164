"""A seeded demo history shared by the report tests: the demo city plus 3,000 tickets over 13
months written by hotline.demo.history, ending at a fixed moment so every number is reproducible."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from hotline.demo.city import seed_demo
from hotline.demo.history import generate_history
from hotline.settings import Settings
from tests.conftest import truncate_all

NOW = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)
MONTH = "2026-10"
TICKETS = 3000


@pytest.fixture(scope="module")
async def history(pool: asyncpg.Pool, redis, settings: Settings) -> AsyncIterator[dict[str, int]]:
    await truncate_all(pool)
    await redis.flushdb()
    async with pool.acquire() as conn:
        await seed_demo(conn, settings)
        counts = await generate_history(conn, settings, TICKETS, 13, NOW)
    yield counts
    await truncate_all(pool)
    await redis.flushdb()
