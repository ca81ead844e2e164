"""A write deletes the stored score day of every ticket time it touches, however many writes one transaction
makes (migration 0029 remembers the times a transaction has touched, to skip touching them again)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from hotline.queries import load_queries

T = load_queries(Path(__file__).with_name("sql"))

pytestmark = pytest.mark.usefixtures("history")


async def test_every_ticket_time_a_transaction_writes_loses_its_stored_day(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:

        async def stored(ticket: asyncpg.Record) -> int:
            return int(await conn.fetchval(T.stored_days_around, ticket["created_at"]))

        first, second, third = await conn.fetch(T.tickets_of_three_days)
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(T.forget_stored_days)
            for ticket in (first, second, third):
                await conn.execute(T.store_day_around, ticket["created_at"])
            await conn.execute(T.write_ticket, first["id"])
            await conn.execute(T.write_ticket, first["id"])  # the second touch of that time has nothing to do
            assert (await stored(first), await stored(second)) == (0, 1)
            await conn.execute(T.write_ticket, second["id"])  # another time in the same transaction
            assert await stored(second) == 0

            inner = conn.transaction()  # a savepoint rolled back forgets that it touched the third's time
            await inner.start()
            await conn.execute(T.write_ticket, third["id"])
            assert await stored(third) == 0
            await inner.rollback()
            assert await stored(third) == 1
            await conn.execute(T.write_ticket, third["id"])
            assert await stored(third) == 0
        finally:
            await tx.rollback()
