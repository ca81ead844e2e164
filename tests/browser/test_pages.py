"""A call from the operator's console to the supervisor's board, through the pages people use.

The operator types a noise complaint and sees the suggestions; the community handler signs,
contacts the caller and completes it; the street dispatcher accepts the result; the
supervisor's board, open the whole time in another browser, follows every step without a reload.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.support.api import Login
from tests.support.browser import Open, screenshots

pytestmark = pytest.mark.browser

ADDRESS = "东湖区青山街道柳岸花园3栋"
CONTENT = "柳岸花园3栋楼下的烧烤店每天营业到凌晨两点，噪音很大，老人孩子都睡不着，希望尽快处理。"
NOISE = "噪音扰民"


async def test_a_call_from_console_to_board(city: dict[str, int], open_as: Open) -> None:
    board = await open_as("dh-supervisor")
    await expect(board.page).to_have_url(re.compile("/board$"))
    await expect(board.page.locator("#conn")).to_have_text("实时")
    await expect(board.page.locator('.tile[data-state="assigned"] .tile-n')).to_have_text("0")
    await board.page.evaluate("window.__sameBoard = true")

    # the operator types the call; suggestions follow the typing
    operator = await open_as("operator")
    page = operator.page
    await expect(page).to_have_url(re.compile("/console$"))
    await expect(page.locator("#content")).to_be_focused()
    await page.locator("#content").press_sequentially(CONTENT[:12], delay=15)
    await page.fill("#content", CONTENT)
    await page.fill("#address", ADDRESS)
    await page.fill("#caller_phone", "13812341234")
    await page.fill("#caller_name", "王建国")
    await page.check("input[name=type][value=complaint]")
    await expect(page.locator("#suggested-category")).to_have_text(NOISE)  # the demo model knows a noise call
    await expect(page.locator("#target-unit")).to_have_text("柳岸社区")
    await expect(page.locator("#resolved-place")).to_contain_text("柳岸社区")
    await expect(page.locator("#routing-reasons li").first).to_be_visible()
    await expect(page.locator("#s-kb .kb").first).to_be_visible()  # 晚上施工噪音扰民可以投诉吗
    await operator.screenshots("console")

    await page.locator("#content").press("Control+Enter")
    number = page.locator("#created-number")
    await expect(number).to_have_text(re.compile(r"^\d{15}$"))
    ticket_number = await number.inner_text()
    await expect(page.locator("#result")).to_contain_text("柳岸社区")
    await expect(page.locator("#content")).to_be_focused()  # ready for the next call
    await expect(page.locator("#content")).to_have_value("")

    # the board follows: one ticket waiting for the community to sign
    await expect(board.page.locator('.tile[data-state="assigned"] .tile-n')).to_have_text("1")
    await expect(board.page.locator("#countdown")).to_contain_text(ticket_number)

    # the community handler signs, records the contact, completes
    handler = await open_as("dh-s1-c1-handler")
    page = handler.page
    await expect(page).to_have_url(re.compile("/inbox$"))
    row = page.locator(".ticket-row", has_text=ticket_number)
    await expect(row).to_be_visible()
    await expect(row.locator(".countdown")).to_have_text(re.compile("^剩 "))
    await row.locator("button.row-button").click()
    await expect(page.locator("#ticket-content")).to_have_text(CONTENT)
    await expect(page.locator(".chain")).to_contain_text("柳岸社区")
    await page.click("#sign")
    await expect(page.locator(".detail-head .badge").first).to_have_text("已签收")
    await expect(board.page.locator('.tile[data-state="signed"] .tile-n')).to_have_text("1")
    await page.click("#contact")
    await expect(page.locator(".trail")).to_contain_text("联系诉求人")
    await page.fill("textarea[name=text]", "已到现场查看，烧烤店同意调整营业时间")
    await page.click("#note")
    await expect(page.locator(".trail")).to_contain_text("已到现场查看")
    await handler.screenshots("inbox")
    await page.fill("textarea[name=result]", "已责令烧烤店22点前停止营业，诉求人表示认可")
    await page.click("#complete")
    await expect(page.locator(".detail-head .badge").first).to_have_text("办结待审")
    await expect(board.page.locator('.tile[data-state="completed"] .tile-n')).to_have_text("1")
    await expect(board.page.locator('.tile[data-state="signed"] .tile-n')).to_have_text("0")

    # the street above reviews the completion
    street = await open_as("dh-s1-dispatcher")
    page = street.page
    await expect(page).to_have_url(re.compile("/queue$"))
    await page.click('[data-tab="reviews"]')
    await page.locator(".ticket-row", has_text=ticket_number).locator("button.row-button").click()
    await expect(page.locator(".quote")).to_contain_text("22点前停止营业")
    await street.screenshots("queue")
    await page.click("#accept-completion")
    await expect(page.locator(".detail-head .badge").first).to_have_text("待回访")
    await expect(board.page.locator('.tile[data-state="reviewed"] .tile-n')).to_have_text("1")

    assert await board.page.evaluate("window.__sameBoard") is True  # updated in place, never reloaded
    await board.screenshots("board")


async def test_user_input_is_shown_as_text(city: dict[str, int], open_as: Open, login: Login) -> None:
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>柳岸花园噪音'
    operator = await login("operator")
    created = await operator.post(
        "/api/tickets",
        json={
            "type": "complaint",
            "content": payload,
            "address": "柳岸花园<b>3栋</b>",
            "category_code": "NOISE",
            "caller_name": "<i>王</i>",
            "caller_phone": "13812341234",
        },
    )
    assert created.status_code == 201, created.text

    handler = await open_as("dh-s1-c1-handler")
    page = handler.page
    await expect(page.locator("#ticket-content")).to_have_text(payload)
    await expect(page.locator(".facts")).to_contain_text("柳岸花园<b>3栋</b>")
    await expect(page.locator(".ticket-row .row-summary").first).to_have_text(payload)
    assert await page.evaluate("window.__xss") is None
    assert await page.locator("#detail img, #detail script, #detail b").count() == 0

    console = await open_as("operator")
    page = console.page
    await page.fill("#address", "柳岸花园")
    await page.fill("#caller_phone", "13812341234")
    await page.fill("#content", payload)
    history = page.locator("#s-history .summary").first
    await expect(history).to_have_text(payload)
    assert await page.evaluate("window.__xss") is None
    assert await page.locator("#suggest img, #suggest script").count() == 0

    board = await open_as("dh-supervisor")
    first_row = board.page.locator("#countdown li").first
    await expect(first_row).to_have_attribute("data-ticket", str(created.json()["id"]))
    assert await board.page.evaluate("window.__xss") is None


async def test_unauthenticated_pages_go_to_login(
    city: dict[str, int], open_as: Open, browser: Browser, web_server: str
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    try:
        for path in ("/console", "/queue", "/inbox", "/board", "/admin"):
            await page.goto(web_server + path)
            await expect(page).to_have_url(re.compile(r"/login\?next=" + re.escape(path)))
        await screenshots(page, "login")
        await page.fill("#username", "dh-supervisor")
        await page.fill("#password", "wrong-password")
        await page.click("#login-form button[type=submit]")
        await expect(page.locator("#login-error")).to_have_text("用户名或密码不正确")
        await page.fill("#password", "demo12345")
        await page.click("#login-form button[type=submit]")
        await expect(page).to_have_url(re.compile("/admin$"))  # `next` wins, and the role is then refused
        await expect(page.locator("h1")).to_have_text("无权访问此页面")
        await page.click("#logout")
        await expect(page).to_have_url(re.compile("/login$"))
        await page.goto(web_server + "/board")
        await expect(page).to_have_url(re.compile(r"/login\?next="))
    finally:
        await context.close()

    admin = await open_as("admin")
    page = admin.page
    await expect(page.locator("#unit-tree")).to_contain_text("柳岸社区")
    await expect(page.locator("#categories tbody")).to_contain_text(NOISE)
    await page.fill("#kb-q", "社保 查询")
    await page.click("#kb-search button")
    await expect(page.locator("#kb-results")).to_contain_text("社保缴费记录怎么查询")
    await page.click("#kb-add-box summary")
    await page.fill("#kb-add input[name=title]", "<b>垃圾分类</b>投放时间")
    await page.fill("#kb-add textarea[name=answer]", "早 7 点至 9 点、晚 6 点至 8 点定时定点投放。")
    await page.fill("#kb-add input[name=keywords]", "垃圾分类，投放")
    await page.click("#kb-add button[type=submit]")
    await expect(page.locator("#kb-results")).to_contain_text("<b>垃圾分类</b>投放时间")
    await admin.screenshots("admin")


async def test_dispatcher_decides_queue_and_extension(city: dict[str, int], open_as: Open, login: Login) -> None:
    operator = await login("operator")
    no_place = {"type": "complaint", "content": "晚上太吵了，睡不着", "category_code": "NOISE"}
    vague = await operator.post("/api/tickets", json=no_place)
    assert vague.status_code == 201 and vague.json()["state"] == "pending_dispatch", vague.text
    queued = vague.json()
    clear = await operator.post("/api/tickets", json={"type": "complaint", "content": CONTENT, "address": ADDRESS})
    handler = await login("dh-s1-c1-handler")
    tid = clear.json()["id"]
    assert (await handler.post(f"/api/tickets/{tid}/sign")).status_code == 200
    ask = await handler.post(f"/api/tickets/{tid}/extension", json={"extra_days": 5, "reason": "需联合执法"})
    assert ask.status_code == 200, ask.text

    city_desk = await open_as("dispatcher")
    page = city_desk.page
    await expect(page.locator("#n-queue")).to_have_text("1")
    await expect(page.locator("#ticket-content")).to_have_text(queued["content"])  # the first one is opened
    await page.fill(".unit-filter", "东湖区")
    await page.select_option(".unit-select", label="东湖区（区）")
    await expect(page.locator("#assign-category")).to_have_value("NOISE")
    await page.select_option("#assign-category", label="环境污染")  # the dispatcher corrects the category
    await page.click("#assign")
    await expect(page.locator(".detail-head .badge").first).to_have_text("待签收")
    await expect(page.locator(".chain")).to_contain_text("东湖区")
    await expect(page.locator("#n-queue")).to_have_text("0")
    corrected = (await operator.get(f"/api/tickets/{queued['id']}")).json()
    assert (corrected["category_code"], corrected["category_source"]) == ("POLLUTION", "dispatcher")

    street = await open_as("dh-s1-dispatcher")
    page = street.page
    await page.click('[data-tab="extensions"]')
    await expect(page.locator("#n-extensions")).to_have_text("1")
    await page.locator(".ticket-row").first.locator("button.row-button").click()
    await expect(page.locator(".quote")).to_contain_text("申请延期 5 天")
    await page.click("#approve-extension")
    await expect(page.locator(".trail")).to_contain_text("同意延期")
    await expect(page.locator("#n-extensions")).to_have_text("0")


async def test_console_closes_on_the_spot_and_merges(city: dict[str, int], open_as: Open, login: Login) -> None:
    call = {"type": "complaint", "content": CONTENT, "address": ADDRESS, "caller_phone": "13812341234"}
    first = await (await login("operator")).post("/api/tickets", json=call)
    assert first.status_code == 201, first.text

    operator = await open_as("operator")
    page = operator.page
    await page.fill("#content", "我想问一下社保缴费记录怎么查询")
    entry = page.locator("#s-kb .kb", has_text="社保缴费记录怎么查询")
    await entry.locator("button", has_text="直接办结").click()
    await expect(page.locator("#result")).to_contain_text("已直接办结")
    await expect(page.locator("#result .badge")).to_have_text("直接办结")

    await page.fill("#caller_phone", "13812341234")
    await page.fill("#address", ADDRESS)
    await page.fill("#content", "烧烤店噪音又来了，还是凌晨两点")
    similar = page.locator("#s-similar li", has_text=first.json()["number"])
    await expect(similar).to_contain_text("同一来电人")
    await similar.locator("button", has_text="并单").click()
    await expect(page.locator("#result")).to_contain_text(f"已并入 {first.json()['number']}")
    await expect(page.locator("#result .badge")).to_have_text("已并单")
