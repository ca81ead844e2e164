"""Test services: real PostgreSQL and Redis, embedded by default, external when HOTLINE_* URLs are set.

Each test session gets its own database, migrated from empty. Tests that write data use the
`clean` fixture, which truncates every table (and flushes the Redis database) afterwards:
the web server under test runs in another process, so data must be committed to be seen.
Fixtures that need nothing of the services (pure tests of dispatch/ and classifier/) start none.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from hotline.demo.city import seed_demo
from hotline.embedded import EmbeddedServices
from hotline.migrate import migrate
from hotline.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_DB = 9  # on an external Redis, keep clear of database 0


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_service_dir() -> Path:
    """A fresh directory for embedded servers that the PostgreSQL user can reach when we run as root."""
    path = Path(tempfile.mkdtemp(prefix="hotline-test-"))
    path.chmod(0o711)
    return path


@pytest.fixture(scope="session")
def service_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(postgres server URL, redis URL): external when configured, otherwise private embedded servers."""
    db_url, redis_url = os.environ.get("HOTLINE_DATABASE_URL"), os.environ.get("HOTLINE_REDIS_URL")
    if db_url and redis_url:
        yield db_url, _with_redis_db(redis_url, TEST_REDIS_DB)
        return
    directory = private_service_dir()
    embedded = EmbeddedServices(directory)
    urls = embedded.start()
    try:
        yield db_url or urls.database_url, redis_url or urls.redis_url
    finally:
        embedded.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
async def database_url(service_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A fresh database for this test session, migrated from empty."""
    server_url = service_urls[0]
    name = f"hotline_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_with_database(server_url, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def redis_url(service_urls: tuple[str, str]) -> str:
    return service_urls[1]


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test session's var/, with the default classifier model trained into it."""
    from classifier.bootstrap import train_default_model

    path = tmp_path_factory.mktemp("var")
    train_default_model(path / "models" / "current")
    return path


def service_environ(database_url: str, redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a process of the system under test."""
    env = dict(os.environ)
    env.update(
        HOTLINE_CONFIG=str(ROOT / "config.toml"),
        HOTLINE_APP_ENV="test",
        HOTLINE_APP_VAR_DIR=str(var_dir),
        HOTLINE_DATABASE_URL=database_url,
        HOTLINE_REDIS_URL=redis_url,
        HOTLINE_SECRET_KEY="test-secret-key-not-for-production",
        HOTLINE_LOGGING_LEVEL="WARNING",
        HOTLINE_LOGGING_FORMAT="json",  # one line per error in the test output
        HOTLINE_WORKER_HEARTBEAT_S="1",
        HOTLINE_CLASSIFIER_MODEL_DIR=str(var_dir / "models" / "current"),
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str, var_dir: Path) -> Settings:
    return load_settings(environ=service_environ(database_url, redis_url, var_dir))


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    from hotline.db import create_pool

    p = await create_pool(settings, min_size=1, max_size=5)
    yield p
    await p.close()


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


SCHEMA_DATA = ["schema_migrations", "ticket_transitions"]  # rows that are part of the schema


async def truncate_all(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL($1::text[])", SCHEMA_DATA
        )
        if tables:
            names = ", ".join(f'"{t["tablename"]}"' for t in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture
async def clean(pool: asyncpg.Pool, redis: aioredis.Redis) -> AsyncIterator[None]:
    """Start from empty tables and an empty Redis database, and leave them so."""
    await truncate_all(pool)
    await redis.flushdb()
    yield
    await truncate_all(pool)
    await redis.flushdb()


def wait_for_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_process(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "hotline", *args], env=env, cwd=ROOT, start_new_session=True)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def web_server(database_url: str, redis_url: str, var_dir: Path) -> Iterator[str]:
    """A real web process (uvicorn) for this session; yields its base URL."""
    port = free_port()
    proc = start_process(["web", "--port", str(port)], service_environ(database_url, redis_url, var_dir))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", proc)
        yield base
    finally:
        stop_process(proc)


@pytest.fixture
def spawn(database_url: str, redis_url: str, var_dir: Path) -> Iterator[Callable[..., Any]]:
    """Start extra web or worker processes with their own settings: `spawn("web", HOTLINE_SLA_...="...")`
    returns the base URL of a web process, or the Popen of a worker. All are stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []
    web_processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(kind: str, **env: str) -> Any:
        environ = service_environ(database_url, redis_url, var_dir, **env)
        if kind == "worker":
            proc = start_process(["worker"], environ)
            started.append(proc)
            return proc
        port = free_port()
        proc = start_process(["web", "--port", str(port)], environ)
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz", proc)
        web_processes[base] = proc
        return base

    start.web_processes = web_processes  # type: ignore[attr-defined]
    yield start
    for proc in started:
        stop_process(proc)


@pytest.fixture(scope="session")
def worker_process(database_url: str, redis_url: str, var_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real arq worker process for this session."""
    proc = start_process(["worker"], service_environ(database_url, redis_url, var_dir))
    try:
        yield proc
    finally:
        stop_process(proc)


@pytest.fixture
async def http(web_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_server, timeout=10.0) as client:
        yield client


@pytest.fixture
async def city(clean: None, pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    """The demo city (units, users, categories, rules, places, knowledge base); unit codes -> ids."""
    async with pool.acquire() as conn:
        await seed_demo(conn, settings)
    return {r["code"]: r["id"] for r in await pool.fetch("SELECT code, id FROM units")}


Login = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def login(web_server: str) -> AsyncIterator[Login]:
    """`await login("dh-s1-c1-handler")` gives a client carrying that user's bearer token."""
    clients: list[httpx.AsyncClient] = []

    async def as_user(username: str) -> httpx.AsyncClient:
        async with httpx.AsyncClient(base_url=web_server) as anon:
            response = await anon.post(
                "/api/auth/login", json={"username": username, "password": "demo12345", "kind": "api"}
            )
        assert response.status_code == 200, response.text
        client = httpx.AsyncClient(
            base_url=web_server, timeout=15.0, headers={"Authorization": f"Bearer {response.json()['token']}"}
        )
        clients.append(client)
        return client

    yield as_user
    for client in clients:
        await client.aclose()


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


@pytest.fixture(scope="module")
async def module_city(pool: asyncpg.Pool, redis, settings: Settings) -> AsyncIterator[None]:
    """The demo city for a whole module (for tests that cannot reset between examples)."""
    await truncate_all(pool)
    await redis.flushdb()
    async with pool.acquire() as conn:
        await seed_demo(conn, settings)
    yield
    await truncate_all(pool)
    await redis.flushdb()


@pytest.fixture
def hotline_cli(database_url: str, redis_url: str, var_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`hotline_cli("import", "units", path)` runs the command line against the test services."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hotline", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            env=service_environ(database_url, redis_url, var_dir),
        )

    return run


async def run_through_queue(settings: Settings, function: str, job_id: str) -> Any:
    """Queue `function` as the system does and run it on a real arq worker (burst); its result."""

    from hotline.queue import connect_queue
    from hotline.worker import build_worker

    queue = connect_queue(settings)
    try:
        job = await queue.enqueue_job(function, _job_id=job_id)
        assert job is not None
        worker = build_worker(settings, burst=True)
        await worker.main()
        await worker.close()
        return await job.result(timeout=10)
    finally:
        await queue.aclose()
