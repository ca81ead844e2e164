"""The board socket (issue 12 point 9), with real websocket clients: another site's page cannot open it, a
session that expires or is revoked while open is closed (checked every [web] board_revalidate_s), and one
user holds at most [web] board_connections_per_user sockets per web process."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.api import api_token
from tests.support.board import frame
from tests.support.services import Processes

CLOSE_UNAUTHENTICATED, CLOSE_TOO_MANY = 4401, 4408


async def closed_with(ws: ClientConnection, wait: float = 3.0) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(wait):
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_the_board_socket_checks_origin_sessions_and_a_cap(
    city: dict[str, int], spawn: Processes, pool: asyncpg.Pool
) -> None:
    base = await spawn.web(HOTLINE_WEB_BOARD_REVALIDATE_S="0.2", HOTLINE_WEB_BOARD_CONNECTIONS_PER_USER="2")
    ws_base = base.replace("http://", "ws://") + "/ws/board"
    token = await api_token(base, "supervisor")
    url = f"{ws_base}?token={token}"

    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin="http://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403

    async with connect(url, origin=base) as first, connect(url) as second:  # type: ignore[arg-type]
        assert (await frame(first))["type"] == (await frame(second))["type"] == "snapshot"
        async with connect(url) as third:
            assert await closed_with(third) == CLOSE_TOO_MANY
        other = await api_token(base, "dh-supervisor")  # another user is not counted against this one
        async with connect(f"{ws_base}?token={other}") as elsewhere:
            assert (await frame(elsewhere))["type"] == "snapshot"

        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            assert (await client.post("/api/auth/logout")).status_code == 200  # the token ends
        assert await closed_with(first) == CLOSE_UNAUTHENTICATED
        assert await closed_with(second) == CLOSE_UNAUTHENTICATED

    fresh = await api_token(base, "supervisor")
    async with connect(f"{ws_base}?token={fresh}") as board:  # both slots are free again
        assert (await frame(board))["type"] == "snapshot"
        await pool.execute("UPDATE auth_tokens SET expires_at = now() - interval '1 second'")  # it expires
        assert await closed_with(board) == CLOSE_UNAUTHENTICATED
