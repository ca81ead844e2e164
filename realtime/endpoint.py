"""The live board websocket: a snapshot or a replay, then live events and heartbeats.

Protocol (JSON text frames; docs/realtime.md has the details):

    server: {"type": "snapshot", "last_event_id": id, "data": {...}}        fresh start
            {"type": "resumed", "last_event_id": id, "replayed": n}        after replaying n events
            {"type": "event", "id", "event_type", "at", "unit_path", "payload"}
            {"type": "events", "events": [event, ...]}                    several at once (with ?batch=1)
            {"type": "ping", "at", "last_event_id"}                         after a quiet interval
            {"type": "pong", "at"}                                          answer to a client ping
    client: {"type": "pong"} | {"type": "ping"}

The caller supplies who the user is, what their board looks like now and which events
concern them; this module knows nothing of users or units.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Final, TypeVar

from redis.exceptions import RedisError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from realtime.events import Event, IdKey, id_key, utc_now_iso
from realtime.hub import DROPPED_SLOW, Hub, Subscription

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED: Final = 4401  # also: the session expired, ended or was revoked while open
CLOSE_TOO_MANY: Final = 4408  # the principal already holds its maximum of sockets (retry later)
CLOSE_TOO_SLOW: Final = 4429  # the client fell a queue behind; it should resume
CLOSE_STREAM_RESET: Final = 4410  # Redis lost events; the client should resume (and get a snapshot)
CLOSE_INTERNAL: Final = 1011
CLOSE_TRY_AGAIN: Final = 1013  # Redis is unreachable for now
# A client that asks for batches (?batch=1) gets the events waiting for it in one frame of at most this many: with a
# thousand boards each event was a frame per socket (a send, a write syscall and a client-side parse each), and
# under load events wait in the queues in runs, so a run costs a socket one frame instead of one per event.
MAX_BATCH: Final = 200

P = TypeVar("P")

# How a send or receive reports that the client has already gone.
_GONE = (WebSocketDisconnect, WebSocketDisconnected, OSError)


def websocket_route(
    hub: Hub,
    authenticate: Callable[[WebSocket], Awaitable[P | None]],
    snapshot: Callable[[P], Awaitable[dict[str, Any]]],
    accepts: Callable[[P, Event], bool] | None = None,
    *,
    unit_of: Callable[[P], int] | None = None,
    heartbeat_s: float = 25.0,
    close_timeout_s: float = 5.0,
    revalidate_s: float | None = None,
    max_per_principal: int | None = None,
    principal_key: Callable[[P], Hashable] = id,
    recent_snapshot: Callable[[P], Awaitable[tuple[str, str]]] | None = None,
    watching: Callable[[P], contextlib.AbstractContextManager[Any]] | None = None,
) -> Callable[[WebSocket], Awaitable[None]]:
    """A websocket endpoint for `WebSocketRoute(path, websocket_route(...))`.

    `authenticate(websocket)` returns the principal, or None to close with 4401; with `revalidate_s` it is
    asked again that often while the socket is open, and None then closes it with 4401 too (an expired or
    revoked session does not keep a board open). `max_per_principal` caps the open sockets of one principal
    (as `principal_key` names it) in this endpoint: one more is closed with 4408;
    `snapshot(principal)` returns the board's current data; `recent_snapshot(principal)`, when given, returns
    (stream id, data as JSON text): a snapshot holding every event up to that id, which may have been computed,
    and encoded, a moment ago for another viewer: the events since are sent after it (as a resume replays them),
    or, when there are too many to replay, `snapshot` is asked instead; `watching(principal)`, when given, is a
    context manager held from the snapshot's sending to the socket's end. Which events a principal gets: those
    whose unit path holds `unit_of(principal)` (its subtree's; the hub finds them through an index), or those
    `accepts(principal, event)` lets through (asked once per event and connection in the hub's reader, so keep
    it cheap and free of I/O). A ping goes out after `heartbeat_s` without any other frame.
    """
    if (accepts is None) == (unit_of is None):
        raise ValueError("websocket_route takes accepts or unit_of")

    open_sockets: Counter[Hashable] = Counter()

    async def board_socket(websocket: WebSocket) -> None:
        principal = await authenticate(websocket)
        await websocket.accept()
        if principal is None:
            await websocket.close(CLOSE_UNAUTHENTICATED)
            return
        if not hub.ready:
            await websocket.close(CLOSE_TRY_AGAIN)
            return
        key = principal_key(principal)
        if max_per_principal is not None and open_sockets[key] >= max_per_principal:
            await websocket.close(CLOSE_TOO_MANY)
            return
        open_sockets[key] += 1
        try:
            await _serve(websocket, principal)
        finally:
            open_sockets[key] -= 1
            if not open_sockets[key]:
                del open_sockets[key]

    async def _serve(websocket: WebSocket, principal: P) -> None:
        unit = None if unit_of is None else unit_of(principal)

        def concerns(event: Event) -> bool:
            return unit in event.unit_path if accepts is None else accepts(principal, event)

        async def valid() -> bool:
            return await authenticate(websocket) is not None

        session = _Session(
            websocket, hub, heartbeat_s, (valid, revalidate_s) if revalidate_s else None,
            batching=websocket.query_params.get("batch") == "1",
        )  # fmt: skip
        subscription = hub.subscribe(unit=unit) if unit is not None else hub.subscribe(concerns)
        try:
            watermark = await session.start(
                websocket.query_params.get("last_event_id"),
                snapshot=lambda: snapshot(principal),
                accepts=concerns,
                recent_snapshot=None if recent_snapshot is None else lambda: recent_snapshot(principal),
            )
            with contextlib.nullcontext() if watching is None else watching(principal):
                await session.run(subscription, watermark)
        except _GONE:
            return
        except RedisError as exc:
            log.warning("board websocket could not reach Redis: %s", exc)
            await session.close(CLOSE_TRY_AGAIN, close_timeout_s)
            return
        except Exception:
            log.exception("board websocket failed")
            await session.close(CLOSE_INTERNAL, close_timeout_s)
            return
        finally:
            hub.unsubscribe(subscription)
        if session.expired:
            await session.close(CLOSE_UNAUTHENTICATED, close_timeout_s)
        elif subscription.dropped is not None:
            code = CLOSE_TOO_SLOW if subscription.dropped == DROPPED_SLOW else CLOSE_STREAM_RESET
            await session.close(code, close_timeout_s)

    return board_socket


class _Session:
    """One connection's sending side (serialised by a lock) and its two loops."""

    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        heartbeat_s: float,
        revalidation: tuple[Callable[[], Awaitable[bool]], float] | None = None,
        *,
        batching: bool = False,
    ):
        self.websocket = websocket
        self.batching = batching
        self.hub = hub
        self.heartbeat_s = heartbeat_s
        self.revalidation = revalidation
        self.expired = False  # the principal stopped being valid while the socket was open
        self._lock = asyncio.Lock()

    async def send(self, text: str) -> None:
        async with self._lock:
            await self.websocket.send_text(text)

    async def send_events(self, frames: list[str]) -> None:
        """Event frames, in order: one by one, or for a client that takes batches, up to MAX_BATCH in a frame."""
        if not self.batching:
            for frame in frames:
                await self.send(frame)
            return
        for first in range(0, len(frames), MAX_BATCH):
            run = frames[first : first + MAX_BATCH]
            await self.send(run[0] if len(run) == 1 else '{"type":"events","events":[' + ",".join(run) + "]}")

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.send(json.dumps(message, ensure_ascii=False, separators=(",", ":")))

    async def close(self, code: int, timeout_s: float) -> None:
        # A client that stopped reading cannot take a close frame either: give up after a while.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout_s):
                await self.websocket.close(code)

    async def start(
        self,
        last_event_id: str | None,
        *,
        snapshot: Callable[[], Awaitable[dict[str, Any]]],
        accepts: Callable[[Event], bool],
        recent_snapshot: Callable[[], Awaitable[tuple[str, str]]] | None = None,
    ) -> IdKey:
        """Replay or send a snapshot; return the id up to which the client is now current.

        The caller subscribed before this runs, so anything newer than the returned id is
        already queued or will be; anything up to it in the queue is a duplicate.
        """
        if last_event_id:
            replay = await self.hub.events_since(last_event_id, accepts)
            if replay is not None:
                await self._replay(replay.events)
                resumed = {"type": "resumed", "last_event_id": replay.through, "replayed": len(replay.events)}
                await self.send_json(resumed)
                return id_key(replay.through)
        if recent_snapshot is not None:
            position, data_json = await recent_snapshot()
            replay = await self.hub.events_since(position, accepts)  # read after subscribing: no gap up to the queue
            if replay is not None:
                await self.send(f'{{"type":"snapshot","last_event_id":{json.dumps(position)},"data":{data_json}}}')
                await self._replay(replay.events)
                return id_key(replay.through)
        tail = await self.hub.tail_id()
        data = await snapshot()
        await self.send_json({"type": "snapshot", "last_event_id": tail, "data": data})
        return id_key(tail)

    async def _replay(self, events: list[Event]) -> None:
        await self.send_events([event.frame for event in events])

    async def run(self, subscription: Subscription, watermark: IdKey) -> None:
        """Forward queued events and answer the client until either side stops."""
        pump = asyncio.create_task(self._pump(subscription, watermark))
        listen = asyncio.create_task(self._listen())
        tasks = {pump, listen}
        if self.revalidation is not None:
            tasks.add(asyncio.create_task(self._revalidate(*self.revalidation)))
        subscription.on_drop(pump.cancel)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, _GONE):
                raise result

    async def _revalidate(self, valid: Callable[[], Awaitable[bool]], every_s: float) -> None:
        """Returns (ending the session) once the principal is no longer valid; a busy board sends no pings, so
        this runs on its own clock rather than on the heartbeat."""
        while True:
            await asyncio.sleep(every_s)
            if not await valid():
                self.expired = True
                return

    async def _pump(self, subscription: Subscription, watermark: IdKey) -> None:
        queue = subscription.queue
        while True:
            try:
                async with asyncio.timeout(self.heartbeat_s):
                    event = await queue.get()
            except TimeoutError:
                watermark = await self._ping(queue, watermark)
                continue
            frames: list[str] = []
            while True:  # this event and those queued behind it
                if event.key > watermark:  # else already in the snapshot or the replay
                    watermark = event.key
                    frames.append(event.frame)
                if queue.empty():
                    break
                event = queue.get_nowait()
            await self.send_events(frames)

    async def _ping(self, queue: asyncio.Queue[Event], watermark: IdKey) -> IdKey:
        # With the queue empty, everything the hub has read up to its position was either sent
        # or filtered out for this client, so the client may resume from there: a quiet client
        # of a small subtree keeps a recent id instead of one the stream has long trimmed.
        position = self.hub.position
        if queue.empty() and position is not None and id_key(position) > watermark:
            watermark = id_key(position)
        cursor = f"{watermark[0]}-{watermark[1]}"
        await self.send_json({"type": "ping", "at": utc_now_iso(), "last_event_id": cursor})
        return watermark

    async def _listen(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                kind = json.loads(message.get("text") or "{}").get("type")
            except (ValueError, AttributeError):
                continue  # not ours to police; the connection stays useful
            if kind == "ping":
                await self.send_json({"type": "pong", "at": utc_now_iso()})
