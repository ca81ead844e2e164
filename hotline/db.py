"""PostgreSQL connections: one pool per process, JSON codecs, UTC sessions."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

import asyncpg

from hotline.queries import Q
from hotline.settings import Settings


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=lambda v: json.dumps(v, ensure_ascii=False), decoder=json.loads, schema="pg_catalog"
        )


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


async def create_pool(settings: Settings, *, min_size: int | None = None, max_size: int | None = None) -> asyncpg.Pool:
    assert settings.database_url, "services must be started before the pool"
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=min_size or settings.database.pool_min,
        max_size=max_size or settings.database.pool_max,
        init=_init_connection,
        reset=_keep_session,
        server_settings=_server_settings(settings),
    )
    assert pool is not None
    return pool


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
