"""Finding a ticket in the pages: the operator sees the caller's open tickets while they are on the line; 东湖区's
dispatcher finds a ticket by two words and opens its page (the chain hop by hop, clocks counting down, the
trail); the community handler signs for it right there; a citizen checks its progress on the public page
without logging in, and sees no personal data."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.support.api import Login, ok
from tests.support.browser import VIEWPORTS, Open, screenshots

pytestmark = pytest.mark.browser

CALL = {  # auto-dispatched down to 柳岸社区 (东湖区 › 青山街道)
    "type": "complaint",
    "channel": "phone",
    "content": "柳岸花园北门的烧烤摊油烟扰民，晚上十点以后还在营业，熏得没法开窗。",
    "address": "东湖区青山街道柳岸花园5栋",
    "caller_phone": "13812341234",
    "caller_name": "王建国",
    "category_code": "NOISE",
}


async def test_search_opens_the_ticket_page_and_a_citizen_checks_progress(
    city: dict[str, int], login: Login, open_as: Open, browser: Browser, web_server: str
) -> None:
    """Operator: the caller's two open tickets beside the form. District dispatcher: 烧烤 油烟 finds the ticket,
    its page shows 云川市 → 东湖区 → 青山街道 → 柳岸社区 and a running countdown, no buttons to press. Community
    handler: 签收 on the ticket page. Citizen: stage and level by number and last four digits, nothing else."""
    operator_api = await login("operator")
    ticket = ok(await operator_api.post("/api/tickets", json=CALL), 201)
    lift = {**CALL, "content": "柳岸花园5栋电梯坏了一周没人修。"}
    other = ok(await operator_api.post("/api/tickets", json=lift), 201)

    operator = await open_as("operator")
    page = operator.page
    await page.fill("#caller_phone", "13812341234")
    panel = page.locator("#s-caller")
    await expect(panel.locator(".caller-ticket")).to_have_count(2)
    await expect(panel.locator(".caller-ticket", has_text=ticket["number"])).to_contain_text("现由柳岸社区办理")
    await expect(panel.locator(".caller-ticket").first).to_contain_text(other["number"])  # newest first
    await operator.screenshots("console-caller-tickets")

    district = await open_as("dh-dispatcher")
    page = district.page
    await page.click("nav a[href='/search']")
    await page.fill("#search-q", "烧烤 油烟")
    await page.click("#search-go")
    line = page.locator(".result-line")
    await expect(line).to_have_count(1)
    await expect(line).to_contain_text(ticket["number"])
    await expect(line).to_contain_text("138****1234")  # masked below the centre
    await district.screenshots("search-results")
    await line.locator("a").click()
    await page.wait_for_url(re.compile(rf"/tickets/{ticket['id']}$"))
    hops = page.locator("#sec-chain .hop-unit strong")
    await expect(hops).to_have_text(["云川市", "东湖区", "青山街道", "柳岸社区"])
    await expect(page.locator("#sec-chain .hop-unit.current")).to_contain_text("柳岸社区")
    await expect(page.locator("#sec-clocks .countdown").first).to_have_text(re.compile(r"^剩 "))
    await expect(page.locator("#sec-events .trail-item").first).to_contain_text("新建工单")
    await expect(page.locator("#ticket-caller")).to_contain_text("138****1234")
    await expect(page.locator("#ticket-actions")).to_contain_text("仅查看")
    await district.screenshots("ticket-page")

    handler = await open_as("dh-s1-c1-handler")
    page = handler.page
    await handler.goto(f"/tickets/{ticket['id']}")
    await page.click("#act-sign")
    await expect(page.locator("#sec-events .trail-item").last).to_contain_text("签收")
    await expect(page.locator("#act-sign")).to_have_count(0)

    outsider = await open_as("dh-s2-handler")  # another street: the ticket is not theirs to see
    await outsider.goto(f"/tickets/{ticket['id']}")
    await expect(outsider.page.locator("#ticket-loading")).to_have_text("找不到该工单，或您无权查看。")

    context = await browser.new_context(viewport=VIEWPORTS["1366x768"], locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        citizen = await context.new_page()
        errors: list[str] = []
        citizen.on("pageerror", lambda exc: errors.append(str(exc)))
        await citizen.goto(f"{web_server}/progress")
        await citizen.fill("#p-number", ticket["number"])
        await citizen.fill("#p-last4", "0000")
        await citizen.click("#p-go")
        await expect(citizen.locator("#p-error")).to_contain_text("未找到匹配的工单")
        await citizen.fill("#p-last4", "1234")
        await citizen.click("#p-go")
        result = citizen.locator("#p-result")
        await expect(result).to_contain_text("承办单位办理中")
        await expect(result).to_contain_text("东湖区 · 社区")
        for private in ("柳岸", "王", "138", "烧烤"):
            await expect(result).not_to_contain_text(private)
        await screenshots(citizen, "public-progress")
        assert errors == []
    finally:
        await context.close()
