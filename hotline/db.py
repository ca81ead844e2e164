"""PostgreSQL connections: one pool per process, JSON codecs, UTC sessions; reads that may lag routed to a
standby when one is configured."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from hotline.queries import Q
from hotline.settings import Settings

# A request must not wait a minute (asyncpg's default) for a server that is not answering: it gets a 503.
CONNECT_TIMEOUT_S = 5.0


async def _init_connection(conn: asyncpg.Connection, warm: Sequence[str] = ()) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=lambda v: json.dumps(v, ensure_ascii=False), decoder=json.loads, schema="pg_catalog"
        )
    # A backend's first run of a statement loads the catalog entries of the tables it reads (parsing it does): on
    # 1M tickets a board snapshot took 50-86 ms on a new connection and 23-25 ms after, and a burst of boards
    # connecting at once met the pool's connections new to it (docs/benchmarks.md). Prepared as the connection
    # opens, away from the request that will wait on it.
    for sql in warm:
        await conn.prepare(sql)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (RESET ALL, UNLISTEN *, CLOSE ALL, unlock all): a round
    trip on every release, for session state our pooled connections never hold — events go through
    Redis, settings are SET LOCAL, advisory locks are taken by the migration runner on its own
    connection (tests/foundation/test_pool_sessions.py keeps it so). asyncpg still rolls back an
    open transaction before calling this."""


def _server_settings(settings: Settings) -> dict[str, str]:
    return {
        "timezone": "UTC",
        "application_name": "hotline",
        "statement_timeout": str(int(settings.database.statement_timeout_s * 1000)),
    }


async def create_pool(
    settings: Settings,
    *,
    min_size: int | None = None,
    max_size: int | None = None,
    url: str | None = None,
    replayable: bool = False,
    warm: Sequence[str] = (),
) -> asyncpg.Pool:
    """The pool of the primary, or of the server at `url` (the standby). `replayable`: for data written
    again as easily as lost (the demo tickets), commits do not wait for the WAL flush. `warm`: statements each
    new connection prepares before it is used (`_init_connection`)."""
    assert settings.database_url, "services must be started before the pool"
    pool = await asyncpg.create_pool(
        url or settings.database_url,
        min_size=settings.database.pool_min if min_size is None else min_size,
        max_size=max_size or settings.database.pool_max,
        init=functools.partial(_init_connection, warm=warm),
        reset=_keep_session,
        server_settings={**_server_settings(settings), **({"synchronous_commit": "off"} if replayable else {})},
        timeout=CONNECT_TIMEOUT_S,
    )
    assert pool is not None
    return pool


# what a standby that is down, restarting or unreachable raises; any other error is a bug and propagates
STANDBY_FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Reads:
    """Where reads that may lag go (reports, rankings, board snapshots): the standby at
    HOTLINE_DATABASE_REPLICA_URL while it answers and its replay is at most `replica_max_lag_s` behind,
    otherwise the primary. Without a standby every read goes to the primary.

    The standby's state is looked up at most once a second and shared by all requests of the process, so a
    standby that is down or far behind costs one probe a second, not one per read. On the standby a read runs
    in a read-only transaction: code that stores what it computed when it may (the score days) then computes
    without storing."""

    CHECK_EVERY_S = 1.0
    PROBE_TIMEOUT_S = 2.0

    def __init__(self, primary: asyncpg.Pool, replica: asyncpg.Pool | None, max_lag_s: float, catch_up_s: float):
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.catch_up_s = catch_up_s
        self._checked_at = -float("inf")
        self._lag_s: float | None = None
        self._error: str | None = None

    @classmethod
    async def create(cls, settings: Settings, primary: asyncpg.Pool, warm: Sequence[str] = ()) -> Reads:
        replica = None
        if settings.database_replica_url:
            # min_size 0: a standby that is down when the process starts must not stop it starting
            replica = await create_pool(settings, min_size=0, url=settings.database_replica_url, warm=warm)
        db = settings.database
        return cls(primary, replica, db.replica_max_lag_s, db.replica_catch_up_s)

    async def close(self) -> None:
        if self.replica is not None:
            await self.replica.close()

    async def status(self) -> dict[str, Any]:
        """For /healthz: the standby's lag and where reads go now."""
        usable = await self._replica_usable(force=True)
        return {
            "ok": usable,
            "lag_s": None if self._lag_s is None else round(self._lag_s, 3),
            "max_lag_s": self.max_lag_s,
            "reads_from": "replica" if usable else "primary",
            **({"error": self._error} if self._error else {}),
        }

    @contextlib.asynccontextmanager
    async def acquire(self, *, current: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """A connection for reads. `current=True` (board snapshots) asks for every commit made before the call:
        the standby is used only once it has replayed up to the primary's position, within `replica_catch_up_s`."""
        async with contextlib.AsyncExitStack() as stack:
            conn = await self._replica_connection(stack, current)
            if conn is None:
                conn = await stack.enter_async_context(self.primary.acquire())
            yield conn

    async def _replica_connection(self, stack: contextlib.AsyncExitStack, current: bool) -> asyncpg.Connection | None:
        if self.replica is None or not await self._replica_usable():
            return None
        position = await self.primary.fetchval(Q.primary_wal_position) if current else None
        try:
            conn = await stack.enter_async_context(self.replica.acquire(timeout=self.PROBE_TIMEOUT_S))
            if position is not None and not await self._caught_up(conn, position):
                await stack.aclose()
                return None
            # a board snapshot's figures (and the transactions it names) come from one snapshot of the standby
            isolation = "repeatable_read" if current else None
            await stack.enter_async_context(conn.transaction(readonly=True, isolation=isolation))
        except STANDBY_FAILURES as exc:
            await stack.aclose()
            self._mark_down(exc)
            return None
        return conn

    async def _caught_up(self, conn: asyncpg.Connection, position: str) -> bool:
        deadline = time.monotonic() + self.catch_up_s
        while not await conn.fetchval(Q.standby_replayed, position):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def _replica_usable(self, *, force: bool = False) -> bool:
        if self.replica is None:
            return False
        if force or time.monotonic() - self._checked_at >= self.CHECK_EVERY_S:
            self._checked_at = time.monotonic()
            try:
                async with self.replica.acquire(timeout=self.PROBE_TIMEOUT_S) as conn:
                    lag = await asyncio.wait_for(conn.fetchval(Q.standby_lag_s), self.PROBE_TIMEOUT_S)
                self._lag_s, self._error = float(lag or 0.0), None
            except STANDBY_FAILURES as exc:
                self._mark_down(exc)
        return self._error is None and self._lag_s is not None and self._lag_s <= self.max_lag_s

    def _mark_down(self, exc: BaseException) -> None:
        self._checked_at = time.monotonic()
        self._lag_s, self._error = None, f"{type(exc).__name__}: {exc}"[:300]


async def connect(settings: Settings) -> asyncpg.Connection:
    """A single connection, for the CLI and the migration runner."""
    assert settings.database_url, "services must be started before connecting"
    conn = await asyncpg.connect(settings.database_url, server_settings=_server_settings(settings))
    await _init_connection(conn)
    return conn


@contextlib.asynccontextmanager
async def custom_plans(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """Plan each report query for its actual period and scope. After five runs PostgreSQL may switch a
    prepared statement to a generic plan, which for `$n IS NULL OR ...` filters and period joins is
    measured orders of magnitude slower (a rankings query went from 0.3 s to past the 30 s timeout)."""
    async with conn.transaction():
        await conn.execute(Q.force_custom_plans)
        yield
