"""Worker heartbeats in Redis: each worker process writes its time; /healthz reads them."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

# redis-py annotates its commands for the sync and async clients at once (`Awaitable[int] | int`),
# so awaiting them needs `type: ignore[misc]` until its types split.

HEARTBEATS_KEY = "hotline:worker-heartbeats"
log = structlog.get_logger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def beat(redis: Redis, ident: str) -> None:
    await redis.hset(HEARTBEATS_KEY, ident, f"{time.time():.3f}")  # type: ignore[misc]


async def beat_forever(redis: Redis, ident: str, interval_s: float) -> None:
    while True:
        try:
            await beat(redis, ident)
        except (RedisError, OSError) as exc:  # Redis paused or restarting: beat again next time
            log.warning("heartbeat not written", error=str(exc))
        await asyncio.sleep(interval_s)


async def forget(redis: Redis, ident: str) -> None:
    await redis.hdel(HEARTBEATS_KEY, ident)  # type: ignore[misc]


async def live_workers(redis: Redis, interval_s: float, now: float | None = None) -> dict[str, float]:
    """Workers whose last beat is younger than three intervals, with the age of that beat in seconds."""
    now = time.time() if now is None else now
    beats = await redis.hgetall(HEARTBEATS_KEY)  # type: ignore[misc]
    ages = {k.decode(): now - float(v) for k, v in beats.items()}
    stale = [k for k, age in ages.items() if age > 10 * interval_s]
    if stale:
        await redis.hdel(HEARTBEATS_KEY, *stale)  # type: ignore[misc]
    return {k: round(age, 1) for k, age in ages.items() if age <= 3 * interval_s}
