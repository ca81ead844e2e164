"""arq job functions. Thin: load, call a use-case, commit. Each may run twice, so each is idempotent."""

from __future__ import annotations

from typing import Any


async def ping(ctx: dict[str, Any]) -> str:
    """Round trip through the queue and the database; used by health checks and tests."""
    async with ctx["pool"].acquire() as conn:
        return str(await conn.fetchval("SELECT 'pong'"))


FUNCTIONS = [ping]
CRON_JOBS: list[Any] = []
