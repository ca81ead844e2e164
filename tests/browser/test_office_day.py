"""A working day at the office through the pages (issue 13): the 回访 workbench, supervision both ways, appeals,
co-handling, the knowledge base at work and the leaders' hotline days, each walked by the role that does it.
Screenshots at 1366×768 (and 1920×1080) in tests/artifacts/."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.async_api import expect

from hotline.settings import Settings
from tests.support.api import Login
from tests.support.browser import Open
from tests.support.calls import NOISE_CALL
from tests.support.office import reviewed_ticket, signed_ticket

pytestmark = pytest.mark.browser


async def test_operator_calls_back(city: dict[str, int], open_as: Open, login: Login) -> None:
    operator, handler, street = (
        await login("operator"),
        await login("dh-s1-c1-handler"),
        await login("dh-s1-dispatcher"),
    )
    unhappy = await reviewed_ticket(operator, handler, street, "13912342001")
    happy = await reviewed_ticket(operator, handler, street, "13912342002")

    desk = await open_as("operator")
    page = desk.page
    await page.click('nav a[href="/callbacks"]')
    await expect(page).to_have_url(re.compile("/callbacks$"))
    await expect(page.locator("#n-callbacks")).to_have_text("2")
    rows = page.locator(".ticket-row")
    await expect(rows.first).to_have_attribute("data-id", str(unhappy))  # the longest waiting first
    await expect(rows.first.locator(".row-waited")).to_contain_text("已等待")
    await expect(rows.first.locator(".countdown")).to_have_text(re.compile("^剩 "))  # the callback's own clock
    await expect(page.locator("#completion-result")).to_contain_text("22点前停止营业")
    await desk.screenshots("callbacks")

    # dissatisfied: the reason is required, then the ticket goes back to the community (重办)
    await page.check("input[name=resolved][value=no]")
    await page.check("input[name=satisfaction][value=dissatisfied]")
    await page.click("#callback-save")
    await expect(page.locator("textarea[name=note]")).to_be_focused()
    await page.fill("textarea[name=note]", "烧烤店仍营业到凌晨两点")
    await page.click("#callback-save")
    await expect(page.locator("#n-callbacks")).to_have_text("1")
    await expect(rows.first).to_have_attribute("data-id", str(happy))
    await page.click("#callback-save")  # satisfied, the defaults
    await expect(page.locator("#n-callbacks")).to_have_text("0")
    await expect(page.locator("#all-done")).to_be_visible()

    community = await open_as("dh-s1-c1-handler")
    row = community.page.locator(".ticket-row", has_text="重办：烧烤店仍营业到凌晨两点")
    await expect(row).to_be_visible()
    await row.locator("button.row-button").click()
    await expect(community.page.locator("#reopen-reason")).to_contain_text("烧烤店仍营业到凌晨两点")

    board = await open_as("supervisor")
    await expect(board.page.locator("#cb-rate")).to_have_text("100.0%")
    await expect(board.page.locator("#cb-satisfaction")).to_have_text("50.0%")
    await board.screenshots("board-callbacks")


async def test_supervision_both_ways(city: dict[str, int], open_as: Open, login: Login) -> None:
    operator, handler = await login("operator"), await login("dh-s1-c1-handler")
    tid = await signed_ticket(operator, handler, "13912342101")

    board = await open_as("dh-supervisor")
    row = board.page.locator(f'#countdown li[data-ticket="{tid}"]').first
    await row.locator("button", has_text="督办").click()
    await board.page.fill("dialog textarea[name=reason]", "群众反映强烈，请今日答复")
    await board.page.click("dialog button[type=submit]")
    await row.locator("button", has_text="催办").click()
    await board.page.fill("dialog textarea[name=text]", "请加快办理")
    await board.page.click("dialog button[type=submit]")
    orders = board.page.locator("#orders-issued .order-item")
    await expect(orders).to_have_count(1)
    await expect(orders.first).to_contain_text("待答复")

    community = await open_as("dh-s1-c1-handler")
    page = community.page
    await expect(page.locator("#n-orders-open")).to_have_text("1")
    await expect(page.locator("#urges")).to_contain_text("请加快办理")
    await expect(page.locator("#orders-received")).to_contain_text("群众反映强烈，请今日答复")
    await community.screenshots("inbox-orders")
    await page.click("#orders-received .answer-order")
    await page.fill("dialog textarea[name=answer]", "已约谈店主，限期整改")
    await page.click("dialog button[type=submit]")
    await expect(page.locator("#n-orders-open")).to_have_text("0")
    await expect(page.locator("#orders-received")).to_contain_text("已约谈店主，限期整改")

    # the board follows without a reload: the answer waits for review, the supervisor closes the order
    await expect(board.page.locator("#n-orders-review")).to_have_text("1")
    await expect(orders.first).to_contain_text("已约谈店主")
    await board.screenshots("board-orders")
    await orders.first.locator(".close-order").click()
    await board.page.click("dialog button[type=submit]")
    await expect(board.page.locator("#n-orders-review")).to_have_text("0")
    await expect(board.page.locator("#orders-issued .order-item")).to_have_count(0)


async def test_appeal_filed_and_decided(city: dict[str, int], open_as: Open, login: Login) -> None:
    operator, handler, street = (
        await login("operator"),
        await login("dh-s1-c1-handler"),
        await login("dh-s1-dispatcher"),
    )
    tid = await reviewed_ticket(operator, handler, street, "13912342201")
    unhappy = {"reached": True, "resolved": False, "satisfaction": "dissatisfied", "note": "要求店铺关停"}
    await operator.post(f"/api/tickets/{tid}/callback", json=unhappy)

    community = await open_as("dh-s1-c1-handler")
    page = community.page
    await expect(page.locator("#reopen-reason")).to_contain_text("要求店铺关停")  # the reopened ticket opens first
    await page.click("#file-appeal")
    await page.select_option("dialog select[name=kind]", "dissatisfied")
    await page.fill("dialog textarea[name=reason]", "诉求超出政策范围，店铺合法经营")
    await page.fill("dialog textarea[name=attachments]", "营业执照复印件\n现场照片三张")
    await page.click("dialog button[type=submit]")
    item = page.locator("#ticket-appeals .appeal-item")
    await expect(item).to_contain_text("待裁定")
    await expect(item.locator(".attachments li")).to_have_count(2)

    supervisor = await open_as("dh-supervisor")
    await supervisor.page.click('nav a[href="/appeals"]')
    row = supervisor.page.locator("#appeal-queue tbody tr").first
    await expect(row).to_contain_text("诉求超出政策范围")
    await expect(row).to_contain_text("现场照片三张")
    await supervisor.screenshots("appeals")
    await row.locator(".approve").click()
    await supervisor.page.fill("dialog textarea[name=note]", "诉求不合理，不计入考核")
    await supervisor.page.click("dialog button[type=submit]")
    await expect(supervisor.page.locator("#n-pending")).to_have_text("0")
    await supervisor.page.click('[data-filter="all"]')
    await expect(supervisor.page.locator("#appeal-queue .outcome").first).to_have_text(
        "申诉成立：诉求不合理，不计入考核"
    )

    await page.click("#refresh")
    await page.locator(f'.ticket-row[data-id="{tid}"] button.row-button').click()
    await expect(page.locator("#ticket-appeals .appeal-outcome")).to_contain_text("申诉成立，诉求不合理")

    # the ticket page places the same sections: the reopen reason, the appeal's outcome, the knowledge base
    await community.goto(f"/tickets/{tid}")
    await expect(page.locator("#sec-reopen")).to_contain_text("要求店铺关停")
    await expect(page.locator("#sec-appeal-filing .appeal-outcome")).to_contain_text("申诉成立")
    await expect(page.locator("#sec-kb summary")).to_contain_text("知识库")


async def test_co_handling(city: dict[str, int], open_as: Open, login: Login) -> None:
    operator = await login("operator")
    queued = {"type": "complaint", "content": "晚上太吵了，睡不着，请派人看看", "category_code": "NOISE"}
    tid = (await operator.post("/api/tickets", json=queued)).json()["id"]

    desk = await open_as("dispatcher")
    page = desk.page
    await expect(page.locator("#ticket-content")).to_have_text(queued["content"])
    await page.locator(".unit-filter").fill("柳岸")
    await page.select_option("select[name=unit_id]", str(city["DH-S1-C1"]))
    await page.select_option("#co-units", [str(city["DH-CG"])])
    await desk.screenshots("queue-co-units")
    await page.click("#assign")
    await expect(page.locator("#n-queue")).to_have_text("0")

    co = await open_as("dh-cg-handler")
    page = co.page
    row = page.locator(f'#cohandling-list .ticket-row[data-id="{tid}"]')
    await expect(row).to_contain_text("协办中")
    await row.locator("button.row-button").click()
    await page.fill("textarea[name=co_note]", "已派执法队员到场")
    await page.click("#co-note")
    await expect(page.locator("#co-parts")).to_contain_text("已派执法队员到场")
    await page.fill("textarea[name=co_result]", "已责令烧烤店撤除露天炉具")
    await page.click("#co-done")
    await expect(page.locator("#co-parts .co-result")).to_have_text("协办结果：已责令烧烤店撤除露天炉具")
    await expect(page.locator("#co-part-form")).to_have_count(0)
    await co.screenshots("inbox-co-handling")

    lead = await open_as("dh-s1-c1-handler")
    await expect(lead.page.locator("#co-parts")).to_contain_text("协办完成")
    await expect(lead.page.locator("#co-parts")).to_contain_text("已责令烧烤店撤除露天炉具")
    await expect(lead.page.locator("#co-open")).to_have_count(0)  # nothing left open before completing


async def test_knowledge_base_at_work(city: dict[str, int], open_as: Open, login: Login) -> None:
    operator, handler = await login("operator"), await login("dh-s1-c1-handler")
    await signed_ticket(operator, handler, "13912342301")

    community = await open_as("dh-s1-c1-handler")
    page = community.page
    await page.click("#ticket-kb summary")
    await page.fill("#ticket-kb-q", "噪音 投诉")
    await page.click("#ticket-kb-search button[type=submit]")
    first = page.locator("#ticket-kb-results .kb-hit").first
    await expect(first).to_be_visible()
    title = await first.locator("strong").inner_text()
    await first.locator(".kb-link").click()
    await expect(page.locator("#kb-linked")).to_contain_text(title)
    await expect(page.locator(".trail")).to_contain_text("引用知识库答复")
    await community.screenshots("inbox-kb")

    admin = await open_as("admin")
    page = admin.page
    await page.fill("#kb-q", "噪音 投诉")
    await page.click("#kb-search button")
    hit = page.locator("#kb-results .kb", has_text=title)
    await hit.locator(".kb-edit").click()
    await page.fill("dialog input[name=title]", "夜间噪音投诉办理须知")
    await page.click("dialog button[type=submit]")
    await expect(page.locator("#kb-results")).to_contain_text("夜间噪音投诉办理须知")
    await admin.screenshots("admin-kb-edit")


async def test_leaders_hotline_day(city: dict[str, int], open_as: Open, settings: Settings) -> None:
    today = datetime.now(settings.tz).date().isoformat()
    supervisor = await open_as("dh-supervisor")
    page = supervisor.page
    await page.click('nav a[href="/service-days"]')
    await page.select_option("#day-unit", str(city["DH-HB"]))
    await page.fill("#day-form input[name=leader]", "李清 局长")
    await page.fill("#day-form input[name=day]", today)
    await page.fill("#day-form input[name=start]", "00:00")
    await page.fill("#day-form input[name=end]", "23:59")
    await page.fill("#day-form input[name=topic]", "噪声与油烟污染")
    await page.click("#schedule-day")
    await expect(page.locator("#days .service-day-box")).to_contain_text("东湖区生态环境分局 · 李清 局长")

    operator = await open_as("operator")
    console = operator.page
    await expect(console.locator("#service-day")).to_contain_text("李清 局长")
    await console.fill("#content", NOISE_CALL["content"])
    await console.fill("#address", NOISE_CALL["address"])
    await console.fill("#caller_phone", "13912342401")
    await console.check("input[name=type][value=complaint]")
    await console.locator("#content").press("Control+Enter")
    number = await console.locator("#created-number").inner_text()
    await expect(console.locator("#service-day .service-day-calls")).to_contain_text(number)
    await operator.screenshots("console-service-day")

    await page.reload()
    await expect(page.locator("#days .day-outcomes")).to_have_text(re.compile("^来电 1 件"))
    await supervisor.screenshots("service-days")
    await supervisor.goto(f"/reports/monthly/document?month={today[:7]}")
    await expect(page.locator("#service-days")).to_contain_text(number)
