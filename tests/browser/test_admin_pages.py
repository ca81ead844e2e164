"""Administration in the pages: a user created by the administrator changes the temporary password at the
first login and is refused at once when deactivated; the org tree takes a new street and a rename; the
responsibility table shows what is wrong with a rule and saves nothing until it is right."""

from __future__ import annotations

import contextlib
import re

import asyncpg
import pytest
from playwright.async_api import Browser, expect
from playwright.async_api import Error as PlaywrightError

from tests.support.api import Login, ok
from tests.support.browser import VIEWPORTS, Open, Session

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


async def test_a_new_user_changes_the_temporary_password_and_is_refused_once_deactivated(
    browser: Browser, open_as: Open, web_server: str, city: dict[str, int]
) -> None:
    admin = await open_as("admin")
    page = admin.page
    await admin.goto("/admin/users")
    form = page.locator("#new-user")
    await form.locator("input[name=username]").fill("li.na")
    await form.locator("input[name=display_name]").fill("李娜")
    await form.locator("select[name=role]").select_option("handler")
    await form.locator("select[name=unit_id]").select_option(str(city["DH-S1-C1"]))
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#temp-box")).to_be_visible()
    temporary = (await page.locator("#temp-password").inner_text()).strip()
    row = page.locator("#users tbody tr[data-user='li.na']")
    await expect(row.locator(".state")).to_have_text("待修改临时密码")
    await admin.screenshots("admin-users")

    context = await browser.new_context(viewport=VIEWPORTS["1366x768"], locale="zh-CN", timezone_id="Asia/Shanghai")
    user = Session(context, await context.new_page(), web_server)
    try:
        await user.goto("/login")
        await user.page.fill("#username", "li.na")
        await user.page.fill("#password", temporary)
        await user.page.click("#login-form button[type=submit]")
        await user.page.wait_for_url(re.compile(r"/account/password"))
        await expect(user.page.locator("#must-change")).to_be_visible()
        await user.goto("/inbox")  # nothing else until the password is changed
        await user.page.wait_for_url(re.compile(r"/account/password\?next=/inbox"))
        await user.page.fill("#current_password", temporary)
        await user.page.fill("#new_password", "12345678910")
        await user.page.fill("#repeat_password", "12345678910")
        await user.page.click("#password-form button[type=submit]")
        await expect(user.page.locator("#password-error")).to_contain_text("密码过于常见或简单")
        await user.screenshots("password-change-refused")
        await user.page.fill("#new_password", "Liuan-community-7")
        await user.page.fill("#repeat_password", "Liuan-community-7")
        await user.page.click("#password-form button[type=submit]")
        await user.page.wait_for_url(re.compile(r"/inbox$"))
        await expect(user.page.locator(".who-name")).to_have_text("李娜")

        # the list again, as the administrator reads it: 查询 until the change shows (CI once saw one click and no
        # re-read in 30 s, on a machine the other xdist worker shared)
        for _ in range(10):
            await page.locator("#user-filter button[type=submit]").click()
            with contextlib.suppress(AssertionError):
                await expect(row.locator(".state")).to_have_text("在用", timeout=3_000)
                break
        await expect(row.locator(".state")).to_have_text("在用")
        await row.get_by_role("button", name="停用").click()
        await page.locator("dialog.dialog button[type=submit]").click()
        await expect(row.locator(".state")).to_have_text("已停用")
        await expect(row).to_have_class(re.compile(r"\binactive\b"))

        # the open session is refused at once: the inbox's live socket is closed and sends the page to the login
        # (that navigation may race the reload, which then reports no page), and a reload is refused too
        with contextlib.suppress(PlaywrightError):
            await user.page.reload()
        await user.page.wait_for_url(re.compile(r"/login\?next=(/|%2F)inbox"))
        assert not user.errors
    finally:
        await context.close()


async def test_the_org_tree_takes_a_new_street_and_a_rename(open_as: Open, pool: asyncpg.Pool) -> None:
    admin = await open_as("admin")
    page = admin.page
    await admin.goto("/admin/org")
    district = page.locator(".org-unit[data-code='DH']")
    await district.locator("button[data-action=add]").click()
    dialog = page.locator("dialog.dialog")
    await dialog.locator("select[name=level]").select_option("street")
    await dialog.locator("input[name=code]").fill("DH-S9")
    await dialog.locator("input[name=name]").fill("新城街道")
    await dialog.locator("button[type=submit]").click()
    street = page.locator(".org-unit[data-code='DH-S9']")
    await expect(street).to_contain_text("新城街道")
    await street.locator("button[data-action=rename]").click()
    await dialog.locator("input[name=name]").fill("新城新区街道")
    await dialog.locator("button[type=submit]").click()
    await expect(street).to_contain_text("曾用名 新城街道")
    await expect(street.locator(".unit-name")).to_have_text("新城新区街道")
    await page.fill("#org-filter", "新城")
    await admin.screenshots("admin-org-tree")
    assert await pool.fetchval("SELECT name FROM units WHERE code = 'DH-S9'") == "新城新区街道"
    assert [
        r["action"] for r in await pool.fetch("SELECT action FROM audit_log WHERE target = 'DH-S9' ORDER BY id")
    ] == [
        "unit.create",
        "unit.update",
    ]


async def test_an_invalid_rule_is_shown_and_not_saved(open_as: Open, login: Login) -> None:
    admin = await open_as("admin")
    page = admin.page
    await admin.goto("/admin/org")
    await page.locator("#rules-category").select_option("NOISE")
    rows = page.locator("#rules-table tbody tr.rule")
    await expect(rows.first).to_be_visible()
    before = ok(await (await login("admin")).get("/api/admin/rules?category=NOISE"))["items"]
    await page.click("#add-rule")
    added = rows.last
    await added.locator("select[name=level]").select_option("department")
    await added.locator("input[name=owner_kind]").fill("环保局")
    await page.click("#check-rules")
    problem = f"第 {await rows.count()} 行：没有类型(kind)为「环保局」的区直部门"
    await expect(page.locator("#rules-problems li")).to_have_text([problem])
    await page.click("#save-rules")
    await expect(page.locator("#rules-problems li")).to_have_text([problem])
    await admin.screenshots("admin-rules-invalid")
    assert ok(await (await login("admin")).get("/api/admin/rules?category=NOISE"))["items"] == before

    await added.locator("input[name=owner_kind]").fill("城管局")
    await added.locator("input[name=priority]").fill("77")
    await page.click("#save-rules")
    await expect(page.locator("#rules-problems li")).to_have_count(0)
    saved = ok(await (await login("admin")).get("/api/admin/rules?category=NOISE"))["items"]
    assert {
        "level": "department",
        "owner_kind": "城管局",
        "owner_unit_code": "",
        "co_handlers": "",
        "priority": "77",
    } in saved
