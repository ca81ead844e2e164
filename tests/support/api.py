"""The HTTP API as a demo user: signing in (every demo user has the same password), reading answers, and
watching the live board."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

PASSWORD = "demo12345"


async def api_token(base: str, username: str, password: str = PASSWORD) -> str:
    """A bearer token of `username` from the web process at `base`."""
    async with httpx.AsyncClient(base_url=base, timeout=15.0) as anon:
        response = await anon.post("/api/auth/login", json={"username": username, "password": password, "kind": "api"})
    assert response.status_code == 200, f"login as {username}: {response.status_code} {response.text}"
    return str(response.json()["token"])


async def api_client(base: str, username: str) -> httpx.AsyncClient:
    """An HTTP client carrying `username`'s bearer token; the caller closes it."""
    token = await api_token(base, username)
    return httpx.AsyncClient(base_url=base, timeout=15.0, headers={"Authorization": f"Bearer {token}"})


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


async def board_socket(base: str, username: str) -> ClientConnection:
    """`username`'s live board on the web process at `base`, past its snapshot; the caller closes it."""
    token = await api_token(base, username)
    ws = await connect(base.replace("http://", "ws://") + f"/ws/board?token={token}", compression=None)
    assert json.loads(await ws.recv())["type"] == "snapshot"
    return ws


async def frames_until(ws: ClientConnection, event_type: str, count: int, wait: float = 10.0) -> list[dict[str, Any]]:
    """Every event frame up to and including the `count`-th one of `event_type`."""
    received: list[dict[str, Any]] = []
    async with asyncio.timeout(wait):
        while sum(f["event_type"] == event_type for f in received) < count:
            message = json.loads(await ws.recv())
            if message["type"] == "event":
                received.append(message)
    return received


# the `login` fixture: `await login(username)` or `await login(username, base)`
Login = Callable[..., Awaitable[httpx.AsyncClient]]


async def open311_key(base: str, acts_as: str = "operator", name: str = "市民 App") -> str:
    """A new Open311 client key, created by the city's admin, whose requests are taken in as `acts_as`."""
    async with await api_client(base, "admin") as admin:
        created = ok(await admin.post("/api/admin/open311-clients", json={"name": name, "acts_as": acts_as}), 201)
    return str(created["key"])
