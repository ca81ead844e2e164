"""Browser tests: Debian's Chromium driven by Playwright against real web and worker processes.

Each role gets its own browser context (its own cookies), so several people can be on the
system at once, as in the hotline centre. Pages that raise a JavaScript error fail the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.conftest import (
    ROOT,
    city,  # noqa: F401  (the demo city fixture, shared with the API tests)
)

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "demo12345"
VIEWPORTS = {"1366x768": {"width": 1366, "height": 768}, "1920x1080": {"width": 1920, "height": 1080}}

expect.set_options(timeout=10_000)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium against the running system")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240  (once per session, before anything runs)
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


class Session:
    """One person at a browser: a context with its own cookies, one page, and its JS errors."""

    def __init__(self, context: BrowserContext, page: Page, base: str):
        self.context = context
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base + path)

    async def screenshots(self, name: str) -> None:
        await screenshots(self.page, name)


async def screenshots(page: Page, name: str) -> None:
    """The page at a laptop's and at a wall screen's size, in tests/artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in VIEWPORTS.items():
        await page.set_viewport_size(size)
        await page.wait_for_timeout(150)  # let the grid settle at the new size
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"))
    await page.set_viewport_size(VIEWPORTS["1366x768"])


Open = Callable[..., Awaitable[Session]]


@pytest.fixture
async def open_as(browser: Browser, web_server: str) -> AsyncIterator[Open]:
    """`await open_as("operator")`: a signed-in session on the user's own page (or `base`'s)."""
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


ApiAs = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def api_as(web_server: str) -> AsyncIterator[ApiAs]:
    """`await api_as("operator")`: an HTTP client with that user's bearer token, for setting the scene."""
    clients: list[httpx.AsyncClient] = []

    async def client(username: str, base: str = web_server) -> httpx.AsyncClient:
        async with httpx.AsyncClient(base_url=base, timeout=15.0) as anon:
            credentials = {"username": username, "password": PASSWORD, "kind": "api"}
            response = await anon.post("/api/auth/login", json=credentials)
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        c = httpx.AsyncClient(base_url=base, timeout=15.0, headers={"Authorization": f"Bearer {token}"})
        clients.append(c)
        return c

    yield client
    for c in clients:
        await c.aclose()
