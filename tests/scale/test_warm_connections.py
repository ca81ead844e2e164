"""A web process's pool prepares the board's statements on each connection it opens (hotline/db.py), before any
board asks: on a new backend a snapshot's first run loads the catalog entries of what it reads, and a burst of
boards connecting after a start meets the pool's new connections (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from hotline.board_snapshot import BOARD_STATEMENTS
from hotline.db import create_pool
from hotline.queries import load_queries
from hotline.settings import Settings

T = load_queries(Path(__file__).with_name("sql"))
pytestmark = pytest.mark.usefixtures("clean")  # reads no table, but the session's servers


async def test_a_new_connection_has_parsed_the_board_statements_before_its_first_use(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    warmed = await create_pool(settings, min_size=1, max_size=1, warm=BOARD_STATEMENTS)
    plain = await create_pool(settings, min_size=1, max_size=1)
    try:
        async with warmed.acquire() as conn, plain.acquire() as other:
            # read from another session, so that reading runs nothing on the connection looked at
            warmed_last = await pool.fetchval(T.last_statement_of_backend, conn.get_server_pid())
            plain_last = await pool.fetchval(T.last_statement_of_backend, other.get_server_pid())
    finally:
        await warmed.close()
        await plain.close()
    # the server keeps the first kilobyte of a statement's text (track_activity_query_size)
    assert len(warmed_last) > 200 and BOARD_STATEMENTS[-1].startswith(warmed_last)
    # a pool without them: its connection was sent none (pg_stat_activity shows an empty text)
    assert not any(plain_last and statement.startswith(plain_last) for statement in BOARD_STATEMENTS)
