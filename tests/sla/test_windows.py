"""Timer windows on real arq workers: many moments of one window raise their alerts once each, in
bulk, however often a job runs; clocks met or moved before their window fires raise nothing there."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import redis.asyncio as aioredis
from arq.connections import ArqRedis

from hotline.queue import connect_queue
from hotline.settings import Settings
from hotline.sla.timers import schedule_timers, timer_job_id, timer_window
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.jobs import drain, nothing_due, running_worker, stream_events
from tests.support.services import Processes
from tests.support.sla import SHORT_REPLY, plant_deadlines, schedule
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("city")


def queue_for(settings: Settings) -> ArqRedis:
    return connect_queue(settings)


async def alerts_by_moment(pool: asyncpg.Pool) -> Counter[tuple[int, str]]:
    return Counter((r["deadline_id"], r["kind"]) for r in await pool.fetch("SELECT deadline_id, kind FROM sla_alerts"))


async def test_one_window_of_many_timers_fires_once_though_its_job_runs_twice(
    settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    planted = await plant_deadlines(pool, 300, due_in=1.5, spread=0.0)  # all due at the same instant
    await schedule(settings, planted)
    # the same windows again under other ids, as if arq re-ran each job: two copies run side by side
    queue = queue_for(settings)
    windows = {timer_window(at, at) for _, warn, due in planted for at in (warn, due)}
    assert len(windows) == 2
    for start, end in windows:
        args = [round(t.timestamp() * 1000) for t in (start, end)]
        await queue.enqueue_job("fire_timers", *args, _job_id=timer_job_id(start, end) + ":again", _defer_until=end)

    await drain(settings, workers=2)

    # and once more after they ran: the window's id is free again, its job finds nothing left to raise
    for start, end in windows:
        args = [round(t.timestamp() * 1000) for t in (start, end)]
        assert await queue.enqueue_job("fire_timers", *args, _job_id=timer_job_id(start, end)) is not None
    await queue.aclose()
    await drain(settings)

    alerts = await alerts_by_moment(pool)
    assert len(alerts) == 600 and set(alerts.values()) == {1}
    events = await pool.fetch("SELECT action, count(*) AS n FROM ticket_events GROUP BY action")
    assert {r["action"]: r["n"] for r in events} == {"sla_warning": 300, "sla_overdue": 300, "supervision_order": 300}
    assert await pool.fetchval("SELECT count(DISTINCT deadline_id) FROM supervision_orders") == 300
    for kind in ("sla.warning", "sla.overdue", "supervision.order"):
        payloads = await stream_events(redis, kind)
        key = "order_id" if kind == "supervision.order" else "alert_id"
        assert len(payloads) == len({p[key] for p in payloads}) == 300, kind
    assert await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE published_at IS NULL") == 0


async def test_ticket_answered_before_its_window_fires_raises_no_alert(
    spawn: Processes, login: Login, settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    base = await spawn.web(**SHORT_REPLY)  # reply due 3 s after dispatch, warning at 2.4 s
    operator = await login("operator", base)
    signed, unsigned = [ok(await operator.post("/api/tickets", json=NOISE_CALL), 201) for _ in range(2)]
    community = await pool.fetchval("SELECT id FROM units WHERE code = 'DH-S1-C1'")
    assert signed["holder_unit_id"] == unsigned["holder_unit_id"] == community
    handler = await login("dh-s1-c1-handler", base)
    # signed for and replied to (联系诉求人): the 1-hour reply clock is met
    ok(await handler.post(f"/api/tickets/{signed['id']}/sign"))
    ok(await handler.post(f"/api/tickets/{signed['id']}/contact", json={"method": "phone", "outcome": "reached"}))
    reply = await pool.fetchval("SELECT status FROM deadlines WHERE ticket_id = $1 AND track = 'reply'", signed["id"])
    assert reply == "met"

    async def unsigned_overdue_announced() -> bool:
        query = "SELECT count(*), count(published_at) FROM sla_alerts WHERE ticket_id = $1"
        raised, published = await pool.fetchrow(query, unsigned["id"])
        return raised == published == 2

    async with running_worker(settings):
        await eventually(unsigned_overdue_announced, timeout=30, message="the unsigned ticket's alerts announced")
        await eventually(lambda: nothing_due(redis, settings), message="every window due by now has run")

    assert await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE ticket_id = $1", signed["id"]) == 0
    query = "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND action LIKE 'sla_%'"
    assert await pool.fetchval(query, signed["id"]) == 0
    boarded = [p["ticket_id"] for k in ("sla.warning", "sla.overdue") for p in await stream_events(redis, k)]
    assert sorted(boarded) == [unsigned["id"], unsigned["id"]]


async def test_clock_moved_later_fires_at_its_new_moment_only(settings: Settings, pool: asyncpg.Pool) -> None:
    planted = await plant_deadlines(pool, 2, due_in=1.0, spread=0.0)
    await schedule(settings, planted)
    (stays, _, _), (moved, _, _) = planted
    # an extension approved meanwhile: the clock is recomputed and its new moments queued, as after commit
    new_due = datetime.now(UTC) + timedelta(seconds=3)
    await pool.execute(
        "UPDATE deadlines SET due_at = $2::timestamptz, warn_at = $2::timestamptz - interval '1 second' WHERE id = $1",
        moved,
        new_due,
    )
    queue = queue_for(settings)
    await schedule_timers(queue, (new_due - timedelta(seconds=1), new_due))
    await queue.aclose()

    await drain(settings)

    alerts = await pool.fetch("SELECT deadline_id, kind, raised_at FROM sla_alerts ORDER BY raised_at")
    assert Counter(r["deadline_id"] for r in alerts) == {stays: 2, moved: 2}
    assert all(r["raised_at"] >= new_due - timedelta(seconds=1) for r in alerts if r["deadline_id"] == moved)
    assert max(r["raised_at"] for r in alerts if r["deadline_id"] == stays) < new_due - timedelta(seconds=1)


async def test_moment_already_passed_when_queued_fires_at_once(settings: Settings, pool: asyncpg.Pool) -> None:
    planted = await plant_deadlines(pool, 20, due_in=-10.0, spread=5.0)  # a clock recorded after it ran out
    queued_at = datetime.now(UTC)
    await schedule(settings, planted)

    await drain(settings)

    assert set((await alerts_by_moment(pool)).values()) == {1}
    assert len(await alerts_by_moment(pool)) == 40
    assert await pool.fetchval("SELECT max(raised_at) FROM sla_alerts") < queued_at + timedelta(seconds=2)


async def test_sweep_announces_an_alert_whose_event_did_not_get_out(
    settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    [(deadline_id, _, due)] = await plant_deadlines(pool, 1, due_in=-60.0, spread=0.0)
    # committed, then the worker died before publishing: the row has no published_at
    alert_id = await pool.fetchval(
        """INSERT INTO sla_alerts (deadline_id, ticket_id, unit_id, kind, due_at, raised_at)
           SELECT id, ticket_id, unit_id, 'overdue', due_at, $2 FROM deadlines WHERE id = $1 RETURNING id""",
        deadline_id,
        due,
    )
    queue = queue_for(settings)
    await queue.enqueue_job("sweep")
    await queue.aclose()

    await drain(settings)

    assert [p["alert_id"] for p in await stream_events(redis, "sla.overdue")] == [alert_id]
    assert await pool.fetchval("SELECT published_at IS NOT NULL FROM sla_alerts WHERE id = $1", alert_id)
    # the sweep raised the warning the dead worker never got to, and no second overdue alert
    assert await alerts_by_moment(pool) == {(deadline_id, "overdue"): 1, (deadline_id, "warning"): 1}
