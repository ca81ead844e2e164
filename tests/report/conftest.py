"""The seeded demo history shared by the report tests (see tests/support/history.py)."""

from __future__ import annotations

import asyncpg
import pytest
import redis.asyncio as aioredis

from hotline.demo.city import seed_demo
from hotline.demo.history import generate_history
from hotline.settings import Settings
from tests.support.history import MONTHS, NOW, TICKETS
from tests.support.services import truncate_all


@pytest.fixture(scope="module")
async def history(pool: asyncpg.Pool, redis: aioredis.Redis, session_settings: Settings) -> dict[str, int]:
    """Empty tables, then the demo city and its history, for the whole module."""
    await truncate_all(pool)
    await redis.flushdb()
    async with pool.acquire() as conn:
        await seed_demo(conn, session_settings)
        return await generate_history(conn, session_settings, TICKETS, MONTHS, NOW)
