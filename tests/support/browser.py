"""Debian's Chromium driven by Playwright: one person at a browser, and screenshots of what they see.

The fixtures (`browser`, `open_as`) are in tests/conftest.py; a test that uses them carries the
`browser` marker (tests/conftest.py refuses to collect one that does not).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, WebSocket, expect

from tests.support.api import PASSWORD
from tests.support.services import ROOT

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
VIEWPORTS = {"1366x768": {"width": 1366, "height": 768}, "1920x1080": {"width": 1920, "height": 1080}}
PHONE = {"width": 360, "height": 740}
# resolves after the page has laid out and painted a frame at its current size
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


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
        await page.evaluate(NEXT_FRAME)  # the grid laid out at the new size
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"))
    await page.set_viewport_size(VIEWPORTS["1366x768"])


async def phone_session(browser: Browser, base: str, username: str) -> Session:
    """`username` signed in on a phone (360×740, touch) and on their home page (a 网格员's: 掌上办理). The caller
    closes the context and checks `errors`, as `open_as` does for its sessions."""
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True)
    session = Session(context, await context.new_page(), base)
    await session.goto("/login")
    await session.page.fill("#username", username)
    await session.page.fill("#password", PASSWORD)
    await session.page.click("#login-form button[type=submit]")
    await session.page.wait_for_url(re.compile(r"/(grid|inbox)$"))
    return session


Open = Callable[..., Awaitable[Session]]


async def reload_live_board(page: Page) -> list[dict[str, Any]]:
    """Reload the board page and return the list its socket's frames go into from then on (snapshots, events,
    pings, in order; a batch as its events), once the board is live."""
    frames: list[dict[str, Any]] = []

    def on_socket(ws: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            message = json.loads(payload)
            frames.extend(message["events"] if message["type"] == "events" else [message])

        ws.on("framereceived", frame)

    page.on("websocket", on_socket)
    await page.reload()
    await expect(page.locator("#conn")).to_have_text("实时")
    return frames
