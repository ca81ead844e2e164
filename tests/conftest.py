"""Test services: real PostgreSQL and Redis, embedded by default, external when HOTLINE_* URLs are set.

Each test session gets its own database, migrated from empty. A test that uses the database or
Redis takes the `clean` fixture (or `city`, which uses it; or a module's shared data), which
empties every table and the Redis database before the test: the web server under test runs in
another process, so data must be committed to be seen, and a test starts from nothing whatever
ran before it. The collection refuses a test that forgets (see pytest_collection_modifyitems).

Each test has a queue of its own (`queue_name`): `settings` points at it, and `spawn`,
`worker_process` and `hotline_cli` pass it to the processes they start, so a worker takes the
jobs of its own test only. Fixtures that need nothing of the services (pure tests of dispatch/
and classifier/) start none. Helpers that are not fixtures live in tests/support/.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from playwright.async_api import Browser, async_playwright, expect

from hotline import passwords
from hotline.demo.city import seed_demo
from hotline.embedded import EmbeddedServices
from hotline.migrate import migrate
from hotline.settings import Settings, load_settings
from tests.support.api import PASSWORD, Login, api_client
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, Open, Session
from tests.support.services import (
    ROOT,
    Processes,
    answering,
    free_port,
    private_service_dir,
    service_environ,
    start_process,
    stop_process,
    truncate_all,
)

TEST_REDIS_DB = 9  # on an external Redis, keep clear of database 0 (xdist workers take 9, 10, ...)
# The session's web server queues jobs (SLA timers) that no test's worker must take: a queue nobody polls.
SESSION_WEB_QUEUE = "hotline:test:session-web"


# Fixtures that reach the session's database or Redis, and those that empty them first (`clean`, or a
# module's shared data, which empties them before it seeds).
SHARED_SERVICES = {"pool", "redis", "web_server", "http", "login", "spawn", "worker_process", "hotline_cli"}
STARTS_EMPTY = {"clean", "module_city", "history"}


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection: checked whether deselected or not
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse, loudly, a test that drives Chromium without the `browser` marker (CI's pass on external
    servers runs -m 'not browser'), and one that uses the shared services without starting from empty
    (it would see what the test before it left)."""
    unmarked, unclean = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "browser" in fixtures and item.get_closest_marker("browser") is None:
            unmarked.append(item.nodeid)
        if fixtures & SHARED_SERVICES and not fixtures & STARTS_EMPTY:
            unclean.append(item.nodeid)
    problems = [
        f"{what}:\n  " + "\n  ".join(nodeids)
        for what, nodeids in (
            ("tests that drive Chromium (the `browser` fixture) without @pytest.mark.browser", unmarked),
            ("tests that use the shared database or Redis without `clean` (or `city`, ...)", unclean),
        )
        if nodeids
    ]
    if problems:
        raise pytest.UsageError("\n".join(problems))


def _xdist_worker_number() -> int:
    """0 for gw0 (or no xdist), 1 for gw1, ...: each pytest-xdist worker is a session of its own, with its own
    database; on an external Redis it needs a database number of its own too, as it empties it before each test."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@pytest.fixture(scope="session")
def service_urls() -> Iterator[tuple[str, str]]:
    """(postgres server URL, redis URL): external when configured, otherwise private embedded servers."""
    db_url, redis_url = os.environ.get("HOTLINE_DATABASE_URL"), os.environ.get("HOTLINE_REDIS_URL")
    if db_url and redis_url:
        yield db_url, _with_redis_db(redis_url, TEST_REDIS_DB + _xdist_worker_number())
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


@pytest.fixture(scope="session")
def session_settings(database_url: str, redis_url: str, var_dir: Path) -> Settings:
    """Settings of the session (for fixtures wider than a test); tests take `settings`, on their own queue."""
    settings = load_settings(environ=service_environ(database_url, redis_url, var_dir))
    passwords.configure(settings.auth)  # the cheap test parameters for hashes written in this process too
    return settings


@pytest.fixture
def queue_name(request: pytest.FixtureRequest) -> str:
    """This test's arq queue: workers it starts poll this one, and no other test's workers do."""
    readable = re.sub(r"[^A-Za-z0-9_]+", "-", request.node.name)[:40]
    return f"hotline:test:{readable}:{secrets.token_hex(3)}"


@pytest.fixture
def settings(session_settings: Settings, queue_name: str) -> Settings:
    return dataclasses.replace(
        session_settings, redis=dataclasses.replace(session_settings.redis, queue_name=queue_name)
    )


@pytest.fixture(scope="session")
async def pool(session_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    from hotline.db import create_pool

    p = await create_pool(session_settings, min_size=1, max_size=5)
    yield p
    await p.close()


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


async def _empty(pool: asyncpg.Pool, redis: aioredis.Redis) -> None:
    await truncate_all(pool)
    await redis.flushdb()


@pytest.fixture
async def clean(pool: asyncpg.Pool, redis: aioredis.Redis) -> None:
    """Start from empty tables and an empty Redis database (whatever ran before left behind)."""
    await _empty(pool, redis)


@pytest.fixture(scope="session")
async def web_server(database_url: str, redis_url: str, var_dir: Path) -> AsyncIterator[str]:
    """A real web process (uvicorn) for this session; yields its base URL. Its jobs go to a queue no worker
    polls: a test that needs a worker starts its own web process with `spawn`."""
    port = free_port()
    # board sockets share no snapshot across time: the tests it serves empty the database and Redis between them,
    # and a socket of one test would take a snapshot of the database of the test before (tests/scale spawn web
    # processes of their own to test the sharing)
    unshared = {"HOTLINE_WEB_BOARD_SNAPSHOT_SHARED_S": "0", "HOTLINE_WEB_BOARD_SNAPSHOT_STALE_S": "0"}
    env = service_environ(database_url, redis_url, var_dir, HOTLINE_REDIS_QUEUE_NAME=SESSION_WEB_QUEUE, **unshared)
    proc = start_process(["web", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    try:
        await answering(f"{base}/healthz", proc)
        yield base
    finally:
        stop_process(proc)


@pytest.fixture
def test_environ(database_url: str, redis_url: str, var_dir: Path, queue_name: str) -> dict[str, str]:
    """Environment for processes started by this test: the test services and this test's queue."""
    return service_environ(database_url, redis_url, var_dir, HOTLINE_REDIS_QUEUE_NAME=queue_name)


