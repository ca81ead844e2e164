"""A whole day at the hotline office in the pages (issue 13, "Done when"): one call from the console to the
satisfied callback, every role in a browser session of its own, every step seen live by the others.

Roles and what each sees of the caller:
- the operator of the hotline centre (`operator`, 话务台 then 回访, 1366×768) takes the call in the console form
  and calls back; the centre sees the caller's name and full number (asserted on 回访);
- the 网格员 of 柳岸社区第一网格 (`dh-s1-c1-g1-handler`, 掌上办理 on a 360×740 phone) gets the ticket by
  auto-dispatch through 东湖区 → 青山街道 → 柳岸社区, signs, contacts within the reply clock, answers the supervision
  order, completes twice; sees the caller masked, 赵** 139****3001 (asserted), never the full name or number;
- the co-unit 东湖区生态环境分局 (`dh-hb-handler`, 承办工单), named by the responsibility table for a noise call at
  grid level, records its part (进展, 协办完成); sees the number masked too (asserted in its 协办 list);
- 青山街道's dispatcher (`dh-s1-dispatcher`, 派单审核), the level that reviews the grid's completions, accepts
  both; sees the number masked, behind 查看号码 (a logged read), like every unit;
- 东湖区's supervisor (`dh-supervisor`, 督办大屏) urges and issues a 督办单 from the board and closes it once
  answered; the board carries no personal data at all.

"Live" means asserted with `expect` on a page that was open before the event, with no reload or navigation in
between (5 s bound, as tests/live allows on a loaded host). Screenshots in tests/artifacts/full-day-*.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.browser import ARTIFACTS, NEXT_FRAME, Open, phone_session

pytestmark = pytest.mark.browser

LIVE = 5000  # ms: a live update on a loaded 2-core host (within a second when idle)
PHONE_NUMBER = "13912343001"
CALL = {
    "content": "水岸名都一期3栋楼下的烧烤店每天营业到凌晨两点，油烟和噪音很大，老人孩子都睡不着，希望尽快处理。",
    "address": "东湖区青山街道水岸名都一期3栋",
}


async def phone_shot(page: Page, name: str) -> None:
    await page.evaluate(NEXT_FRAME)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"full-day-{name}-360x740.png"), full_page=True)


async def test_a_whole_day_from_the_call_to_the_satisfied_callback(
    city: dict[str, int], browser: Browser, web_server: str, open_as: Open
) -> None:
    # Everyone is at their page before the phone rings.
    grid = await phone_session(browser, web_server, "dh-s1-c1-g1-handler")
    try:
        await day(city, grid.page, open_as)
        assert grid.errors == []
    finally:
        await grid.context.close()


async def day(city: dict[str, int], phone: Page, open_as: Open) -> None:
    co, street, board, desk = (
        await open_as("dh-hb-handler"),
        await open_as("dh-s1-dispatcher"),
        await open_as("dh-supervisor"),
        await open_as("operator"),
    )
    for page in (phone, co.page, street.page):
        await expect(page.locator(".live-conn")).to_have_text("实时")
    await expect(board.page.locator("#conn")).to_have_text("实时")
    await street.page.click('[data-tab="reviews"]')

    # 08:30 the operator takes the call in the console form
    console = desk.page
    await console.fill("#caller_phone", PHONE_NUMBER)
    await console.fill("#caller_name", "赵女士")
    await console.check("input[name=type][value=complaint]")
    await console.fill("#address", CALL["address"])
    await console.fill("#content", CALL["content"])
    await console.select_option("#category_code", "NOISE")
    await expect(console.locator("#s-routing")).to_contain_text("柳岸社区第一网格")
    await console.locator("#content").press("Control+Enter")
    number = await console.locator("#created-number").inner_text()
    await desk.screenshots("full-day-console")

    # auto-dispatched to the grid: the 网格员's phone, the co-unit's 协办 list and the board, all live
    card = phone.locator("#m-cards .m-card", has_text=number)
    await expect(card).to_have_class(re.compile(r"\bunread\b"), timeout=LIVE)
    tid = await card.get_attribute("data-id")
    await expect(card.locator(".m-due")).to_have_text(re.compile("^剩 "))  # the reply clock runs
    co_row = co.page.locator(f'#cohandling-list .ticket-row[data-id="{tid}"]')
    await expect(co_row).to_contain_text("协办中", timeout=LIVE)
    await expect(co_row.locator(".row-caller")).to_have_text("赵** 139****3001")
    await expect(co.page).to_have_title(re.compile(r"^\(1\) "))
    board_rows = board.page.locator(f'#countdown li[data-ticket="{tid}"]')  # one per running clock
    board_row = board_rows.first
    await expect(board_row).to_be_visible(timeout=LIVE)
    await phone_shot(phone, "grid-new")

    # the operator moves to the 回访 workbench, where the ticket will come back
    await console.click('nav a[href="/callbacks"]')
    callbacks = console.locator("#ticket-list")
    await expect(console.locator(".live-conn")).to_have_text("实时")
    await expect(console.locator("#n-callbacks")).to_have_text("0")

    # the district's supervisor urges and issues a 督办单 from the board; the grid's phone shows both, live
    await board_row.locator("button", has_text="催办").click()
    await board.page.fill("dialog textarea[name=text]", "群众多次来电，请今天上门")
    await board.page.click("dialog button[type=submit]")
    await board_row.locator("button", has_text="督办").click()
    await board.page.fill("dialog textarea[name=reason]", "夜间油烟噪音反映强烈，请今日答复")
    await board.page.click("dialog button[type=submit]")
    await expect(phone.locator("#urges")).to_contain_text("群众多次来电，请今天上门", timeout=LIVE)
    await expect(phone.locator("#orders-received")).to_contain_text("夜间油烟噪音反映强烈", timeout=LIVE)
    await expect(phone.locator("#n-orders-open")).to_have_text("1")
    await phone_shot(phone, "grid-orders")
    await phone.click("#orders-received .answer-order")
    await phone.fill("dialog textarea[name=answer]", "已约店主今晚到场，限期整改排烟")
    await phone.click("dialog button[type=submit]")
    await expect(phone.locator("#n-orders-open")).to_have_text("0")
    orders = board.page.locator("#orders-issued .order-item")
    await expect(board.page.locator("#n-orders-review")).to_have_text("1", timeout=LIVE)
    await expect(orders.first).to_contain_text("已约店主今晚到场")
    await board.screenshots("full-day-board-order-answered")
    await orders.first.locator(".close-order").click()
    await board.page.click("dialog button[type=submit]")
    await expect(board.page.locator("#n-orders-review")).to_have_text("0")

    # the 网格员 opens the ticket: the number masked; signs and contacts within the reply clock
    await card.locator(".row-button").click()
    await expect(phone.locator("#m-caller")).to_have_text("赵** 139****3001")
    reply_clock = phone.locator(".clocks .clock", has_text="回复")
    await expect(reply_clock.locator(".countdown")).to_have_text(re.compile("^剩 "))
    await phone.click("#m-sign")
    await phone.select_option("#m-method", "visit")
    await phone.fill("#m-contact-note", "上门核实，店主在场")
    await phone.click("#m-contact")
    await expect(phone.locator(".trail-box")).to_contain_text("上门核实，店主在场")
    await expect(reply_clock).to_have_count(0)  # met: the 1-hour reply is done
    await expect(phone.locator("#co-open")).to_contain_text("东湖区生态环境分局")

    # the co-unit records its part in its inbox; the 网格员's open ticket shows it, live
    await co_row.locator("button.row-button").click()
    await co.page.fill("textarea[name=co_note]", "已派执法队员夜查")
    await co.page.click("#co-note")
    await expect(co.page.locator("#co-parts")).to_contain_text("已派执法队员夜查")
    await co.page.fill("textarea[name=co_result]", "已对烧烤店油烟超标下达整改通知")
    await co.page.click("#co-done")
    await expect(co.page.locator("#co-part-form")).to_have_count(0)
    await co.screenshots("full-day-co-unit")
    await expect(phone.locator("#co-parts .co-result")).to_have_text(
        "协办结果：已对烧烤店油烟超标下达整改通知", timeout=LIVE
    )
    await expect(phone.locator("#co-open")).to_have_count(0)

    # the 网格员 completes; the street's review list shows it, live; the street accepts
    await phone.fill("#m-result", "店主已加装油烟净化器，承诺22点后停止营业")
    await phone_shot(phone, "grid-ticket")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing off-screen
    await phone.click("#m-complete")
    await expect(phone.locator("#m-complete")).to_have_count(0)
    await accept_completion(street.page, tid, "店主已加装油烟净化器")

    # the 回访 list shows it, live; the caller is dissatisfied
    row = callbacks.locator(f'.ticket-row[data-id="{tid}"]')
    await expect(row).to_have_class(re.compile(r"\bunread\b"), timeout=LIVE)
    await row.locator("button.row-button").click()
    await expect(console.locator("#ticket-caller")).to_have_text(f"赵女士 {PHONE_NUMBER}")  # the centre sees it all
    await console.check("input[name=resolved][value=no]")
    await console.check("input[name=satisfaction][value=dissatisfied]")
    await console.fill("textarea[name=note]", "凌晨仍有油烟味，要求彻底整改")
    await desk.screenshots("full-day-callback")
    await console.click("#callback-save")
    await expect(console.locator("#all-done")).to_be_visible()

    # 重办: the reopened ticket is back on the phone with the caller's reason, live
    await phone.click("#m-back")
    await expect(card).to_contain_text("重办：凌晨仍有油烟味，要求彻底整改", timeout=LIVE)
    await expect(card).to_have_class(re.compile(r"\bunread\b"))
    await card.locator(".row-button").click()
    await expect(phone.locator("#reopen-reason")).to_contain_text("凌晨仍有油烟味，要求彻底整改")
    await phone.click("#m-sign")
    await phone.fill("#m-contact-note", "再次上门，厨房排烟管道已改造")
    await phone.click("#m-contact")
    await expect(phone.locator(".trail-box")).to_contain_text("再次上门")
    await phone.fill("#m-result", "排烟管道改至楼顶，夜间不再营业，诉求人已确认")
    await phone_shot(phone, "grid-reopened")
    await phone.click("#m-complete")
    await expect(phone.locator("#m-complete")).to_have_count(0)
    await accept_completion(street.page, tid, "排烟管道改至楼顶")

    # back on 回访, live; satisfied closes it, and the board follows
    await expect(row).to_be_visible(timeout=LIVE)
    await row.locator("button.row-button").click()
    await expect(console.locator("#completion-result")).to_contain_text("排烟管道改至楼顶")
    await console.click("#callback-save")  # satisfied, the defaults
    await expect(console.locator("#all-done")).to_be_visible()
    await expect(board_rows).to_have_count(0, timeout=LIVE)
    await expect(board.page.locator("#cb-rate")).to_have_text("100.0%", timeout=LIVE)
    await board.screenshots("full-day-board-closed")
    await expect(co_row).to_contain_text("已办结", timeout=LIVE)  # the co-unit's list follows the ticket to the end


async def accept_completion(page: Page, tid: str | None, result: str) -> None:
    """青山街道's dispatcher, on 退单/办结待审 since the morning: the completion arrives live and is accepted."""
    row = page.locator(f'#ticket-list .ticket-row[data-id="{tid}"]')
    await expect(row).to_have_class(re.compile(r"\bunread\b"), timeout=LIVE)
    await expect(page.locator("#n-reviews")).to_have_text("1")
    await row.locator("button.row-button").click()
    await expect(page.locator(".decisions .quote")).to_contain_text(result)
    await page.click("#accept-completion")
    await expect(page.locator("#n-reviews")).to_have_text("0")
