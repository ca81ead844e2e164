"""Live inboxes: the websocket that tells a unit's inbox, queue and callback list that something changed.

The same machinery as the board (realtime/), with the board's scope filter (an event reaches a socket when
the user's unit is on its unit path) and a snapshot that costs nothing: the pages re-read their lists
through the JSON API, which applies every permission, so the socket only says *when* to look.
"""

from __future__ import annotations

from typing import Any

from starlette.websockets import WebSocket

from hotline.api import board
from realtime.endpoint import websocket_route


async def _snapshot(viewer: board.Viewer) -> dict[str, Any]:
    return {"unit_id": viewer.user.unit_id, "role": viewer.user.role.value}


async def inbox_socket(websocket: WebSocket) -> None:
    endpoint = websocket_route(
        websocket.app.state.hub,
        board.authenticate_socket,
        _snapshot,
        unit_of=board.audience,
    )
    await endpoint(websocket)
