"""Live inboxes over /ws/inbox: every socket hears of the tickets in its unit's subtree and of nothing else.

Roles: handlers of 柳岸社区 (DH-S1-C1), of 青山湖社区 (DH-S1-C2, same street), of 青山街道 (the street above both)
and of 岭南街道 (西岭区); a street supervisor urges and orders. The socket's frames carry the board's masked
payloads (no raw phone number); the lists behind them come from the JSON API.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from realtime import publish
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL

pytestmark = pytest.mark.usefixtures("city")

WEST_CALL = {
    **NOISE_CALL,
    "content": "岭秀社区广场舞音响太大声，晚上十点以后还在跳。",
    "address": "西岭区岭南街道岭秀社区",
}


async def inbox_socket(web_server: str, login: Login, username: str) -> ClientConnection:
    token = (await login(username)).headers["Authorization"].removeprefix("Bearer ")
    ws = await connect(web_server.replace("http://", "ws://") + f"/ws/inbox?token={token}", compression=None)
    first = json.loads(await ws.recv())
    assert first["type"] == "snapshot" and set(first["data"]) == {"unit_id", "role"}
    return ws


async def events_until(ws: ClientConnection, done: str, wait: float = 5.0) -> list[dict[str, Any]]:
    """Event frames up to and including the first of type `done`."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(wait):
        while not frames or frames[-1]["event_type"] != done:
            message = json.loads(await ws.recv())
            if message["type"] == "event":
                frames.append(message)
    return frames


async def test_each_inbox_hears_of_its_own_subtree_only(
    web_server: str, login: Login, redis: Any, city: dict[str, int]
) -> None:
    names = ("dh-s1-c1-handler", "dh-s1-c2-handler", "dh-s1-handler", "xl-s1-handler")
    c1, c2, street, west = [await inbox_socket(web_server, login, n) for n in names]
    operator = await login("operator")
    east_ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    assert east_ticket["holder_unit_id"] == city["DH-S1-C1"]
    supervisor = await login("dh-s1-supervisor")
    ok(await supervisor.post(f"/api/tickets/{east_ticket['id']}/urge", json={"text": "请今天内联系诉求人"}))
    ok(await supervisor.post(f"/api/tickets/{east_ticket['id']}/supervise", json={"reason": "群众反映强烈"}))
    west_ticket = ok(await operator.post("/api/tickets", json=WEST_CALL), 201)
    # a marker every socket hears, published after everything else: what a socket has not received
    # before it, it was never sent (each socket's events arrive in stream order)
    everyone = sorted(city[code] for code in ("YC", "DH", "DH-S1", "DH-S1-C1", "DH-S1-C2", "XL", "XL-S1"))
    await publish(redis, "test.marker", everyone, {})

    sockets = dict(zip(names, (c1, c2, street, west), strict=True))
    heard = {name: await events_until(ws, "test.marker") for name, ws in sockets.items()}
    tickets = {n: {f["payload"]["ticket_id"] for f in got if "ticket_id" in f["payload"]} for n, got in heard.items()}
    assert tickets == {
        "dh-s1-c1-handler": {east_ticket["id"]},
        "dh-s1-c2-handler": set(),
        "dh-s1-handler": {east_ticket["id"]},
        "xl-s1-handler": {west_ticket["id"]},
    }
    mine = [f for f in heard["dh-s1-c1-handler"] if f["payload"].get("holder_unit_id") == city["DH-S1-C1"]]
    assert {"ticket.dispatched", "ticket.urged", "supervision.order"} <= {f["event_type"] for f in mine}
    assert "13812341234" not in json.dumps(heard, ensure_ascii=False)
    for ws in sockets.values():
        await ws.close()


async def test_a_socket_without_a_session_is_refused(web_server: str) -> None:
    async with connect(web_server.replace("http://", "ws://") + "/ws/inbox", compression=None) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
