"""The live board websocket end to end: real uvicorn, real Redis, the `websockets` client."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from unittest.mock import ANY

import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime import endpoint, publish
from realtime.events import id_key, is_event_id
from realtime.stream import DEFAULT_STREAM, publish_once
from tests.support.board import BoardServer, events, frame, silent
from tests.support.services import ROOT

pytestmark = pytest.mark.usefixtures("clean")

Board = Callable[..., Awaitable[BoardServer]]


def ids(frames: list[dict[str, Any]]) -> list[str]:
    return [f["id"] for f in frames]


def shape(sent: dict[str, Any]) -> tuple[str, list[str]]:
    """A frame's type and the ids of the events it carries, one or a batch."""
    return sent["type"], ids(sent.get("events", [sent]))


async def test_snapshot_comes_first_then_live_events(board: Board, redis: aioredis.Redis) -> None:
    server = await board()
    async with connect(server.url("unit-5")) as ws:
        snapshot = await frame(ws)
        assert snapshot == {
            "type": "snapshot",
            "last_event_id": ANY,
            "data": {"unit": 5, "counts": {"open": 3}},
        }
        assert is_event_id(snapshot["last_event_id"])

        event_id = await publish(redis, "ticket.created", [1, 3, 5], {"ticket": 42, "title": "夜间施工噪音"})

        assert await frame(ws) == {
            "type": "event",
            "id": event_id,
            "event_type": "ticket.created",
            "at": ANY,
            "unit_path": [1, 3, 5],
            "payload": {"ticket": 42, "title": "夜间施工噪音"},
        }
        assert id_key(event_id) > id_key(snapshot["last_event_id"])


async def test_a_supervisor_sees_only_their_own_subtree(board: Board, redis: aioredis.Redis) -> None:
    server = await board()
    async with connect(server.url("unit-5")) as five, connect(server.url("unit-9")) as nine:
        await frame(five), await frame(nine)

        in_nine = await publish(redis, "sla.warning", [1, 9, 12], {})
        in_five = await publish(redis, "sla.overdue", [1, 3, 5, 7], {})
        await publish(redis, "supervision.order", [1], {})  # the city level: above both
        in_both = await publish(redis, "ticket.dispatched", [1, 3, 5, 9], {})

        assert ids(await events(five, 2)) == [in_five, in_both]
        assert ids(await events(nine, 2)) == [in_nine, in_both]
        assert await silent(five) and await silent(nine)


async def test_resuming_after_a_disconnect_misses_nothing_and_repeats_nothing(
    board: Board, redis: aioredis.Redis
) -> None:
    server = await board()
    async with connect(server.url()) as ws:
        await frame(ws)
        seen = [await publish(redis, "ticket.created", [1, 5], {"n": n}) for n in range(2)]
        assert ids(await events(ws, 2)) == seen

    missed = [await publish(redis, "ticket.signed", [1, 5], {"n": n}) for n in range(3)]
    elsewhere = await publish(redis, "ticket.signed", [1, 9], {})

    async with connect(server.url(last_event_id=seen[-1])) as ws:
        assert ids(await events(ws, 3)) == missed
        assert await frame(ws) == {"type": "resumed", "last_event_id": elsewhere, "replayed": 3}
        live = await publish(redis, "ticket.completed", [1, 5], {})
        assert ids(await events(ws, 1)) == [live]
        assert await silent(ws)

    async with connect(server.url(last_event_id=live)) as ws:
        assert await frame(ws) == {"type": "resumed", "last_event_id": live, "replayed": 0}


