"""Production mode and /metrics (issue 12 point 10): a web process in production refuses to start while the
demo city's accounts or the demo password are there, and /metrics answers only the monitoring system."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx

from hotline.passwords import hash_password
from tests.support.services import SHIPPED_ARGON2, answering, free_port, start_logged_process, stop_process

# production refuses cheap hashing too; console logs keep the refusal's quotes readable
PRODUCTION = {"HOTLINE_APP_ENV": "production", "HOTLINE_LOGGING_FORMAT": "console", **SHIPPED_ARGON2}


async def test_production_refuses_demo_accounts_and_the_demo_password(
    city: dict[str, int], test_environ: dict[str, str], pool: asyncpg.Pool, tmp_path: Path
) -> None:
    log = tmp_path / "web.log"
    proc = start_logged_process(["web", "--port", str(free_port())], {**test_environ, **PRODUCTION}, log)
    try:
        code = await asyncio.wait_for(asyncio.to_thread(proc.wait), 60)
    finally:
        stop_process(proc)
    assert code != 0
    text = log.read_text(encoding="utf-8", errors="replace")
    assert 'env = "production" refuses to start' in text and "demo users exist (admin" in text
    assert "administrator admin has the demo password" in text

    # the demo accounts renamed away, the admin's password changed: it starts
    await pool.execute("UPDATE users SET username = 'city-' || id WHERE username <> 'admin'")
    await pool.execute("UPDATE users SET username = 'chief' WHERE username = 'admin'")
    await pool.execute("UPDATE users SET password_hash = $1 WHERE username = 'chief'", hash_password("s3cret-2026!"))
    port = free_port()
    proc = start_logged_process(["web", "--port", str(port)], {**test_environ, **PRODUCTION}, log)
    try:
        await answering(f"http://127.0.0.1:{port}/openapi.json", proc)
    finally:
        stop_process(proc)


async def test_metrics_answer_only_the_monitoring_system(
    clean: None, http: httpx.AsyncClient, test_environ: dict[str, str], tmp_path: Path
) -> None:
    assert (await http.get("/metrics")).status_code == 200  # loopback: [web] metrics_networks
    outside = await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})  # through a local proxy
    assert outside.status_code == 403 and "内部网络" in outside.text

    port = free_port()
    env = {**test_environ, "HOTLINE_METRICS_TOKEN": "scrape-me"}
    proc = start_logged_process(["web", "--port", str(port)], env, tmp_path / "web.log")
    try:
        await answering(f"http://127.0.0.1:{port}/openapi.json", proc)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/metrics")).status_code == 401  # even from loopback
            scraped = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
            assert scraped.status_code == 200 and "hotline_http_requests_total" in scraped.text
    finally:
        stop_process(proc)
