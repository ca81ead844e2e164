"""A press that a live update lands in still acts. A redraw between the press on a button and its release
rebuilds the button under the pointer; the browser then fires no click, and the user's choice was lost: a
handler's row did not open (a flaky full-day test), and on a busy board, redrawn every few milliseconds, 督办
and 催办 could hardly be clicked. The pages now redraw after the release."""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page, expect

from tests.support.api import Login, ok
from tests.support.browser import NEXT_FRAME, Open, reload_live_board
from tests.support.calls import NOISE_CALL, PROPERTY_CALL
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser


async def press(page: Page, target: Locator) -> None:
    """The mouse held down on `target`, once the page has settled: its first reads drawn (the panels above the
    lists move them as they fill) and no re-read under way."""
    await target.wait_for()
    await page.wait_for_load_state("networkidle")
    box = await target.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()


async def test_a_row_pressed_while_the_lists_are_re_read_still_opens_its_ticket(
    city: dict[str, int], login: Login, open_as: Open
) -> None:
    ticket = ok(await (await login("operator")).post("/api/tickets", json=PROPERTY_CALL), 201)
    co = await open_as("dh-zj-handler")  # 协办 of the property complaint
    page = co.page
    await expect(page.locator(".live-conn")).to_have_text("实时")
    row = page.locator(f'#cohandling-list .ticket-row[data-id="{ticket["id"]}"]')

    await press(page, row.locator("button.row-button"))
    async with page.expect_response(lambda answer: "scope=cohandling" in answer.url):  # the re-read, while held
        ok(await (await login("dh-s1-c1-handler")).post(f"/api/tickets/{ticket['id']}/sign"))
    await page.evaluate(NEXT_FRAME)
    await page.mouse.up()

    await expect(page.locator("#ticket-content")).to_have_text(PROPERTY_CALL["content"])
    await expect(row).to_contain_text("已签收")  # the re-read shown after the release


async def test_urge_pressed_while_events_redraw_the_board_still_opens_its_form(
    city: dict[str, int], login: Login, open_as: Open
) -> None:
    operator = await login("operator")
    first = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    board = await open_as("dh-supervisor")
    page = board.page
    frames = await reload_live_board(page)
    urge = page.locator(f'#countdown li[data-ticket="{first["id"]}"] button', has_text="催办").first  # one per clock

    await press(page, urge)
    second = ok(await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": "13900001111"}), 201)
    await eventually(lambda: any(f.get("payload", {}).get("ticket_id") == second["id"] for f in frames))
    await page.wait_for_timeout(200)  # the board draws a burst 50 ms after its first event
    await page.mouse.up()

    await expect(page.locator("dialog[open]")).to_contain_text(f"催办 · {first['number']}")
    await page.keyboard.press("Escape")
    await expect(page.locator(f'#countdown li[data-ticket="{second["id"]}"]').first).to_be_visible()  # drawn after all
