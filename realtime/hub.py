"""The per-process hub: one reader of the event stream, fanning out to local subscribers.

Each web process runs one `Hub`. Its reader task follows the Redis Stream with XREAD BLOCK
and puts every event on the bounded queue of each subscriber it concerns (by unit, or by the
subscriber's own filter). A
subscriber whose queue is full is dropped (its websocket is closed and the client resumes),
so one slow client never holds up the others or grows memory without bound. The reader also
keeps the latest entries it read (`recent_size`), so a socket that connects or resumes a moment
behind is replayed from memory, already decoded, and reads from the stream only what the reader has
not read yet.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import random
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from realtime import stream
from realtime.events import Event, IdKey, id_key, is_event_id
from realtime.stream import DEFAULT_MAXLEN, DEFAULT_STREAM, publish

__all__ = ["DROPPED_RESET", "DROPPED_SLOW", "REPLAY_LIMIT", "Hub", "Replay", "Subscription", "publish"]

log = logging.getLogger(__name__)

DROPPED_SLOW: Final = "slow"  # the queue overflowed
DROPPED_RESET: Final = "reset"  # the stream lost entries this subscriber may not have seen
# A socket behind by more events than this is sent a snapshot rather than a replay (`Hub.events_since`).
REPLAY_LIMIT: Final = 1000

Filter = Callable[[Event], bool]


class Replay(NamedTuple):
    """What a subscriber missed after an id: the events it may see, and the id of the last entry looked at (it is
    current up to there)."""

    events: list[Event]
    through: str


class Subscription:
    """One websocket's place in the hub: the events of its unit or that its filter accepted, in a bounded queue."""

    __slots__ = ("_on_drop", "accepts", "dropped", "queue", "unit")

    def __init__(self, accepts: Filter | None, unit: int | None, maxsize: int):
        self.accepts = accepts
        self.unit = unit
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped: str | None = None
        self._on_drop: Callable[[], Any] | None = None

    def on_drop(self, callback: Callable[[], Any]) -> None:
        """Call `callback` when the hub drops this subscription (now, if it already has)."""
        self._on_drop = callback
        if self.dropped is not None:
            callback()

    def drop(self, reason: str) -> None:
        if self.dropped is None:
            self.dropped = reason
            if self._on_drop is not None:
                self._on_drop()


