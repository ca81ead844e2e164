"""A unit of work: one transaction, plus what to announce once it has committed.

Realtime events and SLA timer jobs must never announce something that was rolled back, so
use-cases queue them on the outbox and `unit_of_work` sends them after COMMIT. A crash between
commit and send loses nothing for good: the SLA sweep re-derives timers and alerts from the
database (see hotline/sla/timers.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from redis.asyncio import Redis

from realtime.stream import BoardEvent, publish_many

log = structlog.get_logger(__name__)

AfterCommit = Callable[[], Awaitable[Any]]


@dataclass
class Outbox:
    actions: list[AfterCommit] = field(default_factory=list)
    events: list[BoardEvent] = field(default_factory=list)

    def after_commit(self, action: AfterCommit) -> None:
        self.actions.append(action)

    def announce(self, redis: Redis, event: BoardEvent) -> None:
        """Queue a board event; a transaction's events go out together, in one round trip."""
        if not self.events:
            self.after_commit(lambda: publish_many(redis, self.events))
        self.events.append(event)

    async def flush(self) -> None:
        for action in self.actions:
            try:
                await action()
            except Exception:  # the transaction is committed; the sweep repairs what did not get out
                log.exception("after-commit action failed")
        self.actions.clear()
        self.events = []


@contextlib.asynccontextmanager
async def unit_of_work(pool: asyncpg.Pool) -> AsyncIterator[tuple[asyncpg.Connection, Outbox]]:
    outbox = Outbox()
    async with pool.acquire() as conn, conn.transaction():
        yield conn, outbox
    await outbox.flush()
