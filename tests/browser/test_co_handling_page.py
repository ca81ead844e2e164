"""承办 page of a co-handling unit (协办): the tickets it assists with, in their own list, read-only."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.api import Login, ok
from tests.support.browser import Open
from tests.support.calls import PROPERTY_CALL

pytestmark = pytest.mark.browser


async def test_the_co_handler_lists_and_opens_the_ticket_it_assists_with(
    city: dict[str, int], login: Login, open_as: Open
) -> None:
    ticket = ok(await (await login("operator")).post("/api/tickets", json=PROPERTY_CALL), 201)
    co = await open_as("dh-zj-handler")
    page = co.page
    await expect(page.locator("#n-cohandling")).to_have_text("1")
    await expect(page.locator("#n-inbox")).to_have_text("0")
    row = page.locator("#cohandling-list .ticket-row", has_text=ticket["number"])
    await row.locator("button.row-button").click()
    await expect(page.locator("#ticket-content")).to_have_text(PROPERTY_CALL["content"])
    await expect(page.locator("#detail")).to_contain_text("本单位为协办单位")
    await expect(page.locator("#sign")).to_have_count(0)
    await co.screenshots("inbox-cohandling")
