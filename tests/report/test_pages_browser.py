"""The report and rankings pages in Chromium, signed in as the city's supervisor (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import Open, screenshots
from tests.support.history import MONTH

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("history")]


async def test_report_and_rankings_pages(open_as: Open) -> None:
    supervisor = await open_as("supervisor")
    page = supervisor.page
    await expect(page.locator("nav.nav a", has_text="分析报告")).to_be_visible()
    await supervisor.goto(f"/reports/monthly?month={MONTH}")
    frame = page.frame_locator("iframe.report-frame")
    await expect(frame.locator("h1")).to_contain_text("2026年10月")
    await expect(frame.locator('figure[data-chart="trend"] svg')).to_be_visible()
    await screenshots(page, "report-page")
    await supervisor.goto("/rankings?period=2026-Q4&level=district")
    await expect(page.locator("#rankings tbody tr").first).to_contain_text("区")
    await screenshots(page, "rankings-page")
