"""One webhook delivery attempt (an arq job): POST the signed JSON, record the outcome, retry with backoff.

The delivery row is locked while its POST runs, so two workers never send it at once; a receiver can still
see one twice (a crash after its 2xx, before the commit) and should de-duplicate by `X-Hotline-Delivery`.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from arq.worker import Retry

from hotline.queries import Q
from hotline.settings import WebhookSettings
from hotline.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

USER_AGENT = "hotline12345-webhooks/1"


async def webhook_deliver(ctx: dict[str, Any], delivery_id: int) -> str:
    settings: WebhookSettings = ctx["settings"].webhooks
    pool: asyncpg.Pool = ctx["pool"]
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(Q.lock_delivery, delivery_id)
        if row is None:
            return "busy"  # another worker is sending it, or the webhook was deleted
        if row["delivered_at"] is not None or row["failed_at"] is not None:
            return "done"
        now = datetime.now(UTC)
        if not row["enabled"]:
            await conn.fetchval(Q.record_attempt, delivery_id, now, None, "推送已停用，未发送", False, True)
            return "disabled"
        status, error = await _post(row, delivery_id, settings.timeout_s)
        delivered = status is not None and 200 <= status < 300
        gave_up = not delivered and row["attempts"] + 1 >= settings.max_attempts
        await conn.fetchval(Q.record_attempt, delivery_id, now, status, error, delivered, gave_up)
    if delivered:
        return "delivered"
    if gave_up:
        return "failed"
    # after the commit: the attempt is recorded whatever happens to the job
    raise Retry(defer=timedelta(seconds=settings.backoff_s * 2 ** row["attempts"]))


async def _post(row: asyncpg.Record, delivery_id: int, timeout_s: float) -> tuple[int | None, str]:
    body = json.dumps({"delivery_id": delivery_id, **row["payload"]}, ensure_ascii=False).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Hotline-Event": row["event"],
        "X-Hotline-Delivery": str(delivery_id),
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: signature(row["secret"], stamp, body),
    }
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
            response = await client.post(row["url"], content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"