class Hub:
    """Fan-out of the event stream to this process's websockets.

    Use as `async with Hub(redis) as hub:` (or `start()`/`stop()`) in the app's lifespan. The
    Redis client must not time out reads sooner than `block_ms` (redis-py's default has no
    socket timeout).
    """

    def __init__(
        self,
        redis: Redis,
        *,
        stream: str = DEFAULT_STREAM,
        maxlen: int = DEFAULT_MAXLEN,
        queue_size: int = 1000,
        replay_limit: int = REPLAY_LIMIT,
        recent_size: int = 10_000,  # 0: replay from the stream only
        block_ms: int = 5000,
        batch: int = 500,
        max_backoff_s: float = 5.0,
    ):
        self.redis = redis
        self.stream = stream
        self.maxlen = maxlen
        self.queue_size = queue_size
        self.replay_limit = replay_limit
        self.recent_size = recent_size
        self.block_ms = block_ms
        self.batch = batch
        self.max_backoff_s = max_backoff_s
        self.connected = False
        self.dropped_slow = 0
        self.resyncs = 0
        self._position: str | None = None
        # every entry read after `_recent_after` (a stream id's key), internal ones included, oldest first
        self._recent: deque[Event] = deque()
        self._recent_after: IdKey | None = None
        self._subscriptions: set[Subscription] = set()
        self._by_unit: dict[int, set[Subscription]] = {}  # the subscriptions to one unit's events
        self._filtered: set[Subscription] = set()  # the subscriptions with a filter of their own
        self._unit_events: dict[int, int] = {}  # events fanned out so far whose unit path holds the unit
        self._task: asyncio.Task[None] | None = None

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Find the stream's end, then follow it in a background task.

        The position must be known before anyone subscribes: a client whose snapshot is
        current to id T relies on the reader fanning out everything after T. If Redis is
        down now, the reader keeps trying and `ready` stays False until it answers.
        """
        if self._task is not None:
            return
        try:
            self._position = await stream.last_id(self.redis, self.stream) or "0-0"
            self._forget_kept(self._position)
        except Exception as exc:
            log.warning("event stream unreachable at start (%s); the reader will keep trying", exc)
        self._task = asyncio.create_task(self._read_forever(), name="realtime-hub-reader")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.connected = False

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- subscribers --------------------------------------------------------------------------

    def subscribe(self, accepts: Filter | None = None, *, unit: int | None = None) -> Subscription:
        """Start queueing events, live from the reader's position: those whose unit path holds `unit`, or those
        `accepts` lets through. A unit's subscribers are found through an index, so an event costs the sockets it
        concerns; a filter is asked for every event (with a thousand boards, nearly half of fanning out was asking)."""
        if (accepts is None) == (unit is None):
            raise ValueError("subscribe to one unit or with one filter")
        subscription = Subscription(accepts, unit, self.queue_size)
        self._subscriptions.add(subscription)
        if unit is None:
            self._filtered.add(subscription)
        else:
            self._by_unit.setdefault(unit, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        self._filtered.discard(subscription)
        if subscription.unit is not None and (same := self._by_unit.get(subscription.unit)) is not None:
            same.discard(subscription)
            if not same:
                del self._by_unit[subscription.unit]

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def unit_events(self, unit: int) -> int:
        """How many events concerning `unit` (its unit path holds it) this hub has fanned out since it started: a
        unit's subscribers take them all, so the difference of two readings is what a socket would replay."""
        return self._unit_events.get(unit, 0)

    @property
    def ready(self) -> bool:
        """Whether the reader knows where it is in the stream, so subscribers miss nothing."""
        return self._position is not None

    @property
    def position(self) -> str | None:
        """The id of the last stream entry fanned out (None until the reader has started)."""
        return self._position

    # -- stream access ------------------------------------------------------------------------

    async def publish(
        self,
        event_type: str,
        unit_path: list[int],
        payload: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> str:
        """`publish` to this hub's stream."""
        return await publish(self.redis, event_type, unit_path, payload, at=at, stream=self.stream, maxlen=self.maxlen)

    async def tail_id(self) -> str:
        """The id a snapshot taken now is current to: the newest entry's (written if none)."""
        tail = await stream.last_id(self.redis, self.stream)
        return tail or await stream.add_origin(self.redis, self.stream, self.maxlen)

    async def events_since(self, last_id: str, accepts: Filter | None = None) -> Replay | None:
        """The events after `last_id` that `accepts` lets through (all by default), or None when a snapshot is
        needed.

        Up to the stream's end: from the entries the reader keeps when `last_id` is one of them, and from the stream
        (XRANGE, exclusive start) those it has not read yet, or all of them when `last_id` is not kept. None means
        the replay could not be exact: `last_id` is malformed or neither kept nor in the stream (trimmed, or Redis
        lost its data); or a fresh snapshot is cheaper than the replay: more than `replay_limit` events to send, or,
        from the stream, more than `replay_limit` entries to read.
        """
        if not is_event_id(last_id):
            return None
        kept, after = self._kept_after(id_key(last_id)), self._position  # together: no await between
        if kept is None or after is None:
            kept, after = [], last_id
        # from the stream: what the reader has not read yet, or everything when `last_id` is not kept
        found, read = await stream.range_after(self.redis, self.stream, after, count=self.replay_limit + 1)
        if not found or len(read) > self.replay_limit:
            return None
        entries = kept + stream.decode(read, after)[1]
        events = [e for e in entries if not e.internal and (accepts is None or accepts(e))]
        if len(events) > self.replay_limit:
            return None
        return Replay(events, entries[-1].id if entries else last_id)

    def _kept_after(self, last: IdKey) -> list[Event] | None:
        """The kept entries after `last` when `last` is where the kept ones start or one of them; else None."""
        recent, after = self._recent, self._recent_after
        if not self.recent_size or after is None or not after <= last <= (recent[-1].key if recent else after):
            return None
        start = bisect.bisect_right(recent, last, key=lambda e: e.key)
        if last != after and (start == 0 or recent[start - 1].key != last):
            return None  # no such entry: not ours to guess what the client saw
        return list(itertools.islice(recent, start, None))  # indexing a deque's middle walks it: once, here

    def _keep(self, event: Event) -> None:
        if self._recent_after is None:  # the first entry read since `_forget_kept(None)`: keep what follows it
            self._recent_after = event.key
            return
        self._recent.append(event)
        if len(self._recent) > self.recent_size:
            self._recent_after = self._recent.popleft().key

    def _forget_kept(self, position: str | None) -> None:
        """Keep what follows `position`, an entry of the stream; None: what follows the next entry read."""
        self._recent.clear()
        self._recent_after = None if position in (None, "0-0") else id_key(position)

    # -- the reader ---------------------------------------------------------------------------

    async def _read_forever(self) -> None:
        backoff = 0.0
        while True:
            try:
                await self._follow(recovering=backoff > 0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected = False
                backoff = min(max(backoff * 2, 0.1), self.max_backoff_s)
                if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError):
                    log.warning("event stream unreachable (%s); retrying in %.1f s", exc, backoff)
                else:
                    log.exception("event stream reader failed; retrying in %.1f s", backoff)
                await asyncio.sleep(backoff * random.uniform(0.5, 1.0))

    async def _follow(self, *, recovering: bool) -> None:
        if self._position is None:
            self._position = await stream.last_id(self.redis, self.stream) or "0-0"
            self._forget_kept(self._position)
        elif recovering:
            await self._check_continuity(self._position)
        self.connected = True
        while True:
            position, events = await stream.read_after(
                self.redis, self.stream, self._position, count=self.batch, block_ms=self.block_ms
            )
            for event in events:
                self._keep(event)
                if not event.internal:
                    self._fan_out(event)
            self._position = position

    async def _check_continuity(self, position: str) -> None:
        """After an outage: if our position left the stream, subscribers may have missed events."""
        if position == "0-0" or await stream.contains(self.redis, self.stream, position):
            return
        log.warning(
            "event stream no longer holds %s (Redis restarted or trimmed); resyncing %d subscribers",
            position,
            len(self._subscriptions),
        )
        self.resyncs += 1
        self._forget_kept(None)  # what was kept may not lead to what comes next: events were lost between
        for subscription in list(self._subscriptions):
            self._drop(subscription, DROPPED_RESET)

    def _fan_out(self, event: Event) -> None:
        concerned: list[Subscription] = []
        counted = self._unit_events
        for unit in event.unit_path:  # a unit path names each unit once
            concerned.extend(self._by_unit.get(unit, ()))
            counted[unit] = counted.get(unit, 0) + 1
        for subscription in self._filtered:
            try:
                if subscription.accepts(event):  # type: ignore[misc]  # a filtered subscription has one
                    concerned.append(subscription)
            except Exception:
                log.exception("subscriber filter failed on event %s", event.id)
        overflowed: list[Subscription] = []
        for subscription in concerned:
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                overflowed.append(subscription)
        for subscription in overflowed:
            self.dropped_slow += 1
            self._drop(subscription, DROPPED_SLOW)

    def _drop(self, subscription: Subscription, reason: str) -> None:
        self.unsubscribe(subscription)
        subscription.drop(reason)
