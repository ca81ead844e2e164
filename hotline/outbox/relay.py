"""Board events through PostgreSQL: stored in the transaction that made the change, relayed to the stream after.

A committed change's events are never lost to a Redis that is paused, restarting or unreachable, nor
to a process that dies between COMMIT and publishing: the process that committed relays its own events
at once (the fast path), and every worker runs `relay_forever`, which relays what is still waiting a
little later. Each event goes to the stream at most once (`publish_once`, keyed by the outbox id), so a
relay that retries, or two that race, never show a board an event twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from hotline.queries import Q
from realtime.stream import BoardEvent, KeyedEvent, publish_once

log = structlog.get_logger(__name__)

# The worker's relay leaves events this young to the process that committed them.
FAST_PATH_GRACE = timedelta(seconds=2)
RELAY_INTERVAL_S = 0.5
RELAY_BATCH = 500
# Relayed events are kept this long (for inquiries: what reached the boards when), then deleted.
KEEP_RELAYED = timedelta(days=2)
# The fast path marks what it relayed in one statement per pool for all the events published within this
# time, not in a transaction per request: at 300 tickets/s that was a third of the intake's transactions. A
# mark only stops the worker's relay from taking an event again (after FAST_PATH_GRACE, far longer), and
# publish_once skips what is on the stream already, so a mark that comes late or never costs no event.
MARK_DELAY_S = 0.05


async def store(conn: asyncpg.Connection, events: Sequence[BoardEvent]) -> list[asyncpg.Record]:
    """Write `events` to the outbox inside the caller's transaction; their rows, in order."""
    if not events:
        return []
    body = [{"type": t, "unit_path": list(path), "payload": payload} for t, path, payload in events]
    return list(await conn.fetch(Q.store_board_events, body))


async def relay(redis: Redis, pool: asyncpg.Pool, rows: Sequence[asyncpg.Record]) -> None:
    """The fast path, after COMMIT: publish these rows, and mark them relayed with the pool's next batch of
    marks (a failure leaves them to the worker's relay)."""
    if rows:
        await publish_once(redis, [_keyed(r) for r in rows])
        _mark_soon(pool, [r["id"] for r in rows])


# id(pool) -> (the pool, the ids its next mark statement takes), while that statement waits; and the statements
# under way. Keyed by id: asyncpg pools take no weak references. An entry lives while its mark is pending and
# holds its pool, so the id is not reused meanwhile; one left behind by a loop that closed first is replaced.
_waiting_marks: dict[int, tuple[asyncpg.Pool, list[int]]] = {}
_marking: dict[int, set[asyncio.Task[None]]] = {}


def _mark_soon(pool: asyncpg.Pool, ids: list[int]) -> None:
    waiting = _waiting_marks.get(id(pool))
    if waiting is not None and waiting[0] is pool:
        waiting[1].extend(ids)
        return
    batch = list(ids)
    _waiting_marks[id(pool)] = (pool, batch)
    tasks = _marking.setdefault(id(pool), set())
    task = asyncio.create_task(_mark(pool, batch))
    tasks.add(task)

    def done(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        if not tasks and _marking.get(id(pool)) is tasks:
            del _marking[id(pool)]

    task.add_done_callback(done)


async def _mark(pool: asyncpg.Pool, batch: list[int]) -> None:
    try:
        await asyncio.sleep(MARK_DELAY_S)
    finally:
        waiting = _waiting_marks.get(id(pool))
        if waiting is not None and waiting[1] is batch:
            del _waiting_marks[id(pool)]  # ids relayed from now on go to the next statement
    try:
        await pool.execute(Q.mark_board_events_relayed, batch)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("outbox marks left to the worker's relay", events=len(batch), error=str(exc))


async def flush_marks(pool: asyncpg.Pool) -> None:
    """Before the pool closes: write the marks still waiting (else the worker's relay takes their events again,
    to find them on the stream already)."""
    tasks = _marking.get(id(pool))
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


async def relay_pending(pool: asyncpg.Pool, redis: Redis, now: datetime | None = None) -> int:
    """Relay the oldest events still waiting (committed more than FAST_PATH_GRACE ago); how many."""
    now = now or datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(Q.lock_pending_board_events, now - FAST_PATH_GRACE, RELAY_BATCH)
        if rows:
            await publish_once(redis, [_keyed(r) for r in rows])
            await conn.execute(Q.mark_board_events_relayed, [r["id"] for r in rows])
    return len(rows)


async def relay_forever(pool: asyncpg.Pool, redis: Redis) -> None:
    """A worker's background task: relay what the fast path left, forget what is long relayed."""
    forgotten_at = datetime.min.replace(tzinfo=UTC)
    while True:
        try:
            relayed = await relay_pending(pool, redis)
            if relayed:
                log.info("board events relayed from the outbox", count=relayed)
            now = datetime.now(UTC)
            if now - forgotten_at > timedelta(minutes=10):
                await pool.execute(Q.forget_relayed_board_events, now - KEEP_RELAYED)
                forgotten_at = now
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("outbox relay waits for its servers", error=str(exc))
            relayed = 0
        except Exception:
            log.exception("outbox relay failed")
            relayed = 0
        if relayed < RELAY_BATCH:
            await asyncio.sleep(RELAY_INTERVAL_S)


def _keyed(row: Any) -> KeyedEvent:
    return row["id"], row["event_type"], list(row["unit_path"]), row["payload"], row["at"]
