"""Early warnings on the supervisor's board: pushed into the feed as they are raised, listed in the
未诉先办预警 panel, and there again after a reload (from the snapshot)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hotline.settings import Settings
from tests.browser.conftest import ApiAs, Open
from tests.report.test_board_warnings import CALLS, scan

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


async def test_board_shows_early_warnings(open_as: Open, api_as: ApiAs, settings: Settings) -> None:
    board = await open_as("dh-supervisor")
    page = board.page
    await expect(page.locator("#conn")).to_have_text("实时")
    await expect(page.locator("#early tbody")).to_contain_text("暂无未诉先办预警")

    operator = await api_as("operator")
    for n, (address, category, text, count) in enumerate(CALLS):
        for i in range(count):
            call = {"type": "complaint", "content": text, "address": address, "category_code": category,
                    "caller_phone": f"1391234{n}{i:03d}"}  # fmt: skip
            response = await operator.post("/api/tickets", json=call)
            assert response.status_code == 201, response.text
    assert await scan(settings) == 3

    await expect(page.locator("#alerts li.alert-early")).to_have_count(2)  # not 南江区's
    await expect(page.locator("#early tbody tr[data-kind]")).to_have_count(2)
    await expect(page.locator('#early tr[data-kind="place"]')).to_contain_text("小时内 5 件")
    await expect(page.locator('#early tr[data-kind="text"]')).to_contain_text("多个社区")
    await expect(page.locator("#n-early")).to_have_text("2")
    await board.screenshots("board-early-warnings")

    await page.reload()
    await expect(page.locator("#conn")).to_have_text("实时")
    await expect(page.locator("#early tbody tr[data-kind]")).to_have_count(2)
    await expect(page.locator("#alerts li.alert-early")).to_have_count(2)  # once each, from the snapshot
    assert board.errors == []
