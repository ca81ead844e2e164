"""SLA rules and the calendar edited over the admin API: checked in full with Chinese messages, nothing
saved when anything is wrong, a concurrent edit refused, a date never both a holiday and a make-up day."""

from __future__ import annotations

import base64
from typing import Any

import asyncpg
import httpx

from tests.support.api import Login, ok


def editable(rules: dict[str, Any]) -> dict[str, Any]:
    """The body a PUT takes, from what a GET returned."""
    keys = ("version", "reply_minutes", "reply_counts", "accept_minutes", "accept_counts", "warn_fraction")
    return {
        **{k: rules[k] for k in keys},
        "office_hours": rules["office_hours"],
        "weekdays": rules["weekdays"],
        "completion": [
            {k: limit[k] for k in ("ticket_type", "category_code", "days", "counts")} for limit in rules["completion"]
        ],
    }


def problems(response: httpx.Response, status: int = 422) -> list[str]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    return error.get("details", {}).get("fields", [error["message"]])


async def test_a_new_database_runs_on_config_defaults_and_an_edit_stores_the_whole_set(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    admin = await login("admin")
    rules = ok(await admin.get("/api/sla/rules"))
    assert rules["stored"] is False and rules["version"] is None
    assert (rules["reply_minutes"], rules["reply_counts"], rules["warn_fraction"]) == (60, "working", 0.8)
    complaint = next(r for r in rules["completion"] if r["ticket_type"] == "complaint")
    assert (complaint["days"], complaint["counts"], complaint["name"]) == (15, "working", "投诉15个工作日办结")

    body = editable(rules)
    body["completion"].append({"ticket_type": "complaint", "category_code": "NOISE", "days": 5, "counts": "natural"})
    body["reply_minutes"] = 30
    saved = ok(await admin.put("/api/sla/rules", json=body))
    assert saved["stored"] is True and saved["reply_minutes"] == 30
    noise = next(r for r in saved["completion"] if r["category_code"] == "NOISE")
    assert noise["name"] == "投诉噪音扰民5个自然日办结"
    assert saved["recompute"]["status"] == "pending" and saved["recompute"]["reason"] == "修改时限规则"
    # the calendar of config.toml came along with the first stored rules
    assert await pool.fetchval("SELECT kind FROM calendar_days WHERE day = '2026-10-01'") == "holiday"
    assert ok(await admin.get("/api/sla/rules"))["version"] == saved["version"]


async def test_every_problem_of_an_edit_is_named_and_nothing_is_saved(city: dict[str, int], login: Login) -> None:
    admin = await login("admin")
    before = ok(await admin.get("/api/sla/rules"))
    body = editable(before)
    body["reply_minutes"] = 0
    body["warn_fraction"] = 1.2
    body["office_hours"] = [["09:00", "12:00"], ["11:00", "10:00"]]
    body["completion"] = [
        {"ticket_type": "complaint", "category_code": "NOPE", "days": 5, "counts": "working"},
        {"ticket_type": "complaint", "category_code": None, "days": 0, "counts": "working"},
        {"ticket_type": "complaint", "category_code": None, "days": 10, "counts": "natural"},
    ]
    found = problems(await admin.put("/api/sla/rules", json=body))
    expected = [
        "普通工单回复时限须大于 0 分钟",
        "预警比例须大于 0 且小于 100%",
        "办公时间 11:00–10:00：开始须早于结束",
        "办结时限第 1 条（投诉 · NOPE）：分类代码 NOPE 不存在",
        "办结时限第 2 条（投诉 · 任意分类）：天数须为 1–365 的整数，现为 0",
        "办结时限第 3 条（投诉 · 任意分类）：与第 2 条重复",
        "以下工单类型没有兜底的办结时限：咨询、求助、举报、建议、表扬",
    ]
    for text in expected:
        assert any(text in p for p in found), (text, found)
    assert ok(await admin.get("/api/sla/rules")) == before


async def test_a_stale_edit_is_refused_and_only_hotline_admins_may_edit(city: dict[str, int], login: Login) -> None:
    admin = await login("admin")
    first = editable(ok(await admin.get("/api/sla/rules")))
    ok(await admin.put("/api/sla/rules", json={**first, "accept_minutes": 600}))
    # the same editor saves again from what it loaded before the first save
    stale = await admin.put(
        "/api/sla/rules", json={**first, "version": ok(await admin.get("/api/sla/rules"))["version"] - 1}
    )
    assert problems(stale, 409) == ["时限规则已被他人修改，请刷新页面后重新编辑"]

    for username in ("operator", "dh-supervisor"):
        other = await login(username)
        assert (await other.get("/api/sla/rules")).status_code == 403
        assert (await other.put("/api/sla/rules", json=first)).status_code == 403
        assert (
            await other.post("/api/sla/calendar/days", json={"date": "2027-01-01", "kind": "holiday"})
        ).status_code == 403


async def test_a_date_is_a_holiday_or_a_make_up_day_never_both(city: dict[str, int], login: Login) -> None:
    admin = await login("admin")
    calendar = ok(
        await admin.post("/api/sla/calendar/days", json={"date": "2027-02-06", "kind": "holiday", "name": "春节"})
    )
    assert {"date": "2027-02-06", "kind": "holiday", "kind_label": "节假日", "name": "春节"} in calendar["days"]
    assert calendar["recompute"]["reason"] == "2027-02-06 设为节假日（春节）"

    clash = await admin.post("/api/sla/calendar/days", json={"date": "2027-02-06", "kind": "workday"})
    assert problems(clash, 409) == ["2027-02-06 已是节假日，不能同时设为调休上班日（一天只能是其中一种）"]
    needless = await admin.post("/api/sla/calendar/days", json={"date": "2027-02-09", "kind": "workday"})
    assert problems(needless) == ["2027-02-09（星期二）本来就是工作日，不必设为调休上班日"]
    bad_date = await admin.post("/api/sla/calendar/days", json={"date": "2027-02-30", "kind": "holiday"})
    assert problems(bad_date) == ["日期类型或格式不正确"]

    # asked for explicitly, a mark is replaced; "normal" takes it off
    replaced = ok(
        await admin.post("/api/sla/calendar/days", json={"date": "2027-02-06", "kind": "workday", "replace": True})
    )
    assert [d["kind"] for d in replaced["days"] if d["date"] == "2027-02-06"] == ["workday"]
    cleared = ok(await admin.post("/api/sla/calendar/days", json={"date": "2027-02-06", "kind": "normal"}))
    assert not [d for d in cleared["days"] if d["date"] == "2027-02-06"]
    year = ok(await admin.get("/api/sla/calendar?year=2026"))
    assert {"year": 2026, "holidays": 33, "workdays": 6} in year["years"]
    assert (await admin.get("/api/sla/calendar?year=20x6")).status_code == 422


async def test_an_uploaded_calendar_with_a_clash_is_refused_by_row_and_writes_nothing(
    city: dict[str, int], login: Login
) -> None:
    admin = await login("admin")
    before = ok(await admin.get("/api/sla/calendar?year=2027"))
    text = (
        "日期,类型,名称\n2027-01-01,节假日,元旦\n2027-02-06..2027-02-12,休,春节\n2027-02-07,班,春节调休\n"
        "2027-13-01,休,\n"
    )
    upload = {"filename": "2027.csv", "content_base64": base64.b64encode(text.encode()).decode()}
    found = problems(await admin.post("/api/sla/calendar/import", json=upload))
    assert found == [
        "第 4 行：2027-02-07 已是节假日，不能同时设为调休上班日（一天只能是其中一种）（见第 3 行）",
        "第 5 行：日期(date) “2027-13-01” 无法识别，应写作 2027-01-01，或一段日期 2027-02-06..2027-02-13",
    ]
    assert ok(await admin.get("/api/sla/calendar?year=2027"))["days"] == before["days"]

    good = text.replace("2027-02-07,班,春节调休", "2027-02-14,班,春节调休").replace("2027-13-01,休,\n", "")
    result = ok(
        await admin.post(
            "/api/sla/calendar/import",
            json={"filename": "2027.csv", "content_base64": base64.b64encode(good.encode()).decode()},
        )
    )
    assert (result["years"], result["holidays"], result["workdays"]) == ([2027], 8, 1)
    assert result["recompute"]["reason"] == "导入 2027 年节假日与调休"
    wrong_type = {"filename": "2027.txt", "content_base64": upload["content_base64"]}
    assert problems(await admin.post("/api/sla/calendar/import", json=wrong_type)) == [
        "不支持的文件类型 .txt：请使用 .csv 或 .xlsx"
    ]
