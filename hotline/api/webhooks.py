"""Outbound webhooks for administrators: list with delivery figures, create (secret shown once), enable and
disable, recent deliveries with their attempts and last error."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, int_param, now, ok, parse_body
from hotline.auth import current_user
from hotline.queries import Q
from hotline.webhooks import admin
from hotline.webhooks.events import EVENTS


async def list_webhooks(request: Request) -> Response:
    user = await current_user(request)
    access.require_admin(user)
    state = request.app.state
    async with state.pool.acquire() as conn:
        catalog = await state.catalogs.get(conn)
        visible = access.visible_units(user, catalog)
        rows = await conn.fetch(Q.webhooks_in_units, None if visible is None else sorted(visible))
    return ok({"items": [admin.webhook_json(r) for r in rows], "events": EVENTS})


async def create_webhook(request: Request) -> Response:
    user = await current_user(request)
    body = await parse_body(request, schemas.NewWebhook)
    state = request.app.state
    async with state.pool.acquire() as conn, conn.transaction():
        catalog = await state.catalogs.get(conn)
        row, secret = await admin.do_create(conn, user, catalog, body, now(request))
    return ok({"webhook": admin.webhook_json(row), "secret": secret}, 201)


async def switch_webhook(request: Request) -> Response:
    user = await current_user(request)
    body = await parse_body(request, schemas.WebhookSwitch)
    state = request.app.state
    async with state.pool.acquire() as conn, conn.transaction():
        catalog = await state.catalogs.get(conn)
        row = await admin.webhook_for_admin(conn, user, catalog, int_param(request, "id"))
        await conn.fetchval(Q.set_webhook_enabled, row["id"], body.enabled, now(request))
        row = await conn.fetchrow(Q.webhook_by_id, row["id"])
    return ok(admin.webhook_json(row))


async def deliveries(request: Request) -> Response:
    user = await current_user(request)
    state = request.app.state
    async with state.pool.acquire() as conn:
        catalog = await state.catalogs.get(conn)
        row = await admin.webhook_for_admin(conn, user, catalog, int_param(request, "id"))
        rows = await conn.fetch(Q.recent_deliveries, row["id"], 50)
    items = [
        {
            **{k: r[k] for k in ("id", "event_id", "event", "payload", "attempts", "last_status", "last_error")},
            **{
                k: r[k].isoformat() if r[k] else None
                for k in ("created_at", "last_attempt_at", "delivered_at", "failed_at")
            },
        }
        for r in rows
    ]
    return ok({"items": items})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/admin/webhooks",
        list_webhooks,
        "外部推送（webhook）列表",
        "admin",
        None,
        "WebhookList",
        (200, 401, 403),
    ),
    Endpoint(
        "POST",
        "/api/admin/webhooks",
        create_webhook,
        "新建外部推送（密钥仅此一次显示）",
        "admin",
        schemas.NewWebhook,
        "WebhookCreated",
        (201, 401, 403, 422),
    ),
    Endpoint(
        "POST",
        "/api/admin/webhooks/{id:int}/enabled",
        switch_webhook,
        "启用或停用外部推送",
        "admin",
        schemas.WebhookSwitch,
        "Webhook",
        (200, 401, 403, 404, 422),
    ),
    Endpoint(
        "GET",
        "/api/admin/webhooks/{id:int}/deliveries",
        deliveries,
        "外部推送的最近投递（尝试次数、最后错误）",
        "admin",
        None,
        "DeliveryList",
        (200, 401, 403, 404),
    ),
]
