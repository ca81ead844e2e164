"""The arq worker process: SLA timers and background jobs, with a heartbeat for /healthz."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from arq.worker import Worker

from hotline import heartbeat, jobs
from hotline.catalog_cache import CatalogCache
from hotline.db import create_pool
from hotline.logs import configure_logging
from hotline.queue import JSON_SERIALIZERS, redis_settings
from hotline.settings import Settings
from hotline.sla.timers import WORKER_POLL_DELAY


def build_worker(settings: Settings, *, burst: bool = False) -> Worker:
    ident = heartbeat.worker_id()

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["pool"] = await create_pool(settings)
        ctx["catalogs"] = CatalogCache()
        ctx["heartbeat"] = asyncio.create_task(heartbeat.beat_forever(ctx["redis"], ident, settings.worker.heartbeat_s))

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        task = ctx.get("heartbeat")
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await heartbeat.forget(ctx["redis"], ident)
        if "pool" in ctx:
            await ctx["pool"].close()

    return Worker(
        functions=jobs.FUNCTIONS,  # type: ignore[arg-type]
        # arq queues each cron run ahead of time, so a burst worker with crons would never find
        # its queue empty; burst runs (tests, one-off drains) enqueue `sweep` by name instead
        cron_jobs=[] if burst else jobs.cron_jobs(settings),
        redis_settings=redis_settings(settings),
        queue_name=settings.redis.queue_name,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        max_jobs=settings.worker.max_jobs,
        # arq's default (0.5 s) would add up to half a second to every SLA alert
        poll_delay=WORKER_POLL_DELAY,
        burst=burst,
        handle_signals=not burst,
        timezone=settings.tz,  # type: ignore[arg-type]  # any tzinfo works; the weekly retrain runs at local time
        **JSON_SERIALIZERS,  # type: ignore[arg-type]
    )


def run_worker(settings: Settings) -> None:
    configure_logging(settings.logging, "worker")
    build_worker(settings).run()
