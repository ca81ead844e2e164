"""Administrators' changes to webhooks: create (the secret is returned this once), enable and disable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from hotline import access, schemas
from hotline.auth import User
from hotline.catalog_cache import Catalog
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.webhooks.signing import new_secret


def webhook_json(row: asyncpg.Record) -> dict[str, Any]:
    """A webhook as administrators see it: never its secret."""
    return {
        "id": row["id"],
        "unit_id": row["unit_id"],
        "unit_name": row["unit_name"],
        "user_id": row["user_id"],
        "username": row["username"],
        "url": row["url"],
        "events": list(row["events"]),
        "include_subtree": row["include_subtree"],
        "enabled": row["enabled"],
        "created_at": row["created_at"].isoformat(),
        "delivered": row["delivered"],
        "failed": row["failed"],
        "pending": row["pending"],
        "last_failure": row["last_failure"],
    }


def require_webhook_admin(user: User, catalog: Catalog, unit_id: int) -> None:
    """An administrator of the unit or a unit above it (the hotline centre's: every unit)."""
    access.require_admin(user)
    if unit_id not in catalog.tree:
        raise ApiError(422, "单位不存在", code="unknown_unit")
    visible = access.visible_units(user, catalog)
    if visible is not None and unit_id not in visible:
        raise ApiError(403, "只能为本单位及下级单位配置推送", code="outside_subtree")


async def do_create(
    conn: asyncpg.Connection, user: User, catalog: Catalog, body: schemas.NewWebhook, now: datetime
) -> tuple[asyncpg.Record, str]:
    require_webhook_admin(user, catalog, body.unit_id)
    person = None
    if body.username:
        person = await conn.fetchrow(Q.webhook_user, body.username)
        if person is None or person["unit_id"] != body.unit_id:
            raise ApiError(422, f"用户 {body.username} 不存在或不属于所选单位", code="user_not_in_unit")
    secret = new_secret()
    events = list(dict.fromkeys(body.events))
    webhook_id = await conn.fetchval(
        Q.insert_webhook,
        body.unit_id,
        person["id"] if person else None,
        body.url,
        events,
        body.include_subtree,
        secret,
        user.id,
        now,
    )
    return await conn.fetchrow(Q.webhook_by_id, webhook_id), secret


async def webhook_for_admin(conn: asyncpg.Connection, user: User, catalog: Catalog, webhook_id: int) -> asyncpg.Record:
    row = await conn.fetchrow(Q.webhook_by_id, webhook_id)
    if row is None:
        raise ApiError(404, "找不到该推送配置", code="webhook_not_found")
    require_webhook_admin(user, catalog, row["unit_id"])
    return row
