"""承办 page of a co-handling unit (协办): the tickets it assists with, in their own list, read-only."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.api import Login, ok
from tests.support.browser import NEXT_FRAME, Open

pytestmark = pytest.mark.browser

PROPERTY_CALL = {
    "type": "complaint",
    "channel": "phone",
    "content": "柳岸花园物业公司今年突然把物业费从每平米一块二涨到两块，业主都不同意，希望有关部门管一管。",
    "address": "东湖区青山街道柳岸花园3栋",
    "category_code": "PROPERTY",
}


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


async def test_a_row_pressed_while_the_lists_are_re_read_still_opens_its_ticket(
    city: dict[str, int], login: Login, open_as: Open
) -> None:
    """A live re-read that lands between the press on a row and its release rebuilt the rows under the pointer; the
    browser then fires no click, and the handler's choice was lost (a flaky full-day test). The rows wait for the
    release now."""
    ticket = ok(await (await login("operator")).post("/api/tickets", json=PROPERTY_CALL), 201)
    co = await open_as("dh-zj-handler")
    page = co.page
    await expect(page.locator(".live-conn")).to_have_text("实时")
    button = page.locator("#cohandling-list .ticket-row", has_text=ticket["number"]).locator("button.row-button")
    box = await button.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    async with page.expect_response(lambda answer: "scope=cohandling" in answer.url):  # the re-read, while held
        ok(await (await login("dh-s1-c1-handler")).post(f"/api/tickets/{ticket['id']}/sign"))
    await page.evaluate(NEXT_FRAME)
    await page.mouse.up()
    await expect(page.locator("#ticket-content")).to_have_text(PROPERTY_CALL["content"])
    await expect(page.locator(f'#cohandling-list .ticket-row[data-id="{ticket["id"]}"]')).to_contain_text("已签收")
