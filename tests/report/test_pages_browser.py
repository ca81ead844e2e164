"""The report and rankings pages in Chromium, signed in as the city's supervisor (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Open, browser, open_as, screenshots  # noqa: F401  (shared fixtures)
from tests.report.conftest import MONTH

pytestmark = pytest.mark.usefixtures("history")


async def test_report_and_rankings_pages(open_as: Open) -> None:  # noqa: F811
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
