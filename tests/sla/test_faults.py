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
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from hotline.queue import connect_queue
from hotline.settings import Settings
from hotline.sla.timers import schedule_timers, timer_job_id, timer_window
from tests.conftest import service_environ, start_process, stop_process, wait_for_http

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


async def token_for(base: str, username: str = "supervisor") -> str:
    async with httpx.AsyncClient(base_url=base) as anon:
        response = await anon.post(
            "/api/auth/login", json={"username": username, "password": "demo12345", "kind": "api"}
        )
        return str(response.json()["token"])


async def plant_deadlines(
    pool: asyncpg.Pool, count: int, due_in: float, spread: float
) -> list[tuple[int, datetime, datetime]]:
    """`count` open tickets at a community, each with a reply clock falling due within the window."""
    now = datetime.now(UTC)
    unit = await pool.fetchval("SELECT id FROM units WHERE code = 'DH-S1-C1'")
    rows = await pool.fetch(
        """WITH t AS (
               INSERT INTO tickets (number, type, channel, content, state, holder_unit_id, created_at, updated_at)
               SELECT 'F' || g, 'complaint', 'phone', '测试工单' || g, 'new', $1, $2, $2 FROM generate_series(1, $3) g
               RETURNING id)
           SELECT id FROM t ORDER BY id""",
        unit,
        now,
        count,
    )
    await pool.execute("UPDATE tickets SET state = 'assigned' WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
    planted = []
    for i, row in enumerate(rows):
        due = now + timedelta(seconds=due_in + spread * i / max(1, count))
        warn = due - timedelta(seconds=0.5)
        deadline_id = await pool.fetchval(
            """INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction,
                                      start_at, due_at, warn_at)
               VALUES ($1, $2, 'reply', '测试时限', 60, 'natural', 0.8, $3, $4, $5) RETURNING id""",
            row["id"],
            unit,
            now,
            due,
            warn,
        )
        planted.append((deadline_id, warn, due))
    return planted


async def schedule(settings: Settings, planted: list[tuple[int, datetime, datetime]]) -> None:
    queue = connect_queue(settings)
    for _, warn, due in planted:
        await schedule_timers(queue, (warn, due))
    await queue.aclose()


async def wait_for_alerts(pool: asyncpg.Pool, clients: list[BoardClient], expected: int, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        raised = await pool.fetchval("SELECT count(*) FROM sla_alerts")
        if raised >= expected and all(len(c.alerts) >= expected for c in clients):
            await asyncio.sleep(0.5)  # anything duplicated would arrive now
            return
        await asyncio.sleep(0.2)


async def connected_board(base: str, username: str = "supervisor") -> BoardClient:
    """A board client on `base`, already past its snapshot."""
    board = BoardClient(base, await token_for(base, username))
    board.start()
    await asyncio.wait_for(board.connected.wait(), 10)
    return board


def assert_exactly_once(client: BoardClient, expected: int) -> None:
    assert len(client.alerts) == expected, f"{len(client.alerts)} distinct alerts of {expected}"
    duplicates = {k: n for k, n in client.alerts.items() if n > 1}
    assert duplicates == {}, f"delivered more than once: {list(duplicates.items())[:5]}"


async def test_worker_killed_mid_run_and_restarted(spawn, settings: Settings, pool: asyncpg.Pool) -> None:
    base = spawn("web")
    board = await connected_board(base)
    planted = await plant_deadlines(pool, 200, due_in=2.0, spread=3.0)
    await schedule(settings, planted)
    worker = spawn("worker")
    await asyncio.sleep(3.0)  # part of the timers have fired
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    fired_before = await pool.fetchval("SELECT count(*) FROM sla_alerts")
    assert 0 < fired_before < 400, "the kill should land in the middle of the run"
    spawn("worker")
    await wait_for_alerts(pool, [board], 400, timeout=30)
    await board.stop()
    assert await pool.fetchval("SELECT count(*) FROM sla_alerts") == 400
    assert_exactly_once(board, 400)


async def test_redis_flushed_with_1000_timers_pending(
    spawn, settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    base = spawn("web")
    board = await connected_board(base)
    planted = await plant_deadlines(pool, 1000, due_in=6.0, spread=2.0)
    await schedule(settings, planted)
    # every timer still waits in Redis: the 2,000 moments share a few windows of due time, one job each
    windows = {timer_job_id(*timer_window(at, at)) for _, warn, due in planted for at in (warn, due)}
    queued = {job_id.decode() for job_id in await redis.zrange(settings.redis.queue_name, 0, -1)}
    assert 8 <= len(windows) < 20
    assert windows <= queued
    await redis.flushdb()  # every pending timer is gone
    spawn("worker")  # its sweep re-derives them all from the database
    await wait_for_alerts(pool, [board], 2000, timeout=60)
    await board.stop()
    assert await pool.fetchval("SELECT count(*) FROM sla_alerts") == 2000
    assert_exactly_once(board, 2000)


async def test_web_process_restarted_while_clients_are_connected(spawn, settings: Settings, pool: asyncpg.Pool) -> None:
    port_base = spawn("web")
    board = await connected_board(port_base)
    planted = await plant_deadlines(pool, 100, due_in=1.0, spread=4.0)
    await schedule(settings, planted)
    spawn("worker")
    await asyncio.sleep(2.0)
    # restart the web process on the same port: the client reconnects and resumes from its last id
    spawn.web_processes[port_base].kill()
    await asyncio.sleep(1.0)  # alerts keep firing while it is down
    env = service_environ(settings.database_url, settings.redis_url, settings.var_path)
    again = start_process(["web", "--port", port_base.rsplit(":", 1)[1]], env)
    try:
        wait_for_http(f"{port_base}/healthz", again)
        await wait_for_alerts(pool, [board], 200, timeout=30)
    finally:
        await board.stop()
        stop_process(again)
    assert_exactly_once(board, 200)


async def test_two_web_processes_and_two_workers(spawn, settings: Settings, pool: asyncpg.Pool) -> None:
    bases = [spawn("web"), spawn("web")]
    boards = [await connected_board(b) for b in bases] + [await connected_board(bases[0], "dh-supervisor")]
    planted = await plant_deadlines(pool, 100, due_in=1.5, spread=2.0)
    await schedule(settings, planted)
    spawn("worker")
    spawn("worker")
    await wait_for_alerts(pool, boards, 200, timeout=30)
    for board in boards:
        await board.stop()
        assert_exactly_once(board, 200)
    workers_seen = await pool.fetchval("SELECT count(*) FROM sla_alerts")
    assert workers_seen == 200
