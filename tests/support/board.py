"""A small board app around the realtime endpoint, served by a real uvicorn in a thread.

The principal callables are our own injection points (the real ones live in hotline/):
`?token=unit-5` authenticates as a supervisor of unit 5, who sees events whose unit_path
holds 5. Tests talk to it with the `websockets` client over real TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import redis.asyncio as aioredis
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection

from realtime import Event, Hub, websocket_route
from tests.support.services import free_port
from tests.support.waiting import eventually


@dataclass(frozen=True)
class Principal:
    unit: int


async def authenticate(websocket: WebSocket) -> Principal | None:
    token = websocket.query_params.get("token", "")
    return Principal(int(token.removeprefix("unit-"))) if token.startswith("unit-") else None


def accepts(principal: Principal, event: Event) -> bool:
    return principal.unit in event.unit_path


async def default_snapshot(principal: Principal) -> dict[str, Any]:
    return {"unit": principal.unit, "counts": {"open": 3}}


@dataclass
class BoardServer:
    """One web process's worth of board: a Hub and the endpoint under uvicorn."""

    redis_url: str
    port: int = field(default_factory=free_port)
    heartbeat_s: float = 30.0
    snapshot: Callable[[Principal], Awaitable[dict[str, Any]]] = default_snapshot
    hub_options: dict[str, Any] = field(default_factory=dict)
    hub: Hub | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def _app(self) -> Starlette:
        client = aioredis.from_url(self.redis_url)
        hub = self.hub = Hub(client, **self.hub_options)

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            async with hub:
                yield
            await client.aclose()

        endpoint = websocket_route(hub, authenticate, self.snapshot, accepts, heartbeat_s=self.heartbeat_s)
        return Starlette(routes=[WebSocketRoute("/ws/board", endpoint)], lifespan=lifespan)

    async def start(self) -> BoardServer:
        config = uvicorn.Config(
            self._app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="websockets-sansio",
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"board-{self.port}", daemon=True)
        self._thread.start()
        server, thread = self._server, self._thread

        def started() -> bool:
            if not thread.is_alive():
                raise RuntimeError("board server exited while starting")
            return server.started

        await eventually(started, timeout=15, interval=0.02, message="board server started")
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(20)
            self._server = self._thread = None

    def url(self, token: str = "unit-5", last_event_id: str | None = None, *, batch: bool = False) -> str:
        query = {"token": token} | ({"last_event_id": last_event_id} if last_event_id else {})
        query |= {"batch": "1"} if batch else {}
        return f"ws://127.0.0.1:{self.port}/ws/board?{urlencode(query)}"


async def frame(ws: ClientConnection, wait: float = 5.0, *, pings: bool = False) -> dict[str, Any]:
    """The next frame (skipping pings unless asked for)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), wait))
        if pings or message["type"] != "ping":
            return message


async def events(ws: ClientConnection, count: int, wait: float = 5.0) -> list[dict[str, Any]]:
    received = [await frame(ws, wait) for _ in range(count)]
    assert all(m["type"] == "event" for m in received), received
    return received


async def silent(ws: ClientConnection, seconds: float = 0.3) -> bool:
    """True when no frame other than pings arrives for `seconds`."""
    try:
        message = await frame(ws, seconds)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected frame {message}")
