"""The live pages in Chromium: an inbox that shows a new assignment without a reload, and the 网格员's phone page.

Roles: the handler of 柳岸社区 at a laptop (1366×768); the 网格员 of 柳岸社区第一网格 on a phone (360×740), who sees
the caller's number masked. The operator's calls are made through the API.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.async_api import Browser, expect

from tests.support.api import Login, ok
from tests.support.browser import ARTIFACTS, NEXT_FRAME, PHONE, Open, phone_session
from tests.support.calls import NOISE_CALL

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]

GRID_CALL = {
    **NOISE_CALL,
    "content": "水岸名都一期3栋楼下的烧烤店每天营业到凌晨两点，油烟和噪音很大，希望尽快处理。",
    "address": "东湖区青山街道水岸名都一期3栋",
}


async def test_an_inbox_shows_a_new_assignment_without_a_reload(open_as: Open, login: Login) -> None:
    handler = await open_as("dh-s1-c1-handler")
    page = handler.page
    await expect(page.locator("#ticket-list")).to_contain_text("暂无待办工单")
    await expect(page.locator(".live-conn")).to_have_text("实时")
    title = await page.title()
    started = time.monotonic()
    ticket = ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)
    row = page.locator(f'#ticket-list [data-id="{ticket["id"]}"]')
    # within a second on an idle machine; the bound leaves room for a loaded CI host, and is still far
    # inside the old 20 s poll (no reload, no timer: the socket)
    await expect(row).to_have_class(re.compile(r"\bunread\b"), timeout=5000)
    assert time.monotonic() - started < 5.0
    await expect(page).to_have_title(f"(1) {title}")
    await handler.screenshots("live-inbox")
    await row.locator(".row-button").click()
    await expect(page).to_have_title(title)
    await expect(row).not_to_have_class(re.compile(r"\bunread\b"))
    await expect(page.locator("#ticket-content")).to_be_visible()  # nothing left in flight


async def test_the_dispatcher_queue_shows_a_queued_ticket_without_a_reload(open_as: Open, login: Login) -> None:
    """The city's dispatcher: a call whose place is unknown waits in the centre's queue, and appears there live."""
    dispatcher = await open_as("dispatcher")
    page = dispatcher.page
    await expect(page.locator(".live-conn")).to_have_text("实时")
    nowhere = {**NOISE_CALL, "content": "想问一下灵活就业怎么交社保", "address": "", "category_code": "SOCIAL_INS",
               "type": "consultation"}  # fmt: skip
    ticket = ok(await (await login("operator")).post("/api/tickets", json=nowhere), 201)
    assert ticket["state"] == "pending_dispatch"
    row = page.locator(f'#ticket-list [data-id="{ticket["id"]}"]')
    await expect(row).to_have_class(re.compile(r"\bunread\b"), timeout=5000)
    await expect(page).to_have_title(re.compile(r"^\(1\) "))


async def test_the_grid_leader_handles_a_ticket_on_a_phone(browser: Browser, web_server: str, login: Login) -> None:
    phone = await phone_session(browser, web_server, "dh-s1-c1-g1-handler")
    page = phone.page
    try:
        await expect(page).to_have_url(re.compile(r"/grid$"))  # the 网格员's home is the phone page
        await expect(page.locator(".live-conn")).to_have_text("实时")
        ticket = ok(await (await login("operator")).post("/api/tickets", json=GRID_CALL), 201)
        card = page.locator(f'#m-cards [data-id="{ticket["id"]}"]')
        await expect(card).to_be_visible()  # arrived live
        await page.evaluate(NEXT_FRAME)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "grid-list-360x740.png"))

        await card.locator(".row-button").click()
        await expect(page.locator("#m-caller")).to_contain_text("138****1234")
        await page.click("#m-sign")
        await expect(page.locator("#m-contact")).to_be_visible()
        await page.select_option("#m-method", "visit")
        await page.fill("#m-contact-note", "上门核实")
        await page.click("#m-contact")
        await expect(page.locator(".trail-box")).to_contain_text("上门核实")
        await page.fill("#m-note", "已约店主明早整改排烟")
        await page.click("#m-add-note")
        await expect(page.locator(".trail-box")).to_contain_text("已约店主明早整改排烟")
        await page.fill("#m-result", "店主已加装油烟净化器，十点后停业")
        await page.evaluate(NEXT_FRAME)
        await page.screenshot(path=str(ARTIFACTS / "grid-ticket-360x740.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing off-screen
        await page.click("#m-complete")
        await expect(page.locator("#m-complete")).to_have_count(0)  # nothing left to do but wait for the review
        street = await login("dh-s1-dispatcher")
        assert ok(await street.get(f"/api/tickets/{ticket['id']}"))["state"] == "completed"
        assert phone.errors == []
    finally:
        await phone.context.close()


async def test_an_administrator_adds_a_webhook_and_sees_its_secret_once(open_as: Open, city: dict[str, int]) -> None:
    admin = await open_as("admin")
    page = admin.page
    await expect(page.locator("#hooks")).to_contain_text("尚未配置外部推送")
    await page.click("#hook-add-box summary")
    await page.fill("#hook-add .unit-filter", "柳岸社区")
    await page.select_option("#hook-add select[name=unit_id]", value=str(city["DH-S1-C1"]))
    await page.fill("#hook-add input[name=url]", "https://sms.example.gov.cn/hotline")
    await page.check("#hook-add input[value=urged]")
    await page.click("#hook-add button[type=submit]")
    await expect(page.locator("#hook-secret-value")).to_contain_text("whsec_")
    await expect(page.locator("#hooks tbody")).to_contain_text("派单、催办")
    await page.locator("#webhooks").scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "admin-webhooks-1366x768.png"))
    await page.reload()
    await expect(page.locator("#hooks tbody")).to_contain_text("sms.example.gov.cn")
    await expect(page.locator("#webhooks")).not_to_contain_text("whsec_")


async def test_the_callback_list_shows_a_reviewed_ticket_without_a_reload(open_as: Open, login: Login) -> None:
    """The operator's 回访 list: a ticket whose completion the street accepts arrives live, counted in the title."""
    operator = await open_as("operator")
    page = operator.page
    await operator.goto("/callbacks")
    await expect(page.locator(".live-conn")).to_have_text("实时")
    ticket = ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)
    path = f"/api/tickets/{ticket['id']}"
    handler = await login("dh-s1-c1-handler")
    ok(await handler.post(f"{path}/sign"))
    ok(await handler.post(f"{path}/contact", json={"method": "phone", "outcome": "reached"}))
    ok(await handler.post(f"{path}/complete", json={"result": "已协调店主十点后停业"}))
    ok(await (await login("dh-s1-dispatcher")).post(f"{path}/completion-review", json={"approve": True}))
    row = page.locator(f'#ticket-list [data-id="{ticket["id"]}"]')
    await expect(row).to_have_class(re.compile(r"\bunread\b"), timeout=5000)
    await expect(page).to_have_title(re.compile(r"^\(1\) "))
