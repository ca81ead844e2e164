"""A unit of work: one transaction, plus what to announce once it has committed.

Realtime events and SLA timer jobs must never announce something that was rolled back. Board events
are written to the board outbox inside the transaction (hotline/outbox/relay.py) and relayed after
COMMIT, so a crash or a Redis outage between commit and send delays them but never loses them. Other
after-commit actions (SLA timer jobs) are re-derived by the SLA sweep if they do not get out (see
hotline/sla/timers.py). After-commit actions run side by side, for at most AFTER_COMMIT_BUDGET_S: a
paused Redis costs a request half a second, not a command timeout per action.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from redis.asyncio import Redis

from hotline.outbox import relay
from realtime.stream import BoardEvent

log = structlog.get_logger(__name__)

AfterCommit = Callable[[], Awaitable[Any]]
# How long a committed request waits for its after-commit actions (normally a millisecond or two): a
# stalled Redis would otherwise hold every request for a whole command timeout, and a web process
# taking 100 tickets/s would soon have hundreds in flight (bench/chaos.py, Redis paused).
AFTER_COMMIT_BUDGET_S = 0.5


@dataclass
class Outbox:
    actions: list[AfterCommit] = field(default_factory=list)
    events: list[BoardEvent] = field(default_factory=list)
    redis: Redis | None = None

    def after_commit(self, action: AfterCommit) -> None:
        self.actions.append(action)

    def announce(self, redis: Redis, event: BoardEvent) -> None:
        """Queue a board event: stored in the outbox with the transaction, relayed in order after it."""
        self.redis = redis
        self.events.append(event)

    async def store(self, conn: asyncpg.Connection, pool: asyncpg.Pool) -> None:
        """Inside the transaction, last: the board events into the outbox, their relay after COMMIT."""
        rows = await relay.store(conn, self.events)
        if rows and self.redis is not None:
            redis = self.redis
            self.actions.insert(0, lambda: relay.relay(redis, pool, rows))
        self.events = []

    async def flush(self) -> None:
        actions, self.actions = self.actions, []
        if not actions:
            return
        try:
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(action() for action in actions), return_exceptions=True), AFTER_COMMIT_BUDGET_S
            )
        except TimeoutError:  # Redis stalled: the request answers now; the relay and the sweep take over
            log.warning("after-commit actions past their budget", budget_s=AFTER_COMMIT_BUDGET_S)
            return
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                # the transaction is committed; the outbox relay and the sweep repair what did not get out
                log.warning("after-commit action failed", error=repr(outcome))


@contextlib.asynccontextmanager
async def unit_of_work(pool: asyncpg.Pool) -> AsyncIterator[tuple[asyncpg.Connection, Outbox]]:
    outbox = Outbox()
    async with pool.acquire() as conn, conn.transaction():
        yield conn, outbox
        await outbox.store(conn, pool)
    await outbox.flush()