@pytest.fixture
async def spawn(test_environ: dict[str, str], redis: aioredis.Redis) -> AsyncIterator[Processes]:
    """Web and worker processes of this test, with settings of their own: `await spawn.web(HOTLINE_...="...")`,
    `await spawn.worker()`. All are stopped after the test."""
    processes = Processes(test_environ, redis)
    try:
        yield processes
    finally:
        processes.stop_all()


@pytest.fixture
async def worker_process(spawn: Processes) -> subprocess.Popen[bytes]:
    """A real arq worker process polling this test's queue, already beating."""
    return await spawn.worker()


@pytest.fixture
async def http(web_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_server, timeout=10.0) as client:
        yield client


async def _seed_city(pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    async with pool.acquire() as conn:
        await seed_demo(conn, settings)
    return {r["code"]: r["id"] for r in await pool.fetch("SELECT code, id FROM units")}


@pytest.fixture
async def city(clean: None, pool: asyncpg.Pool, session_settings: Settings) -> dict[str, int]:
    """The demo city (units, users, categories, rules, places, knowledge base); unit codes -> ids."""
    return await _seed_city(pool, session_settings)


@pytest.fixture(scope="module")
async def module_city(pool: asyncpg.Pool, redis: aioredis.Redis, session_settings: Settings) -> dict[str, int]:
    """The demo city for a whole module (for tests that cannot reset between examples)."""
    await _empty(pool, redis)
    return await _seed_city(pool, session_settings)


@pytest.fixture
async def login(web_server: str) -> AsyncIterator[Login]:
    """`await login("dh-s1-c1-handler")` gives a client carrying that user's bearer token, on the session's
    web server or on `base`; closed after the test."""
    clients: list[httpx.AsyncClient] = []

    async def as_user(username: str, base: str = web_server) -> httpx.AsyncClient:
        client = await api_client(base, username)
        clients.append(client)
        return client

    yield as_user
    for client in clients:
        await client.aclose()


@pytest.fixture
def hotline_cli(test_environ: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`hotline_cli("import", "units", path)` runs the command line against the test services (with more
    HOTLINE_* settings as keywords) and returns when it has finished."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hotline", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            env={**test_environ, **env},
            timeout=300,
        )

    return run


expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, for the session. Tests using it carry the `browser` marker."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240  (once per session, before anything runs)
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def open_as(browser: Browser, web_server: str) -> AsyncIterator[Open]:
    """`await open_as("operator")`: a signed-in session on the user's own page (or `base`'s). Each user has
    a browser context of their own (their own cookies); a JavaScript error on any page fails the test."""
    sessions: list[Session] = []

    async def sign_in(username: str, base: str = web_server) -> Session:
        context = await browser.new_context(viewport=VIEWPORTS["1366x768"], locale="zh-CN", timezone_id="Asia/Shanghai")
        session = Session(context, await context.new_page(), base)
        sessions.append(session)
        page = session.page
        await session.goto("/login")
        await page.fill("#username", username)
        await page.fill("#password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        await page.wait_for_url(re.compile(r"/(console|queue|inbox|board|admin)$"))
        return session

    yield sign_in
    for session in sessions:
        await session.context.close()
    errors = {id(s): s.errors for s in sessions if s.errors}
    assert not errors, f"JavaScript errors on the pages: {errors}"
