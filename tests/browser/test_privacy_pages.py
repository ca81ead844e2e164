"""Personal data in the pages: the operator marks a call confidential (保密, ticked for a 举报), the department
handler sees no caller on it and reveals a masked number on another (查看号码), and the administrator finds
that reveal in the privacy log (个人信息查阅记录).
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.support.browser import Open

pytestmark = pytest.mark.browser

WITHHELD = "保密（仅热线中心可见）"
TICKET_NUMBER = re.compile(r"^\d{15}$")


async def _take_call(page: Page, kind: str, content: str) -> str:
    """The operator takes a wage complaint from 王建国 at 东湖区东风路18号; the new ticket's number."""
    await page.check(f"input[name=type][value={kind}]")
    await page.fill("#content", content)
    await page.fill("#address", "东湖区东风路18号")
    await page.fill("#caller_phone", "13812341234")
    await page.fill("#caller_name", "王建国")
    await page.select_option("#category_code", "WAGES")
    before = await page.locator("#created-number").all_inner_texts()  # the call before's result, if any
    await page.locator("#content").press("Control+Enter")
    await expect(page.locator("#created-number")).to_have_text(TICKET_NUMBER)
    if before:
        await expect(page.locator("#created-number")).not_to_have_text(before[0])
    return await page.locator("#created-number").inner_text()


async def test_confidential_calls_reach_the_department_without_a_caller_and_reveals_are_logged(
    city: dict[str, int], open_as: Open
) -> None:
    """Operator: 举报 ticks 保密 by itself; a 投诉 does not. Department handler (sees_phone): the confidential ticket
    shows no name, number or address and no 查看号码; the other shows 138****1234 until 查看号码. Admin: the
    reveal is in the privacy log, found by user."""
    operator = await open_as("operator")
    page = operator.page
    await page.check("input[name=type][value=report]")
    await expect(page.locator("#confidential")).to_be_checked()
    secret = await _take_call(page, "report", "东风路一家装修公司长期拖欠工资，还雇用童工，我要举报。")
    await expect(page.locator("#created-confidential")).to_have_text("保密")
    await page.check("input[name=type][value=complaint]")
    await expect(page.locator("#confidential")).not_to_be_checked()
    plain = await _take_call(page, "complaint", "东风路一家装修公司拖欠我三个月工资，请帮忙讨薪。")
    await expect(page.locator("#created-confidential")).to_have_count(0)

    handler = await open_as("dh-rs-handler")
    page = handler.page
    secret_row = page.locator(".ticket-row", has_text=secret)
    await expect(secret_row.locator(".badge.confidential")).to_have_text("保密")
    await expect(secret_row.locator(".row-caller")).to_have_text(WITHHELD)
    await expect(secret_row.locator("button.reveal")).to_have_count(0)
    await secret_row.locator("button.row-button").click()
    await expect(page.locator("#ticket-confidential")).to_be_visible()
    await expect(page.locator("#ticket-caller")).to_have_text(WITHHELD)
    await expect(page.locator("#ticket-address")).to_have_text(WITHHELD)
    await expect(page.locator("#detail button.reveal")).to_have_count(0)

    plain_row = page.locator(".ticket-row", has_text=plain)
    await expect(plain_row.locator(".row-caller")).to_have_text("王** 138****1234")
    await plain_row.locator("button.row-button").click()
    await expect(page.locator("#ticket-caller")).to_contain_text("王** 138****1234")
    await page.locator("#detail button.reveal").click()
    await expect(page.locator("#ticket-caller")).to_have_text("王建国 13812341234")
    await expect(page.locator("#ticket-address")).to_have_text("东湖区东风路18号")
    await plain_row.locator("button.reveal").click()  # the list reveals too, one row at a time
    await expect(plain_row.locator(".row-caller")).to_have_text("王建国 13812341234")
    await handler.screenshots("inbox-reveal")

    admin = await open_as("admin")
    page = admin.page
    await page.fill("#pii-filter input[name=user]", "dh-rs-handler")
    await page.click("#pii-filter button[type=submit]")
    rows = page.locator("#pii-reads tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text(plain)
    await expect(rows.first).to_contain_text("查看号码")
    await expect(rows.first).to_contain_text("东湖区人力资源和社会保障局")
    await expect(page.locator("#pii-reads")).not_to_contain_text(secret)
    await admin.screenshots("admin-privacy-log")
