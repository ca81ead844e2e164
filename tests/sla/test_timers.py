"""SLA timers on a real arq worker: warning and breach fire once each, and the sweep adds nothing."""

from __future__ import annotations

import asyncpg
import redis.asyncio as aioredis

from hotline.queue import connect_queue
from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.jobs import running_worker, stream_events
from tests.support.services import Processes
from tests.support.sla import SHORT_REPLY
from tests.support.waiting import consistently, eventually


async def test_warning_and_breach_fire_once_each(
    city: dict[str, int], spawn: Processes, login: Login, settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    base = await spawn.web(**SHORT_REPLY)
    operator = await login("operator", base)
    ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    reply = next(d for d in ticket["deadlines"] if d["track"] == "reply")

    async def both_announced() -> bool:
        query = "SELECT count(*), count(published_at) FROM sla_alerts WHERE deadline_id = $1"
        raised, published = await pool.fetchrow(query, reply["id"])
        return raised == published == 2

    async with running_worker(settings):
        await eventually(both_announced, timeout=30, message="warning and breach raised and announced")
        await consistently(both_announced, duration=0.5, message="no alert raised twice")

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

    async with running_worker(settings):
        await eventually(swept, timeout=30, message="the sweep ran")
    assert await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE deadline_id = $1", reply["id"]) == 2
    assert len(await stream_events(redis, "sla.overdue")) == 1
    assert await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE published_at IS NULL") == 0
