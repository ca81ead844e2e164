"""The supervisor's board: snapshot, websocket, supervision orders (督办单) and urges (催办)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from hotline import board_snapshot, schemas
from hotline.api.common import Endpoint, ok
from hotline.api.tickets import action
from hotline.auth import User, current_user, request_token, user_and_catalog_version_for_token
from hotline.catalog_cache import Catalog
from hotline.tickets import supervision
from hotline.tickets.journal import Context
from hotline.tickets.records import Ticket


async def board_view(request: Request) -> Response:
    user = await current_user(request)
    return ok(await shared_snapshot(request.app, user))


class Viewer:
    """Who holds a board or inbox socket: the user, and the catalog as it was when they connected or were last
    checked (read with the token, one round trip for a socket of a connect storm)."""

    __slots__ = ("catalog", "user")

    def __init__(self, user: User, catalog: Catalog):
        self.user = user
        self.catalog = catalog


async def authenticate_socket(websocket: WebSocket) -> Viewer | None:
    state = websocket.app.state
    async with state.pool.acquire() as conn:
        found = await user_and_catalog_version_for_token(conn, request_token(websocket), state.clock())
        if found is None:
            return None
        user, version = found
        return Viewer(user, await state.catalogs.get(conn, version))


async def _snapshot_of(
    state: Any, user: User, catalog: Catalog | None = None
) -> tuple[Hashable, Callable[[], Awaitable[dict[str, Any]]]]:
    """The key viewers of `user`'s subtree share, and the computation of their board as it is now (with `catalog`
    when the caller has just read it)."""
    if catalog is None:
        async with state.pool.acquire() as conn:
            catalog = await state.catalogs.get(conn)
    return _snapshot_for(state, user, catalog)


def _snapshot_for(state: Any, user: User, catalog: Catalog) -> tuple[Hashable, Callable[[], Awaitable[dict[str, Any]]]]:
    async def compute() -> dict[str, Any]:
        async with state.reads.acquire(current=True) as conn:
            return await board_snapshot.snapshot(conn, catalog, state.settings, user, state.clock())

    return board_snapshot.sharing_key(user, catalog), compute


async def shared_snapshot(app: Any, user: User, catalog: Catalog | None = None) -> dict[str, Any]:
    """The board as it is now, computed once for the viewers of the same subtree asking together."""
    key, compute = await _snapshot_of(app.state, user, catalog)
    return await app.state.board_snapshots.get(key, compute)


def socket_snapshot(app: Any):  # type: ignore[no-untyped-def]
    async def make(viewer: Viewer) -> dict[str, Any]:
        return await shared_snapshot(app, viewer.user, viewer.catalog)

    return make


Positioned = Callable[[], Awaitable[tuple[str, str]]]  # a snapshot as JSON text, with the stream id it is current to


def _recent(state: Any, viewer: Viewer, max_stale_s: float) -> tuple[Hashable, Positioned]:
    """The sharing key of `viewer`'s board, and its socket's snapshot (JSON text) with the stream position it holds
    every event up to, shared by the viewers of the same subtree for [web] board_snapshot_shared_s
    (realtime/endpoint.py sends each the events since), in this process and, through Redis, in the others: one
    process computes it while the others wait for it. Past that interval, for `max_stale_s` more, this process's
    last one serves while the next is computed."""
    key, compute = _snapshot_for(state, viewer.user, viewer.catalog)
    max_age_s = state.settings.web.board_snapshot_shared_s

    async def computed() -> tuple[str, str]:
        position = await state.hub.tail_id()  # before the read: every event up to it is in the snapshot
        # encoded once for every viewer that takes it: on a thousand boards connecting, encoding a snapshot per
        # socket was a fifth of the web processes' work
        return position, json.dumps(await compute(), ensure_ascii=False, separators=(",", ":"))

    async def positioned() -> tuple[str, str]:
        state.board_warmer.begins(key, audience(viewer))
        if not max_age_s:  # nothing is shared between processes
            return await computed()
        if (taken := await board_snapshot.stored(state.redis, key)) is not None:
            return taken  # another process's, stored less than max_age_s ago
        if (taken := await board_snapshot.computed_elsewhere(state.redis, key)) is not None:
            return taken
        try:
            made = await computed()
            await board_snapshot.store(state.redis, key, made, max_age_s)
            return made
        finally:
            await board_snapshot.release(state.redis, key)

    async def recent() -> tuple[str, str]:
        return await state.board_snapshots.recent(key, positioned, max_age_s, max_stale_s)

    return key, recent


def recent_socket_snapshot(app: Any):  # type: ignore[no-untyped-def]
    """A connecting board socket's snapshot: a recent one of its subtree, or the last while the next is computed
    (for [web] board_snapshot_stale_s), see `_recent`."""

    async def make(viewer: Viewer) -> tuple[str, str]:
        _key, recent = _recent(app.state, viewer, app.state.settings.web.board_snapshot_stale_s)
        return await recent()

    return make


def watch_socket(app: Any):  # type: ignore[no-untyped-def]
    """While a board socket is open, its subtree's snapshot is kept recent (realtime/warmer.py): computed again
    as a connecting socket's would be, waited for rather than served stale."""

    def watching(viewer: Viewer) -> contextlib.AbstractContextManager[None]:
        key, refresh = _recent(app.state, viewer, max_stale_s=0.0)
        return app.state.board_warmer.watching(key, audience(viewer), refresh)

    return watching


def audience(viewer: Viewer) -> int:
    """The unit whose events a board or inbox socket gets: those addressed to it. Every event's unit path holds
    the units it concerns and their ancestors, the city's included; an event about tickets of several subtrees goes
    out once per group of boards that may see the same tickets (report/early_warning.py audiences), so the city,
    too, takes only those addressed to it."""
    return viewer.user.unit_id


async def _supervise(tx: Context, it: Any, user: User, t: Ticket, b: schemas.ReasonOnly) -> Any:
    order_id = await supervision.do_issue_order(tx, user, t, b.reason, it.settings.supervision.order_answer_hours)
    it.clock.schedule_started(tx)  # the answer clock's timers
    return order_id


async def _urge(tx: Context, it: Any, user: User, t: Ticket, b: schemas.Note) -> Any:
    return await supervision.do_urge(tx, user, t, b.text)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/board",
        board_view,
        "督办大屏：统计、倒计时、重点督办、预警",
        "board",
        None,
        "Board",
        (200, 401),
    ),
    action("supervise", "下发督办单", schemas.ReasonOnly, _supervise),
    action("urge", "催办", schemas.Note, _urge),
]
