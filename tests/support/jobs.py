"""Jobs through the real arq queue and real workers in the test process, on the test's own queue."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from arq.worker import Worker

from hotline.queue import connect_queue
from hotline.settings import Settings
from hotline.worker import build_worker
from realtime.events import Event
from realtime.stream import DEFAULT_STREAM


async def run_through_queue(settings: Settings, function: str, job_id: str) -> Any:
    """Queue `function` as the system does and run it on a real arq worker (burst); its result."""
    queue = connect_queue(settings)
    try:
        job = await queue.enqueue_job(function, _job_id=job_id)
        assert job is not None
        worker = build_worker(settings, burst=True)
        await worker.main()
        await worker.close()
        return await job.result(timeout=10)
    finally:
        await queue.aclose()


async def drain(settings: Settings, workers: int = 1, timeout: float = 30) -> None:
    """Real burst workers, side by side, until the queue (deferred timers included) is empty."""
    running = [build_worker(settings, burst=True) for _ in range(workers)]
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(w.main() for w in running))
    finally:
        for worker in running:
            await worker.close()


@contextlib.asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[None]:
    """A real worker polling the queue for as long as the block runs (the completion clocks keep jobs
    queued for days, so a burst worker would never finish)."""
    worker = build_worker(settings, burst=False)
    task = asyncio.create_task(worker.main())
    try:
        yield
    finally:
        await _cancelled(task, worker)
        await _within(asyncio.ensure_future(worker.close()), worker, "the worker did not close")


async def _cancelled(main: asyncio.Task[Any], worker: Worker) -> None:
    """Cancel the worker's loop until it ends. A cancel that reaches it inside a Redis call may be swallowed there
    (a clean-clone run saw the loop go on polling after one, its frame at arq's poll), so it is sent again each
    second; past CLOSE_WITHIN_S the test fails as `_within` does."""
    for _ in range(CLOSE_WITHIN_S):
        main.cancel()
        done, _ = await asyncio.wait([main], timeout=1)
        if done:
            with contextlib.suppress(asyncio.CancelledError):
                main.result()  # raises what the loop raised
            return
    _fail(main, worker, "the worker's loop did not end when cancelled")


# A cancelled worker ends its loop, and arq's close waits for the jobs still running: a job or loop that never ends
# would hang the test until pytest-timeout, whose report shows threads, not tasks (a CI run once hung so). Past
# this, the test fails naming where the worker and each of its jobs wait.
CLOSE_WITHIN_S = 30


async def _within(step: asyncio.Task[Any], worker: Worker, failure: str) -> None:
    done, _ = await asyncio.wait([step], timeout=CLOSE_WITHIN_S)
    if done:
        step.result()  # raises what the step raised
        return
    _fail(step, worker, failure)


def _fail(step: asyncio.Task[Any], worker: Worker, failure: str) -> None:
    jobs = {name: task.get_stack() for name, task in worker.tasks.items() if not task.done()}
    waits = step.get_stack()
    step.cancel()
    raise AssertionError(f"{failure} within {CLOSE_WITHIN_S} s: it waits at {waits}, its jobs at {jobs}")


async def stream_events(redis: aioredis.Redis, kind: str) -> list[dict]:
    """Payloads of the board events of one type, as every web process's hub reads them."""
    entries = await redis.xrange(DEFAULT_STREAM)
    return [e.payload for e in (Event.from_entry(i, f) for i, f in entries) if e.type == kind]


async def nothing_due(redis: aioredis.Redis, settings: Settings) -> bool:
    """No job of the settings' queue is due and unfinished (arq keeps a job in its queue until it has run), cron
    runs aside: those of the per-second crons (the outbox relay, webhooks) are due nearly all the time."""
    due = await redis.zrangebyscore(settings.redis.queue_name, 0, time.time() * 1000)
    return not [job for job in due if not job.startswith(b"cron:")]
