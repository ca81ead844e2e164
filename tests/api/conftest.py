"""API tests: the demo city in a fresh database, a real web process, users logged in over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest

from hotline.demo import seed_demo
from hotline.settings import Settings


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
    from tests.conftest import truncate_all

    await truncate_all(pool)
    await redis.flushdb()
    async with pool.acquire() as conn:
        await seed_demo(conn, settings)
    yield
    await truncate_all(pool)
    await redis.flushdb()
