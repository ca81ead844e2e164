"""The arq queue on Redis: one way to connect to it, with JSON (never pickle) job payloads."""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool, Redis

from hotline.settings import Settings


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()


def _loads(data: bytes) -> Any:
    return json.loads(data)


JSON_SERIALIZERS = {"job_serializer": _dumps, "job_deserializer": _loads}


def _pool(settings: Settings, read_timeout_s: float) -> ConnectionPool:
    if not settings.redis_url:
        raise RuntimeError("services must be started before connecting to Redis")
    # Every command and every connect has a deadline: a paused Redis (not down: its kernel still accepts
    # connections) would otherwise hang whoever waits for its answer, for as long as it is paused.
    return ConnectionPool.from_url(
        settings.redis_url,
        socket_timeout=read_timeout_s,
        socket_connect_timeout=settings.redis.connect_timeout_s,
        health_check_interval=30,
    )


def connect_queue(settings: Settings) -> ArqRedis:
    """The queue (and Redis client) of a process: jobs go to `settings.redis.queue_name`. Close it with
    `aclose()`. Commands fail after `[redis] socket_timeout_s`."""
    return ArqRedis(
        connection_pool=_pool(settings, settings.redis.socket_timeout_s),
        default_queue_name=settings.redis.queue_name,
        **JSON_SERIALIZERS,  # type: ignore[arg-type]
    )


def connect_reader(settings: Settings, block_s: float) -> Redis:
    """A client for blocking reads of up to `block_s` (the board hub's XREAD BLOCK): its timeout is the
    block plus `[redis] socket_timeout_s`, so a paused Redis is noticed soon after a read should have ended."""
    return Redis(connection_pool=_pool(settings, block_s + settings.redis.socket_timeout_s))
