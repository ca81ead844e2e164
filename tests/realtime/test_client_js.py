"""realtime/client.js under node against the real endpoint: reconnect, resume, no gaps, no repeats."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from realtime import publish
from tests.support.board import BoardServer
from tests.support.services import ROOT

NODE = shutil.which("node")
HARNESS = Path(__file__).with_name("client_harness.js")
CLIENT = ROOT / "realtime" / "client.js"

pytestmark = [
    pytest.mark.usefixtures("clean"),
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
]


class NodeClient:
    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.lines: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, url: str) -> NodeClient:
        assert NODE is not None
        process = await asyncio.create_subprocess_exec(
            NODE, "--experimental-websocket", str(HARNESS), str(CLIENT), url, stdout=asyncio.subprocess.PIPE
        )
        return cls(process)

    async def until(self, condition: Callable[[dict[str, Any]], bool], wait: float = 10.0) -> dict[str, Any]:
        """Read lines until one meets `condition`; return it."""
        assert self.process.stdout is not None
        async with asyncio.timeout(wait):
            while True:
                raw = await self.process.stdout.readline()
                assert raw, f"node exited after {self.lines}"
                line = json.loads(raw)
                self.lines.append(line)
                if condition(line):
                    return line

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["kind"] == kind]

    async def finish(self) -> int:
        async with asyncio.timeout(10):
            assert self.process.stdout is not None
            self.lines += [json.loads(line) for line in (await self.process.stdout.read()).splitlines()]
            return await self.process.wait()


async def test_the_browser_client_resumes_across_a_server_restart(
    board: Callable[..., Awaitable[BoardServer]], redis: aioredis.Redis
) -> None:
    server = await board()
    client = await NodeClient.start(server.url("unit-5"))
    await client.until(lambda line: line["kind"] == "snapshot")
    before = [await publish(redis, "ticket.created", [1, 5], {"n": n}) for n in range(2)]
    await client.until(lambda line: line.get("id") == before[-1])

    await asyncio.to_thread(server.stop)  # a deploy: uvicorn closes the sockets with 1012
    await client.until(lambda line: line.get("status") == "reconnecting")
    during = [await publish(redis, "ticket.signed", [1, 5], {"n": n}) for n in range(3)]
    await publish(redis, "ticket.signed", [1, 9], {})
    await board(port=server.port)

    await client.until(lambda line: line.get("id") == during[-1])
    last = await publish(redis, "ticket.completed", [1, 5], {"last": True})
    assert await client.finish() == 0

    assert [line["id"] for line in client.of("event")] == [*before, *during, last]
    assert len(client.of("snapshot")) == 1
    statuses = [line["status"] for line in client.of("status")]
    assert statuses[:2] == ["connecting", "live"] and statuses[-1] == "closed"
    assert "reconnecting" in statuses


async def test_the_browser_client_stops_when_unauthorized(board: Callable[..., Awaitable[BoardServer]]) -> None:
    server = await board()
    client = await NodeClient.start(server.url(token="nobody"))
    assert await client.finish() == 0
    assert [line["status"] for line in client.of("status")] == ["connecting", "unauthorized"]