async def test_a_board_that_takes_batches_gets_the_events_waiting_for_it_in_one_frame(
    board: Board, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ?batch=1 the events queued for a socket go out together, in order, each once: a run that reached the hub
    at once (one relay's script, as a request's events do) makes one frame, and so does a resume's replay, in
    frames of at most MAX_BATCH. A socket that did not ask gets one frame per event, as before."""
    server = await board()
    monkeypatch.setattr(endpoint, "MAX_BATCH", 2)
    now = datetime.now(UTC)
    async with connect(server.url(batch=True)) as batched, connect(server.url()) as single:
        await frame(batched), await frame(single)
        run = await publish_once(redis, [(n, "ticket.created", [1, 5], {"n": n}, now) for n in range(3)])
        assert [shape(await frame(batched)) for _ in range(2)] == [("events", run[:2]), ("event", run[2:])]
        # Published once the run is out: sent any earlier, it could share the run's last frame.
        lone = await publish(redis, "ticket.signed", [1, 5], {})
        assert shape(await frame(batched)) == ("event", [lone])
        assert ids(await events(single, 4)) == [*run, lone]
        assert await silent(batched)

    missed = [await publish(redis, "ticket.completed", [1, 5], {"n": n}) for n in range(3)]
    async with connect(server.url(last_event_id=lone, batch=True)) as ws:
        assert [shape(await frame(ws)) for _ in range(2)] == [("events", missed[:2]), ("event", missed[2:])]
        assert await frame(ws) == {"type": "resumed", "last_event_id": missed[-1], "replayed": 3}


async def test_an_id_the_stream_no_longer_holds_gets_a_fresh_snapshot(board: Board, redis: aioredis.Redis) -> None:
    server = await board(hub_options={"recent_size": 0})  # the hub keeps nothing it read: replays from the stream
    published = [await publish(redis, "ticket.created", [1, 5], {"n": n}) for n in range(5)]
    await redis.xtrim(DEFAULT_STREAM, maxlen=2, approximate=False)

    for stale in (published[0], published[2], "0-1", "not-an-id", "99999999999999-0"):
        async with connect(server.url(last_event_id=stale)) as ws:
            assert await frame(ws) == {"type": "snapshot", "last_event_id": published[-1], "data": ANY}, stale

    async with connect(server.url(last_event_id=published[3])) as ws:  # still retained: exact replay
        assert ids(await events(ws, 1)) == [published[4]]

    await redis.flushdb()  # Redis lost everything, ids included
    async with connect(server.url(last_event_id=published[-1])) as ws:
        snapshot = await frame(ws)
        assert snapshot["type"] == "snapshot"
        assert id_key(snapshot["last_event_id"]) > id_key(published[-1])
        live = await publish(redis, "ticket.created", [1, 5], {})
        assert ids(await events(ws, 1)) == [live]


async def test_a_long_absence_gets_a_snapshot_rather_than_a_long_replay(board: Board, redis: aioredis.Redis) -> None:
    """More events to replay than replay_limit: a fresh snapshot costs less. Events the board may not see do not
    count: the hub replays from the entries it read, filtered for the board."""
    server = await board(hub_options={"replay_limit": 3})
    assert server.hub is not None
    everything = server.hub.subscribe(lambda event: True)

    async def published(unit_path: list[int], count: int) -> list[str]:
        ids = [await publish(redis, "ticket.created", unit_path, {}) for _ in range(count)]
        for _ in ids:
            await asyncio.wait_for(everything.queue.get(), 5)  # the hub has read it
        return ids

    [last] = await published([1, 5], 1)
    elsewhere = await published([1, 9], 4)
    async with connect(server.url(last_event_id=last)) as ws:
        assert await frame(ws) == {"type": "resumed", "last_event_id": elsewhere[-1], "replayed": 0}

    await published([1, 5], 4)
    async with connect(server.url(last_event_id=elsewhere[-1])) as ws:
        assert (await frame(ws))["type"] == "snapshot"


async def test_without_a_principal_the_socket_closes_with_4401(board: Board) -> None:
    server = await board()
    for url in (f"ws://127.0.0.1:{server.port}/ws/board", server.url(token="nobody")):
        async with connect(url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    assert server.hub is not None and server.hub.subscriber_count == 0


async def test_quiet_sockets_get_pings_that_carry_a_resumable_id(board: Board, redis: aioredis.Redis) -> None:
    server = await board(heartbeat_s=0.2)
    async with connect(server.url("unit-5")) as ws:
        snapshot = await frame(ws)
        assert await frame(ws, pings=True) == {
            "type": "ping",
            "at": ANY,
            "last_event_id": snapshot["last_event_id"],
        }

        # Events for other units move the client's resumable id on without being sent.
        elsewhere = await publish(redis, "ticket.created", [1, 9], {})
        while (ping := await frame(ws, pings=True))["last_event_id"] != elsewhere:
            assert ping["type"] == "ping"

        await ws.send(json.dumps({"type": "ping"}))
        assert await frame(ws) == {"type": "pong", "at": ANY}
        await ws.send(json.dumps({"type": "pong"}))
        await ws.send("not json at all")
        mine = await publish(redis, "ticket.created", [1, 5], {})
        assert ids(await events(ws, 1)) == [mine]

    async with connect(server.url(last_event_id=elsewhere)) as ws:
        assert ids(await events(ws, 1)) == [mine]
        assert (await frame(ws))["type"] == "resumed"


async def test_a_slow_client_is_dropped_without_delaying_a_fast_one(board: Board, redis: aioredis.Redis) -> None:
    server = await board(hub_options={"queue_size": 32})
    # The slow client stops reading: a small receive buffer and a one-frame client queue let
    # the server's socket fill quickly, so its hub queue overflows after a few MB.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    async with (
        connect(server.url(), sock=sock, max_queue=1) as slow,
        connect(server.url()) as fast,
    ):
        await frame(slow), await frame(fast)
        blob = os.urandom(16_384).hex()  # incompressible: permessage-deflate is on by default
        published: list[str] = []
        received: list[str] = []
        delays: list[float] = []

        async def read_fast() -> None:
            while True:
                message = await frame(fast, 10)
                received.append(message["id"])
                delays.append(time.time() - message["payload"]["sent"])
                if message["payload"].get("last"):
                    return

        reader = asyncio.create_task(read_fast())
        while server.hub is not None and server.hub.dropped_slow == 0:
            assert len(published) < 3000, "the slow client was never dropped"
            published.append(await publish(redis, "ticket.created", [1, 5], {"blob": blob, "sent": time.time()}))
            await asyncio.sleep(0.002)  # a busy board, not a flood: a fast client keeps up
            while len(published) - len(received) > 8:  # ... even when a loaded machine slows this test's reader
                await asyncio.sleep(0.005)
        published.append(await publish(redis, "ticket.created", [1, 5], {"sent": time.time(), "last": True}))
        await asyncio.wait_for(reader, 20)

        assert received == published
        assert max(delays) < 1.0, f"the fast client waited {max(delays):.3f} s"
        assert server.hub is not None and server.hub.subscriber_count == 1

        slow_received = 0
        with pytest.raises(ConnectionClosed):
            while True:
                await frame(slow, 10)
                slow_received += 1
        assert slow_received < len(published)


async def test_every_web_process_delivers_an_event_published_by_a_worker(board: Board, redis_url: str) -> None:
    first, second = await board(), await board()
    async with connect(first.url("unit-5")) as on_first, connect(second.url("unit-5")) as on_second:
        await frame(on_first), await frame(on_second)
        worker = (
            "import asyncio, sys, redis.asyncio as r\n"
            "from realtime import publish\n"
            "async def main():\n"
            "    client = r.from_url(sys.argv[1])\n"
            "    print(await publish(client, 'sla.overdue', [1, 5], {'ticket': 7}))\n"
            "    await client.aclose()\n"
            "asyncio.run(main())\n"
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", worker, redis_url, cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        stdout, _ = await process.communicate()
        assert process.returncode == 0
        event_id = stdout.decode().strip()
        assert ids(await events(on_first, 1)) == [event_id]
        assert ids(await events(on_second, 1)) == [event_id]


async def test_reconnecting_clients_get_every_event_exactly_once_while_events_flow(
    board: Board, redis: aioredis.Redis
) -> None:
    async def slow_snapshot(principal: Any) -> dict[str, Any]:
        await asyncio.sleep(0.05)  # widen the window between subscribing and the snapshot
        return {}

    server = await board(snapshot=slow_snapshot)
    stop = asyncio.Event()

    async def keep_publishing() -> None:
        n = 0
        while not stop.is_set():
            await publish(redis, "ticket.created", [1, 5] if n % 3 else [1, 9], {"n": n})
            n += 1
            await asyncio.sleep(0.001)

    publisher = asyncio.create_task(keep_publishing())
    loop = asyncio.get_running_loop()
    rng = random.Random(12345)
    snapshots: list[str] = []
    received: list[str] = []
    last: str | None = None

    async def follow(ws: Any, seconds: float) -> None:
        nonlocal last
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                message = await frame(ws, remaining)
            except TimeoutError:
                return
            if message["type"] == "snapshot":
                snapshots.append(message["last_event_id"])
                last = message["last_event_id"]
            elif message["type"] == "event":
                received.append(message["id"])
                last = message["id"]

    for _ in range(20):
        async with connect(server.url(last_event_id=last)) as ws:
            await follow(ws, rng.uniform(0.0, 0.15))
    stop.set()
    await publisher

    entries = await redis.xrange(DEFAULT_STREAM)
    mine = [i.decode() for i, f in entries if 5 in json.loads(f[b"unit_path"])]
    async with connect(server.url(last_event_id=last)) as ws:
        for _ in range(10):
            if received and received[-1] == mine[-1]:
                break
            await follow(ws, 0.5)

    assert len(snapshots) == 1, "every reconnect should have resumed"
    expected = [i for i in mine if id_key(i) > id_key(snapshots[0])]
    assert len(expected) > 100
    assert received == expected
