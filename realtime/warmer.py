"""Snapshots kept recent for the audiences someone watches: a background task of each web process.

A socket that connects takes its audience's last snapshot and is sent the events since (endpoint.py's
`recent_snapshot`), as long as that snapshot is recent enough and the events since are few enough to replay (the
hub's replay limit); otherwise it waits for a new one. On the 10M bench, after a minute of intake every board's
last snapshot was past one or the other, and the next boards to connect waited for 16 snapshots computed at once
(0.5-0.8 s on two cores). So while a socket of an audience is open in this process (`watching`), the audience's
snapshot is computed again once `refresh_events` events concerning it have come since its last one began, or
`refresh_s` has passed: one at a time, in the background. What this costs grows with the events and the audiences
watched, never with the number of viewers. The board's use: hotline/api/board.py, [web] board_snapshot_refresh_events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any

from realtime.hub import Hub

log = logging.getLogger(__name__)

CHECK_EVERY_S = 1.0  # how often the audiences watched are looked at


@dataclasses.dataclass
class _Watched:
    unit: int  # whose events the audience's sockets get
    refresh: Callable[[], Awaitable[Any]]  # the snapshot computed again (shared with connecting sockets)
    viewers: int = 0


class SnapshotWarmer:
    """The audiences with an open socket in this process (`watching`), and their snapshots kept recent (`run`)."""

    def __init__(self, hub: Hub, *, refresh_events: int, refresh_s: float, check_s: float = CHECK_EVERY_S):
        self.hub = hub
        self.refresh_events = refresh_events
        self.refresh_s = refresh_s
        self.check_s = check_s
        self._watched: dict[Hashable, _Watched] = {}
        # of each audience, when this process's last snapshot began: the hub's count of its unit's events, and the time
        self._began: dict[Hashable, tuple[int, float]] = {}

    def begins(self, key: Hashable, unit: int) -> None:
        """A snapshot of `key` is being computed, or taken from another process, now, for sockets to share."""
        self._began[key] = (self.hub.unit_events(unit), time.monotonic())

    @contextlib.contextmanager
    def watching(self, key: Hashable, unit: int, refresh: Callable[[], Awaitable[Any]]) -> Iterator[None]:
        """While the block runs, a socket of the audience `key` (whose events are those concerning `unit`) is open.
        `refresh` computes its next snapshot, as a connecting socket would, where the sockets that connect next take
        it."""
        watched = self._watched.get(key)
        if watched is None:
            watched = self._watched[key] = _Watched(unit, refresh)
        else:
            watched.refresh = refresh  # the latest viewer's: its catalog is the newest
        watched.viewers += 1
        try:
            yield
        finally:
            watched.viewers -= 1
            if not watched.viewers:
                del self._watched[key]

    def _due(self, key: Hashable, watched: _Watched) -> bool:
        if (began := self._began.get(key)) is None:
            return True
        events, at = began
        since = self.hub.unit_events(watched.unit) - events
        return since >= self.refresh_events or time.monotonic() - at >= self.refresh_s

    async def refresh_due(self) -> int:
        """Compute again, one after another, the snapshots of the audiences due; how many were."""
        due = [watched for key, watched in list(self._watched.items()) if self._due(key, watched)]
        for watched in due:
            try:
                await watched.refresh()
            except Exception as exc:  # a failing database: the sockets that connect compute their own, or fail
                log.warning("snapshot of unit %s not kept recent: %s", watched.unit, exc)
        return len(due)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.check_s)
            await self.refresh_due()
