"""Open311 API client keys: created by an administrator with a name and the hotline-centre operator whose
intake the client's requests count as, shown once (only the SHA-256 is stored), good for /open311/v2 alone,
rate-limited per key in Redis, revoked with one action. A staff member's token is never an Open311 key."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis

from hotline import access
from hotline.auth import User
from hotline.catalog_cache import Catalog
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.roles import Role

PREFIX = "o311_"


@dataclass(frozen=True)
class Client:
    id: int
    acts_as: User


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def create(
    conn: asyncpg.Connection, catalog: Catalog, name: str, acts_as: str, created_by: User, now: datetime
) -> dict[str, Any]:
    """A new key; the returned `key` is the only time anyone sees it."""
    row = await conn.fetchrow(Q.open311_actor_candidate, acts_as)
    if row is None or not row["active"]:
        raise ApiError(422, f"用户 {acts_as} 不存在或已停用", code="invalid")
    actor = User.from_row(row)
    if actor.role not in (Role.OPERATOR, Role.DISPATCHER) or not access.at_hotline_centre(actor, catalog):
        raise ApiError(422, "受理账号须为热线中心的话务员或派单员（Open311 提交的诉求记在其名下）", code="invalid")
    key = PREFIX + secrets.token_urlsafe(32)
    client_id = await conn.fetchval(
        Q.open311_client_insert, name, _digest(key), key[: len(PREFIX) + 4] + "…", actor.id, created_by.id, now
    )
    return {**client_json(await conn.fetchrow(Q.open311_client, client_id)), "key": key}


async def revoke(conn: asyncpg.Connection, client_id: int, now: datetime) -> dict[str, Any]:
    if await conn.fetchval(Q.open311_client_revoke, client_id, now) is None:
        raise ApiError(404, "找不到该 Open311 客户端", code="not_found")
    return client_json(await conn.fetchrow(Q.open311_client, client_id))


async def listing(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [client_json(r) for r in await conn.fetch(Q.open311_clients_all)]


def client_json(row: asyncpg.Record) -> dict[str, Any]:
    at = {k: row[k].isoformat() if row[k] else None for k in ("created_at", "revoked_at", "last_used_at")}
    return {
        "id": row["id"],
        "name": row["name"],
        "key_hint": row["key_hint"],
        "acts_as": row["acts_as"],
        "created_by": row["created_by"],
        "active": row["revoked_at"] is None,
        **at,
    }


async def authenticate(pool: asyncpg.Pool, key: str | None, now: datetime) -> Client | None:
    """The client of a live key (its operator still active), or None."""
    if not key or not key.startswith(PREFIX):
        return None
    row = await pool.fetchrow(Q.open311_client_by_key, _digest(key), now)
    if row is None:
        return None
    user = User(row["user_id"], row["username"], row["display_name"], Role(row["role"]), row["unit_id"])
    return Client(row["id"], user)


async def within_rate(redis: Redis, prefix: str, client: Client, per_minute: int, now: datetime) -> None:
    """Count the request in the key's current minute; past `per_minute`, a 429 with the seconds left."""
    minute = int(now.timestamp() // 60)
    counter = f"{prefix}:open311-rate:{client.id}:{minute}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, 120)
        count, _ = await pipe.execute()
    if int(count) > per_minute:
        wait = max(1, 60 - int(now.timestamp()) % 60)
        raise ApiError(
            429,
            f"该 Open311 密钥请求过于频繁，请 {wait} 秒后再试",
            code="too_many_requests",
            headers={"Retry-After": str(wait)},
        )
