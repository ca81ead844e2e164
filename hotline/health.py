"""GET /healthz: database, Redis, worker heartbeat and migration state, 503 when something is down; the
standby's lag when one is configured (not a reason for 503: reads fall back to the primary)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from hotline import heartbeat, migrate

CHECK_TIMEOUT_S = 2.0


async def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure of a dependency is a red check, never a 500
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result.setdefault("ok", True)
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    settings = state.settings

    async def database() -> dict[str, Any]:
        async with state.pool.acquire(timeout=CHECK_TIMEOUT_S) as conn:
            await conn.fetchval("SELECT 1")  # a probe, inline on purpose: it tests the connection, not the schema
        return {}

    async def migrations() -> dict[str, Any]:
        async with state.pool.acquire(timeout=CHECK_TIMEOUT_S) as conn:
            waiting = await migrate.pending(conn)
        return {"ok": not waiting, "pending": waiting}

    async def redis() -> dict[str, Any]:
        await state.redis.ping()
        return {}

    async def worker() -> dict[str, Any]:
        live = await heartbeat.live_workers(state.redis, settings.worker.heartbeat_s)
        return {"ok": bool(live), "workers": len(live), "last_beat_s": min(live.values()) if live else None}

    names = ("database", "migrations", "redis", "worker")
    results = await asyncio.gather(*(_timed(c) for c in (database, migrations, redis, worker)))
    checks = dict(zip(names, results, strict=True))
    ok = all(c["ok"] for c in checks.values())
    if state.reads.replica is not None:
        checks["replica"] = await state.reads.status()
    return JSONResponse({"status": "ok" if ok else "down", "checks": checks}, status_code=200 if ok else 503)
