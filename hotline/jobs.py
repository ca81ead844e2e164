"""arq job functions. Thin: load, call a use-case, commit. Each may run twice, so each is idempotent."""

from __future__ import annotations

from typing import Any

from arq.cron import cron

from hotline.sla_jobs import fire_deadline, sweep


async def ping(ctx: dict[str, Any]) -> str:
    """Round trip through the queue and the database; used by health checks and tests."""
    async with ctx["pool"].acquire() as conn:
        return str(await conn.fetchval("SELECT 'pong'"))


FUNCTIONS = [ping, fire_deadline, sweep]  # sweep is also enqueued by name by operators and tests
# Every 5 seconds: the sweep is the safety net under the timers, so its period bounds how late an
# alert can be after Redis lost its jobs.
CRON_JOBS = [cron(sweep, second=set(range(0, 60, 5)), unique=True, run_at_startup=True, timeout=120)]
