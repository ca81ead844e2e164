"""SLA timers on a real arq worker: warning and breach fire once each, and the sweep adds nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import redis.asyncio as aioredis

from hotline.queue import connect_queue
from hotline.settings import Settings
from hotline.worker import build_worker
from realtime.events import Event
from realtime.stream import DEFAULT_STREAM
from tests.api.test_ticket_lifecycle import NOISE_CALL
from tests.conftest import ok

SHORT_REPLY = {"HOTLINE_SLA_REPLY_MINUTES": "0.05", "HOTLINE_SLA_REPLY_COUNTS": "natural"}  # due 3 s after dispatch


async def run_worker_until(settings: Settings, done: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """A real worker on the queue (the completion clocks keep jobs queued for days, so burst mode
    would never end): it runs until `done()` holds, then a little longer so a second firing would show."""
    worker = build_worker(settings, burst=False)
    task = asyncio.create_task(worker.main())
    try:
        async with asyncio.timeout(timeout):
            while not await done():
                await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()


async def stream_events(redis: aioredis.Redis, kind: str) -> list[dict]:
    """Payloads of the board events of one type, as every web process's hub reads them."""
    entries = await redis.xrange(DEFAULT_STREAM)
    return [e.payload for e in (Event.from_entry(i, f) for i, f in entries) if e.type == kind]


async def test_warning_and_breach_fire_once_each(
    city: dict[str, int], spawn, settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    import httpx

    base = spawn("web", **SHORT_REPLY)
    async with httpx.AsyncClient(base_url=base) as anon:
        token = ok(
            await anon.post("/api/auth/login", json={"username": "operator", "password": "demo12345", "kind": "api"})
        )["token"]
        operator = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"})
        ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
        await operator.aclose()
    reply = next(d for d in ticket["deadlines"] if d["track"] == "reply")

    async def both_fired() -> bool:
        return await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE deadline_id = $1", reply["id"]) >= 2

    await run_worker_until(settings, both_fired)

    alerts = await pool.fetch("SELECT kind FROM sla_alerts WHERE deadline_id = $1 ORDER BY kind", reply["id"])
    assert [a["kind"] for a in alerts] == ["overdue", "warning"]
    actions = await pool.fetch(
        "SELECT action FROM ticket_events WHERE ticket_id = $1 AND action LIKE 'sla_%' ORDER BY id", ticket["id"]
    )
    assert [a["action"] for a in actions] == ["sla_warning", "sla_overdue"]
    assert await pool.fetchval("SELECT count(*) FROM supervision_orders WHERE deadline_id = $1", reply["id"]) == 1
    assert [e["alert_id"] for e in await stream_events(redis, "sla.warning")] == [
        await pool.fetchval("SELECT id FROM sla_alerts WHERE deadline_id = $1 AND kind = 'warning'", reply["id"])
    ]
    assert len(await stream_events(redis, "sla.overdue")) == 1

    # the sweep, through the queue, finds nothing left to raise and announces nothing twice
    queue = connect_queue(settings)
    job = await queue.enqueue_job("sweep")
    await queue.aclose()

    async def swept() -> bool:
        return (await job.status()).value == "complete"

    await run_worker_until(settings, swept)
    assert await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE deadline_id = $1", reply["id"]) == 2
    assert len(await stream_events(redis, "sla.overdue")) == 1
    assert await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE published_at IS NULL") == 0
