"""Debian's Chromium driven by Playwright: one person at a browser, and screenshots of what they see.

The fixtures (`browser`, `open_as`) are in tests/conftest.py; a test that uses them carries the
`browser` marker (tests/conftest.py refuses to collect one that does not).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from playwright.async_api import BrowserContext, Page

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


Open = Callable[..., Awaitable[Session]]
