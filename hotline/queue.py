"""The arq queue on Redis: one way to connect to it, with JSON (never pickle) job payloads."""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import ConnectionPool

from hotline.settings import Settings


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()


def _loads(data: bytes) -> Any:
    return json.loads(data)


JSON_SERIALIZERS = {"job_serializer": _dumps, "job_deserializer": _loads}


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError("services must be started before connecting to Redis")
    return RedisSettings.from_dsn(settings.redis_url)


def connect_queue(settings: Settings) -> ArqRedis:
    """The queue (and Redis client) of a process: jobs go to `settings.redis.queue_name`. Close it with
    `aclose()`."""
    if not settings.redis_url:
        raise RuntimeError("services must be started before connecting to Redis")
    return ArqRedis(
        connection_pool=ConnectionPool.from_url(settings.redis_url),
        default_queue_name=settings.redis.queue_name,
        **JSON_SERIALIZERS,  # type: ignore[arg-type]
    )
