"""SLA timers under faults, observed by real board clients over websockets.

- a worker killed (kill -9) in the middle of its run and started again;
- Redis flushed while 1,000 timers are pending;
- a web process restarted while clients are connected;
- two web processes and two workers: an alert from either worker reaches clients of either process.

In each, every due alert arrives exactly once at a client that stays or comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import Counter

import asyncpg
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from hotline.settings import Settings
from hotline.sla.timers import timer_job_id, timer_window
from tests.support.api import api_token
from tests.support.services import Processes
from tests.support.sla import plant_deadlines, schedule
from tests.support.waiting import consistently, eventually

pytestmark = pytest.mark.usefixtures("city")


class BoardClient:
    """A supervisor's board over a real websocket, resuming from its last event id like client.js."""

    def __init__(self, base: str, token: str):
        self.url = base.replace("http://", "ws://") + "/ws/board"
        self.token = token
        self.last_event_id: str | None = None
        self.alerts: Counter[tuple[int, str]] = Counter()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            query = f"?token={self.token}" + (f"&last_event_id={self.last_event_id}" if self.last_event_id else "")
            try:
                async with connect(self.url + query, compression=None) as ws:
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame["type"] in ("snapshot", "resumed", "ping") and frame.get("last_event_id"):
                            self.last_event_id = frame["last_event_id"]
                            self.connected.set()
                        if frame["type"] == "event":
                            self.last_event_id = frame["id"]
                            if frame["event_type"] in ("sla.warning", "sla.overdue"):
                                payload = frame["payload"]
                                self.alerts[(payload["alert_id"], payload["kind"])] += 1
            except Exception:  # server gone or connection closed: come back, as a wall screen does
                self.connected.clear()
                await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def alerts_raised(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM sla_alerts"))


async def all_delivered(pool: asyncpg.Pool, clients: list[BoardClient], expected: int, timeout: float) -> None:
    """Every alert raised and on every client; then, for a moment, nothing more (a duplicate would arrive now)."""

    async def delivered() -> bool:
        return await alerts_raised(pool) >= expected and all(len(c.alerts) >= expected for c in clients)

    await eventually(delivered, timeout=timeout, interval=0.2, message=f"{expected} alerts on {len(clients)} boards")
    await consistently(
        lambda: all(sum(c.alerts.values()) == expected for c in clients),
        duration=0.5,
        message="no alert delivered twice",
    )


async def connected_board(base: str, username: str = "supervisor") -> BoardClient:
    """A board client on `base`, already past its snapshot."""
    board = BoardClient(base, await api_token(base, username))
    board.start()
    await asyncio.wait_for(board.connected.wait(), 10)
    return board


def assert_exactly_once(client: BoardClient, expected: int) -> None:
    assert len(client.alerts) == expected, f"{len(client.alerts)} distinct alerts of {expected}"
    duplicates = {k: n for k, n in client.alerts.items() if n > 1}
    assert duplicates == {}, f"delivered more than once: {list(duplicates.items())[:5]}"


async def test_worker_killed_mid_run_and_restarted(spawn: Processes, settings: Settings, pool: asyncpg.Pool) -> None:
    base = await spawn.web()
    board = await connected_board(base)
    worker = await spawn.worker()  # running before the clocks start, so the kill lands mid-run
    planted = await plant_deadlines(pool, 200, due_in=2.0, spread=3.0)
    await schedule(settings, planted)
    await eventually(lambda: alerts_raised(pool), timeout=15, message="the first timers fired")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    await eventually(lambda: no_other_session_active(pool), message="the killed worker's last statement ended")
    fired_before = await alerts_raised(pool)
    assert fired_before < 400, "the kill should land in the middle of the run"
    # the queue is this test's own: no other worker takes its timers while it has none running
    await consistently(
        lambda: alerts_raised_is(pool, fired_before), duration=1.0, message="no alert raised without a worker"
    )
    await spawn.worker()
    await all_delivered(pool, [board], 400, timeout=30)
    await board.stop()
    assert await alerts_raised(pool) == 400
    assert_exactly_once(board, 400)


async def alerts_raised_is(pool: asyncpg.Pool, count: int) -> bool:
    return await alerts_raised(pool) == count


async def no_other_session_active(pool: asyncpg.Pool) -> bool:
    query = """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()"""
    return await pool.fetchval(query) == 0


async def test_redis_flushed_with_1000_timers_pending(
    spawn: Processes, settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    base = await spawn.web()
    board = await connected_board(base)
    planted = await plant_deadlines(pool, 1000, due_in=6.0, spread=2.0)
    await schedule(settings, planted)
    # every timer still waits in Redis: the 2,000 moments share a few windows of due time, one job each
    windows = {timer_job_id(*timer_window(at, at)) for _, warn, due in planted for at in (warn, due)}
    queued = {job_id.decode() for job_id in await redis.zrange(settings.redis.queue_name, 0, -1)}
    assert 8 <= len(windows) < 20
    assert windows <= queued
    await redis.flushdb()  # every pending timer is gone
    await spawn.worker()  # its sweep re-derives them all from the database
    await all_delivered(pool, [board], 2000, timeout=60)
    await board.stop()
    assert await alerts_raised(pool) == 2000
    assert_exactly_once(board, 2000)


async def test_web_process_restarted_while_clients_are_connected(
    spawn: Processes, settings: Settings, pool: asyncpg.Pool
) -> None:
    base = await spawn.web()
    board = await connected_board(base)
    await spawn.worker()
    planted = await plant_deadlines(pool, 100, due_in=1.0, spread=4.0)
    await schedule(settings, planted)
    await eventually(lambda: board.alerts, timeout=15, message="the first alerts on the board")
    # restart the web process on the same port: the client reconnects and resumes from its last id
    spawn.web_processes[base].kill()
    raised_before = await alerts_raised(pool)
    await eventually(
        lambda: alerts_after(pool, raised_before), timeout=15, message="alerts raised while the web process is down"
    )
    await spawn.web(port=int(base.rsplit(":", 1)[1]))
    try:
        await all_delivered(pool, [board], 200, timeout=30)
    finally:
        await board.stop()
    assert_exactly_once(board, 200)


async def alerts_after(pool: asyncpg.Pool, count: int) -> bool:
    return await alerts_raised(pool) > count


async def test_two_web_processes_and_two_workers(spawn: Processes, settings: Settings, pool: asyncpg.Pool) -> None:
    bases = [await spawn.web(), await spawn.web()]
    boards = [await connected_board(b) for b in bases] + [await connected_board(bases[0], "dh-supervisor")]
    planted = await plant_deadlines(pool, 100, due_in=1.5, spread=2.0)
    await schedule(settings, planted)
    await spawn.worker()
    await spawn.worker()
    await all_delivered(pool, boards, 200, timeout=30)
    for board in boards:
        await board.stop()
        assert_exactly_once(board, 200)
    assert await alerts_raised(pool) == 200
