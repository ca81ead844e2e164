"""/healthz and /metrics against real services, including with PostgreSQL or Redis down."""

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from unittest.mock import ANY

import asyncpg
import httpx
import pytest

from hotline.embedded import EmbeddedServices
from hotline.migrate import migrate
from tests.support.services import (
    answering,
    free_port,
    private_service_dir,
    service_environ,
    start_process,
    stop_process,
)
from tests.support.waiting import eventually


@pytest.mark.usefixtures("clean", "worker_process")
async def test_healthz_is_green_with_web_and_worker_running(http: httpx.AsyncClient) -> None:
    async def worker_seen() -> dict:
        body = (await http.get("/healthz")).json()
        return body if body["checks"]["worker"]["ok"] else {}

    body = await eventually(worker_seen, timeout=20, interval=0.2, message="/healthz sees the worker")
    assert body["status"] == "ok", body
    assert set(body["checks"]) == {"database", "migrations", "redis", "worker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["migrations"]["pending"] == []
    assert body["checks"]["worker"]["workers"] >= 1


@pytest.mark.usefixtures("clean")
async def test_metrics_are_prometheus_text(http: httpx.AsyncClient) -> None:
    await http.get("/healthz")
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'hotline_http_requests_total{method="GET",route="/healthz"' in response.text
    # the web process tuned its garbage collector once started (hotline/ops/gc_tuning.py): startup's objects frozen
    frozen = re.search(r"^hotline_gc_frozen_objects (\S+)$", response.text, re.MULTILINE)
    assert frozen is not None and float(frozen.group(1)) > 10_000, frozen


@pytest.fixture
async def private_system(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedServices, str]]:
    """A web process on servers of this test's own, so it can stop them without disturbing the suite."""
    directory = private_service_dir()
    embedded = EmbeddedServices(directory)
    urls = embedded.start()
    conn = await asyncpg.connect(urls.database_url)
    await migrate(conn)
    await conn.close()
    port = free_port()
    web = start_process(["web", "--port", str(port)], service_environ(urls.database_url, urls.redis_url, tmp_path))
    base = f"http://127.0.0.1:{port}"
    try:
        await answering(f"{base}/healthz", web)
        yield embedded, base
    finally:
        stop_process(web)
        embedded.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_healthz_is_503_without_a_worker(private_system) -> None:
    _, base = private_system
    response = httpx.get(f"{base}/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["worker"] == {"ok": False, "workers": 0, "last_beat_s": None, "latency_ms": ANY}
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]


def test_healthz_is_503_when_redis_is_down(private_system) -> None:
    embedded, base = private_system
    embedded.stop_one("valkey")
    response = httpx.get(f"{base}/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] is False and "error" in checks["redis"]
    assert checks["database"]["ok"] is True


def test_healthz_is_503_when_postgres_is_down(private_system) -> None:
    embedded, base = private_system
    embedded.stop_one("postgres")
    response = httpx.get(f"{base}/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is False and checks["migrations"]["ok"] is False
    assert checks["redis"]["ok"] is True
