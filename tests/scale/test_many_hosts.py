"""Many hosts (issue 15 point 4): two `hotline web` and two `hotline worker` processes, each its own process
group on its own port, share one PostgreSQL and one Redis behind a TCP round-robin. Tickets taken through the
round-robin land on both web processes, and a supervisor's board on either process sees every one of them
live, whichever process took the call."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.api import api_token
from tests.support.calls import NOISE_CALL
from tests.support.roundrobin import RoundRobin
from tests.support.services import Processes
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("city")

TICKETS = 12


async def _watch(base: str, token: str, seen: set[int], ready: asyncio.Event) -> None:
    url = base.replace("http://", "ws://") + f"/ws/board?token={token}"
    async with connect(url, compression=None) as ws:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "snapshot":
                ready.set()
            if frame["type"] == "event" and frame["event_type"] == "ticket.created":
                seen.add(frame["payload"]["ticket_id"])


async def test_boards_on_either_web_process_see_tickets_taken_by_the_other(spawn: Processes) -> None:
    bases = [await spawn.web(), await spawn.web()]
    workers = [await spawn.worker(), await spawn.worker()]
    assert len({w.pid for w in workers}) == 2
    balancer = RoundRobin([int(b.rsplit(":", 1)[1]) for b in bases])
    front = await balancer.start()
    token = await api_token(front, "supervisor")
    seen: list[set[int]] = [set(), set()]
    ready = [asyncio.Event(), asyncio.Event()]
    watchers = [asyncio.create_task(_watch(b, token, s, r)) for b, s, r in zip(bases, seen, ready, strict=True)]
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 10)
        operator_token = await api_token(front, "operator")
        taken: set[int] = set()
        for _ in range(TICKETS):
            # a new connection per call, so the round-robin alternates between the two web processes
            async with httpx.AsyncClient(base_url=front, headers={"Authorization": f"Bearer {operator_token}"}) as c:
                response = await c.post("/api/tickets", json=NOISE_CALL)
            assert response.status_code == 201, response.text
            taken.add(response.json()["id"])
        assert all(n >= TICKETS // 2 for n in balancer.connections.values()), balancer.connections
        for board in seen:
            await eventually(lambda board=board: taken <= board, message="every ticket on both boards")
    finally:
        for task in watchers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await balancer.stop()
