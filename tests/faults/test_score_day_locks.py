"""Score-day locks never stall writers: a writer whose ticket's day is locked by a reader waits at most the
trigger's lock_timeout and gets a 409 to retry, instead of waiting as long as the reader holds the lock."""

from __future__ import annotations

import time

import asyncpg

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL


async def test_a_writer_waits_at_most_its_lock_timeout_for_a_score_day(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    ticket = ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)
    handler = await login("dh-s1-c1-handler")
    async with pool.acquire() as reader:
        async with reader.transaction():  # a reader storing the ticket's day holds its exclusive lock
            await reader.execute(
                "SELECT pg_advisory_xact_lock(12345, floor(extract(epoch FROM created_at) / 86400)::integer)"
                " FROM tickets WHERE id = $1",
                ticket["id"],
            )
            started = time.monotonic()
            response = await handler.post(f"/api/tickets/{ticket['id']}/sign")
            waited = time.monotonic() - started
        assert response.status_code == 409, response.text
        assert response.json()["error"]["message"] == "该工单正被同时处理，请稍后重试"
        assert waited < 3.0, f"the writer waited {waited:.1f} s"
    assert ok(await handler.post(f"/api/tickets/{ticket['id']}/sign"))["state"] == "signed"  # nothing half-written
