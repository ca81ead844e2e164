"""The hub's reader across a Redis restart, on a private valkey this test may stop and start."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime import publish
from tests.support.board import BoardServer, events, frame
from tests.support.valkey import Valkey
from tests.support.waiting import eventually


@pytest.fixture(params=[False, True], ids=["without-persistence", "with-aof"])
async def valkey(request: pytest.FixtureRequest) -> AsyncIterator[Valkey]:
    directory = Path(tempfile.mkdtemp(prefix="realtime-valkey-"))
    server = Valkey(directory, persistent=request.param)
    await server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def test_the_hub_survives_a_redis_restart(valkey: Valkey) -> None:
    board = await BoardServer(valkey.url, hub_options={"max_backoff_s": 0.2, "block_ms": 500}).start()
    try:
        hub = board.hub
        assert hub is not None
        async with connect(board.url()) as ws:
            await frame(ws)
            before = aioredis.from_url(valkey.url)
            seen = await publish(before, "ticket.created", [1, 5], {})
            assert [e["id"] for e in await events(ws, 1)] == [seen]
            await before.aclose()

            valkey.stop()
            await eventually(lambda: not hub.connected, message="the hub noticed Redis gone")
            await valkey.start()
            await eventually(lambda: hub.connected, message="the hub reconnected")
            after = aioredis.from_url(valkey.url)

            if valkey.persistent:
                # Nothing was lost: the connection stays and the next event arrives.
                live = await publish(after, "ticket.completed", [1, 5], {})
                assert [e["id"] for e in await events(ws, 1)] == [live]
            else:
                # The stream is gone, and events may have been lost with it: clients must resync.
                with pytest.raises(ConnectionClosed) as closed:
                    await frame(ws)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4410
                assert hub.resyncs == 1

        async with connect(board.url(last_event_id=seen)) as ws:
            first = await frame(ws)
            if valkey.persistent:
                assert first["id"] == live
            else:
                assert first["type"] == "snapshot"
                live = await publish(after, "ticket.reopened", [1, 5], {})
                assert [e["id"] for e in await events(ws, 1)] == [live]
        await after.aclose()
    finally:
        board.stop()


@pytest.mark.parametrize("valkey", [False], indirect=True, ids=["without-persistence"])
async def test_a_hub_started_while_redis_is_down_asks_clients_to_retry_then_serves(valkey: Valkey) -> None:
    valkey.stop()
    board = await BoardServer(valkey.url, hub_options={"max_backoff_s": 0.2, "block_ms": 500}).start()
    try:
        hub = board.hub
        assert hub is not None and not hub.ready
        async with connect(board.url()) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

        await valkey.start()
        await eventually(lambda: hub.ready and hub.connected, message="the hub ready once Redis is up")
        async with connect(board.url()) as ws:
            assert (await frame(ws))["type"] == "snapshot"
            publisher = aioredis.from_url(valkey.url)
            live = await publish(publisher, "ticket.created", [1, 5], {})
            assert [e["id"] for e in await events(ws, 1)] == [live]
            await publisher.aclose()
    finally:
        board.stop()
