"""The administrator marks a holiday in the year's calendar; the worker recomputes the running clocks and
the handler's page counts down to the moved deadline. Then the rules table refuses a bad limit on the
page itself, saving nothing."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from dispatch.calendar import Counting
from hotline.settings import Settings
from hotline.sla.rules import rules_from_settings
from tests.support.api import Login, ok
from tests.support.browser import Open
from tests.support.calls import NOISE_CALL
from tests.support.services import Processes

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shown(moment: datetime) -> str:
    """A moment as the pages print it (common.js fmtDateTime: zh-CN, the city's zone)."""
    return f"{moment.astimezone(SHANGHAI):%m/%d %H:%M}"


async def test_a_holiday_added_in_the_calendar_moves_the_deadline_on_the_handlers_page(
    city: dict[str, int], spawn: Processes, login: Login, open_as: Open, settings: Settings
) -> None:
    base = await spawn.web()
    await spawn.worker()
    ticket = ok(await (await login("operator", base)).post("/api/tickets", json=NOISE_CALL), 201)
    clocks = {d["track"]: d for d in ticket["deadlines"]}
    started = datetime.fromisoformat(clocks["complete"]["start_at"])
    due = datetime.fromisoformat(clocks["complete"]["due_at"])
    # a working day after the reply is due and before completion is: only the completion clock moves
    calendar = rules_from_settings(settings).calendar
    holiday = datetime.fromisoformat(clocks["reply"]["due_at"]).astimezone(SHANGHAI).date() + timedelta(days=1)
    while not calendar.is_working_day(holiday):
        holiday += timedelta(days=1)
    assert holiday < due.astimezone(SHANGHAI).date()
    with_holiday = dataclasses.replace(calendar, holidays=calendar.holidays | {holiday})
    moved = with_holiday.advance(started, timedelta(days=15), Counting.WORKING)
    assert moved > due

    handler = await open_as("dh-s1-c1-handler", base)
    row = handler.page.locator(".ticket-row", has_text=ticket["number"])
    await row.locator("button.row-button").click()
    clock = handler.page.locator(".clock", has_text=clocks["complete"]["rule_name"])
    await expect(clock).to_contain_text(f"截止 {shown(due)}")
    await expect(clock.locator(".countdown")).to_have_text(re.compile("^剩 "))

    admin = await open_as("admin", base)
    page = admin.page
    await admin.goto("/admin/sla")
    await expect(page.locator("#cal-year")).to_have_text(re.compile(r"^\d{4} 年$"))
    if await page.locator("#cal-year").inner_text() != f"{holiday.year} 年":
        await page.click("#next-year")
    day = page.locator(f'.day[data-date="{holiday.isoformat()}"]')
    await day.click()
    dialog = page.locator("dialog.dialog")
    await dialog.locator("select[name=kind]").select_option("holiday")
    await dialog.locator("input[name=name]").fill("临时假日")
    await dialog.locator("button[type=submit]").click()
    await expect(day).to_have_class(re.compile(r"\bholiday\b"))
    await expect(day).to_contain_text("休")
    status = page.locator("#recompute-status")
    await expect(status).to_contain_text(f"{holiday.isoformat()} 设为节假日（临时假日）")
    await expect(status).to_contain_text("已重新计算 2 个时限，其中 1 个截止时间有变化", timeout=20_000)
    await admin.screenshots("admin-sla")

    # the handler opens the ticket again: the completion clock counts down to the moved deadline
    await row.locator("button.row-button").click()
    await expect(clock).to_contain_text(f"截止 {shown(moved)}")
    assert await clock.locator(".countdown").get_attribute("data-due") == moved.isoformat()


async def test_the_rules_table_shows_what_is_wrong_and_saves_nothing(
    city: dict[str, int], spawn: Processes, login: Login, open_as: Open
) -> None:
    base = await spawn.web()
    await spawn.worker()
    admin = await open_as("admin", base)
    page = admin.page
    await admin.goto("/admin/sla")
    rows = page.locator("#completion-table tbody tr.limit")
    await expect(rows).to_have_count(6)  # config.toml: one limit per ticket type
    await page.click("#add-limit")
    added = rows.nth(6)
    await added.locator("select[name=ticket_type]").select_option("complaint")
    await added.locator("select[name=category_code]").select_option("NOISE")
    await added.locator("input[name=days]").fill("0")
    await page.fill("#reply_minutes", "-5")
    await page.click("#save-rules")
    errors = page.locator("#rules-errors li")
    await expect(errors).to_contain_text(
        ["普通工单回复时限须大于 0 分钟", "办结时限第 7 条（投诉 · 噪音扰民）：天数须为 1–365 的整数，现为 0"]
    )
    api = await login("admin", base)
    unchanged = ok(await api.get("/api/sla/rules"))
    assert unchanged["reply_minutes"] == 60 and len(unchanged["completion"]) == 6  # nothing saved

    await added.locator("input[name=days]").fill("5")
    await page.fill("#reply_minutes", "45")
    await page.click("#save-rules")
    await expect(errors).to_have_count(0)
    await expect(page.locator("#recompute-status")).to_contain_text("修改时限规则：已重新计算 0 个时限")
    saved = ok(await api.get("/api/sla/rules"))
    assert saved["reply_minutes"] == 45
    assert {"ticket_type": "complaint", "category_code": "NOISE", "days": 5} in [
        {k: r[k] for k in ("ticket_type", "category_code", "days")} for r in saved["completion"]
    ]
    await admin.screenshots("admin-sla-rules")


async def test_next_years_calendar_uploaded_on_the_page(city: dict[str, int], open_as: Open, tmp_path: Path) -> None:
    admin = await open_as("admin")
    page = admin.page
    await admin.goto("/admin/sla")
    bad = tmp_path / "2027.csv"
    bad.write_text("日期,类型,名称\n2027-02-06..2027-02-12,节假日,春节\n2027-02-07,调休上班,\n", encoding="utf-8")
    await page.set_input_files("#cal-file", str(bad))
    await expect(page.locator("#cal-file-name")).to_have_text("2027.csv")
    await page.click("#import-calendar")
    await expect(page.locator("#import-errors li")).to_have_text(
        ["第 3 行：2027-02-07 已是节假日，不能同时设为调休上班日（一天只能是其中一种）（见第 2 行）"]
    )
    good = tmp_path / "2027-fixed.csv"
    good.write_text(
        "日期,类型,名称\n2027-02-06..2027-02-12,节假日,春节\n2027-02-14,调休上班,春节调休\n", encoding="utf-8"
    )
    await page.set_input_files("#cal-file", str(good))
    await page.click("#import-calendar")
    await expect(page.locator("#import-errors li")).to_have_count(0)
    await expect(page.locator("#cal-year")).to_have_text("2027 年")
    await expect(page.locator("#cal-summary")).to_have_text("本年节假日 7 天，调休上班 1 天。")
    await expect(page.locator('.day[data-date="2027-02-14"]')).to_have_class(re.compile(r"\bworkday\b"))
    await expect(page.locator("#recompute-status")).to_contain_text("导入 2027 年节假日与调休")
