"""A Redis that hangs (paused with SIGSTOP, not down) never hangs a request, and the board events of what
was committed meanwhile reach a real board client afterwards, each once, from the outbox in PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.api import api_token, ok
from tests.support.calls import NOISE_CALL
from tests.support.services import Processes, start_process
from tests.support.valkey import Valkey
from tests.support.waiting import consistently, eventually

pytestmark = pytest.mark.usefixtures("city")

TIMEOUT_S = "0.5"  # [redis] socket_timeout_s for the processes under test


async def test_a_paused_redis_delays_board_events_but_never_a_request(
    spawn: Processes, valkey: Valkey, pool: asyncpg.Pool, test_environ: dict[str, str]
) -> None:
    # one request at a time (load shedding, hotline/ops/shedding.py): a second one meanwhile gets a 503 at once
    base = await spawn.web(
        HOTLINE_REDIS_URL=valkey.url, HOTLINE_REDIS_SOCKET_TIMEOUT_S=TIMEOUT_S, HOTLINE_WEB_MAX_IN_FLIGHT="1"
    )
    seen: Counter[int] = Counter()
    ready = asyncio.Event()

    async def board() -> None:  # a supervisor's board (sees the whole city) over a real websocket
        url = base.replace("http://", "ws://") + "/ws/board?token=" + await api_token(base, "supervisor")
        async with connect(url, compression=None) as ws:
            async for raw in ws:
                frame = json.loads(raw)
                ready.set()
                if frame["type"] == "event" and frame["event_type"] == "ticket.created":
                    seen[frame["payload"]["ticket_id"]] += 1

    reader = asyncio.create_task(board())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        operator = await api_token(base, "operator")
        headers = {"Authorization": f"Bearer {operator}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
            before = ok(await client.post("/api/tickets", json=NOISE_CALL), 201)["id"]
            await eventually(lambda: seen[before] == 1, message="the board sees a ticket while Redis answers")

            valkey.pause()
            started = time.monotonic()
            slow = asyncio.create_task(client.post("/api/tickets", json={**NOISE_CALL, "caller_phone": "13900002222"}))
            await asyncio.sleep(0.2)  # the first is waiting for Redis now
            shed = await client.get("/api/tickets?limit=1")
            assert shed.status_code == 503 and shed.json()["error"]["message"] == "系统繁忙，请稍后重试", shed.text
            assert shed.headers["Retry-After"] == "2"
            assert (await client.get("/healthz")).status_code in (200, 503)  # never shed: it answers
            during = ok(await slow, 201)
            elapsed = time.monotonic() - started
        assert elapsed < 3.0, f"a ticket POST took {elapsed:.1f} s while Redis was paused"
        waiting = await pool.fetchval(
            "SELECT count(*) FROM board_outbox WHERE relayed_at IS NULL AND event_type = 'ticket.created'"
            " AND payload->>'ticket_id' = $1",
            str(during["id"]),
        )
        assert waiting == 1, "the committed ticket's event waits in the outbox"

        valkey.resume()
        # the worker's relay publishes what the web process could not
        spawn.started.append(start_process(["worker"], {**test_environ, "HOTLINE_REDIS_URL": valkey.url}))
        await eventually(lambda: seen[during["id"]] == 1, timeout=20, message="the outbox event reaches the board")
        await consistently(lambda: seen[during["id"]] == 1 and seen[before] == 1, duration=0.5, message="once each")
        # the paused Redis ran the web process's timed-out publish when it resumed; the relay then finds
        # the events already on the stream (publish_once) and only marks them
        unrelayed = "SELECT count(*) = 0 FROM board_outbox WHERE relayed_at IS NULL"
        await eventually(lambda: pool.fetchval(unrelayed), message="every event marked relayed")
        await consistently(lambda: seen[during["id"]] == 1, duration=0.3, message="still once")
    finally:
        reader.cancel()
