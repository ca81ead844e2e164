"""The arq worker process: SLA timers and background jobs, with a heartbeat for /healthz."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from arq.worker import Worker
from redis.exceptions import RedisError

from hotline import heartbeat, jobs
from hotline.catalog_cache import CatalogCache
from hotline.db import create_pool
from hotline.logs import configure_logging
from hotline.ops.gc_tuning import settle_after_startup
from hotline.outbox import relay
from hotline.queue import JSON_SERIALIZERS, connect_queue
from hotline.settings import Settings
from hotline.sla.timers import WORKER_POLL_DELAY

log = structlog.get_logger(__name__)


class SteadyWorker(Worker):
    """arq's worker, but a Redis that pauses or restarts does not end the process: a poll that times out
    (every command has a timeout, hotline/queue.py) is logged and tried again after a short wait."""

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except (RedisError, OSError) as exc:
            log.warning("queue unreachable; polling again", error=str(exc))
            await asyncio.sleep(POLL_RETRY_S)


POLL_RETRY_S = 0.5


def build_worker(settings: Settings, *, burst: bool = False, settle_gc: bool = False) -> Worker:
    """An arq worker; `settle_gc` tunes the process's garbage collector once started (for a process of its own:
    hotline/ops/gc_tuning.py)."""
    ident = heartbeat.worker_id()

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["pool"] = await create_pool(settings)
        ctx["catalogs"] = CatalogCache()
        ctx["heartbeat"] = asyncio.create_task(heartbeat.beat_forever(ctx["redis"], ident, settings.worker.heartbeat_s))
        # board events the web processes could not get out (Redis paused, a process died after COMMIT)
        ctx["relay"] = asyncio.create_task(relay.relay_forever(ctx["pool"], ctx["redis"]))
        if settle_gc:
            settle_after_startup()

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if ctx.get("relay"):
            ctx["relay"].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ctx["relay"]
        task = ctx.get("heartbeat")
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await heartbeat.forget(ctx["redis"], ident)
        if "pool" in ctx:
            await relay.flush_marks(ctx["pool"])
            await ctx["pool"].close()

    return SteadyWorker(
        functions=jobs.FUNCTIONS,  # type: ignore[arg-type]
        # arq queues each cron run ahead of time, so a burst worker with crons would never find
        # its queue empty; burst runs (tests, one-off drains) enqueue `sweep` by name instead
        cron_jobs=[] if burst else jobs.cron_jobs(settings),
        redis_pool=connect_queue(settings),  # with the command and connect timeouts of every client of ours
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
    build_worker(settings, settle_gc=True).run()
