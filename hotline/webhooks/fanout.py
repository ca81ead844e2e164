"""The worker's fan-out: board events from the Redis Stream become webhook deliveries, each its own arq job.

A cron job every second reads the stream after its cursor (kept in Redis), records one delivery per matching
(webhook, event) — unique, so a run repeated after a crash records nothing twice — and queues their jobs. It
reads the stream rather than hooking into the use-cases, so every publisher (views, timers, sweeps) is
covered. A webhook hears of events from the moment it was created; pending deliveries whose job Redis lost
are queued again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis

from hotline.catalog_cache import Catalog
from hotline.queries import Q
from hotline.webhooks import events as hook_events
from realtime.events import Event, id_key
from realtime.stream import DEFAULT_STREAM, decode

CURSOR_KEY = "hotline:webhooks:cursor"
BATCH = 1000


def delivery_job_id(delivery_id: int) -> str:
    return f"webhook-delivery-{delivery_id}"


async def webhook_fanout(ctx: dict[str, Any]) -> int:
    """Record and queue the deliveries of the events published since the last run; how many."""
    pool: asyncpg.Pool = ctx["pool"]
    redis: Redis = ctx["redis"]
    now = datetime.now(UTC)
    hooks = await pool.fetch(Q.enabled_webhooks)
    if not hooks:
        return 0
    async with pool.acquire() as conn:
        catalog = await ctx["catalogs"].get(conn)
    # from the first webhook's creation on, or where the last run stopped
    after = f"{int(min(h['created_at'] for h in hooks).timestamp() * 1000) - 1}-0"
    cursor = await redis.get(CURSOR_KEY)
    if cursor is not None and id_key(cursor.decode() if isinstance(cursor, bytes) else cursor) > id_key(after):
        after = cursor.decode() if isinstance(cursor, bytes) else cursor
    queued = 0
    while True:
        entries = await redis.xrange(DEFAULT_STREAM, min=f"({after}", max="+", count=BATCH)
        if not entries:
            break
        position, found = decode(entries, after)
        queued += await _record(ctx, pool, catalog, hooks, found, now)
        await redis.set(CURSOR_KEY, position)
        after = position
        if len(entries) < BATCH:
            break
    for row in await pool.fetch(Q.lost_deliveries, now, ctx["settings"].webhooks.backoff_s):
        await redis.enqueue_job("webhook_deliver", row["id"], _job_id=delivery_job_id(row["id"]))  # type: ignore[attr-defined]
    return queued


async def _record(
    ctx: dict[str, Any], pool: asyncpg.Pool, catalog: Catalog, hooks: list[Any], found: list[Event], now: datetime
) -> int:
    tree = catalog.tree
    matches: list[tuple[Any, Event, str, int]] = []
    for event in found:
        name = hook_events.FROM_BOARD.get(event.type)
        unit = hook_events.addressee(event, tree) if name else None
        if name is None or unit is None:
            continue
        at_ms = event.key[0]
        for hook in hooks:
            if name not in hook["events"] or at_ms < hook["created_at"].timestamp() * 1000:
                continue
            if hook["unit_id"] == unit or (hook["include_subtree"] and tree.is_within(unit, hook["unit_id"])):
                matches.append((hook, event, name, unit))
    if not matches:
        return 0
    ticket_ids = [i for i in {e.payload.get("ticket_id") for _, e, _, _ in matches} if isinstance(i, int)]
    tickets = {r["id"]: r for r in await pool.fetch(Q.webhook_ticket_facts, ticket_ids)}
    rows = []
    for hook, event, name, unit in matches:
        ticket = tickets.get(event.payload.get("ticket_id"))
        rows.append((hook["id"], event.id, name, hook_events.payload(event, name, unit, tree, ticket)))
    ids = await pool.fetch(Q.insert_deliveries, *(list(column) for column in zip(*rows, strict=True)), now)
    for row in ids:
        await ctx["redis"].enqueue_job("webhook_deliver", row["id"], _job_id=delivery_job_id(row["id"]))
    return len(ids)
