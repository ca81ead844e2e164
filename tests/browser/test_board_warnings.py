"""Early warnings on the supervisor's board: pushed into the feed as they are raised, listed in the
未诉先办预警 panel, and there again after a reload (from the snapshot)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.browser import Open
from tests.support.calls import cluster_calls
from tests.support.jobs import run_through_queue

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


async def test_board_shows_early_warnings(open_as: Open, login: Login, settings: Settings) -> None:
    board = await open_as("dh-supervisor")
    page = board.page
    await expect(page.locator("#conn")).to_have_text("实时")
    await expect(page.locator("#early tbody")).to_contain_text("暂无未诉先办预警")

    operator = await login("operator")
    for call in cluster_calls("1391234"):
        ok(await operator.post("/api/tickets", json=call), 201)
    assert await run_through_queue(settings, "early_warning_scan", "board-warnings") == 3

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
