"""Jobs go through the real queue and a real arq worker, with JSON (not pickle) on the wire."""

import json

import pytest

from hotline.queue import connect_queue
from hotline.settings import Settings
from hotline.worker import build_worker

pytestmark = pytest.mark.usefixtures("clean")


async def test_a_job_runs_once_through_the_queue(settings: Settings, redis) -> None:
    queue = connect_queue(settings)
    try:
        job = await queue.enqueue_job("ping", _job_id="ping-1")
        assert job is not None
        assert await queue.enqueue_job("ping", _job_id="ping-1") is None  # same id: not queued twice
        raw = await redis.get("arq:job:ping-1")
        assert json.loads(raw)["f"] == "ping"  # readable JSON, never pickle

        worker = build_worker(settings, burst=True)
        await worker.main()
        await worker.close()
        assert worker.jobs_complete == 1
        assert await job.result(timeout=5) == "pong"
    finally:
        await queue.aclose()
