"""Retention of personal data with a fixed `now` (`hotline retention --as-of`): only what is past its period
goes — callers' numbers and names of tickets closed more than 3 years before, reads of personal data older
than 12 months, expired tokens — the dry run says so first and changes nothing, and the reports of the
old month count exactly as before."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from tests.support.api import Login, ok
from tests.support.history_files import closed_row, write_csv

pytestmark = pytest.mark.usefixtures("city")
TZ = ZoneInfo("Asia/Shanghai")
AS_OF = "2028-03-20T00:00:00+08:00"  # callers' data of tickets closed before 2025-03-20 00:00 goes
CALLER_A = "13611110001"


def march_rows() -> list[dict[str, str]]:
    """Tickets of March 2025 closed on either side of the cut-off; A calls three times in a week about
    three different things (a repeat caller, not a repeat place)."""
    no_callback = {"回访结果/满意度": "", "是否解决": ""}
    return [
        closed_row("RT1", "2025-03-03", 来电号码=CALLER_A),
        closed_row("RT2", "2025-03-05", 来电号码=CALLER_A, 分类="市政设施", 承办单位="东湖区城市管理局"),
        closed_row(
            "RT3",
            "2025-03-08",
            来电号码=CALLER_A,
            分类="水电气暖",
            承办单位="东湖区水务局",
            办结时间="2025-03-25 10:00:00",
        ),
        closed_row("RT4", "2025-03-15", 来电号码="13611110002", 办结时间="2025-03-19 23:00:00"),
        closed_row("RT5", "2025-03-15", 来电号码="13611110003", 办结时间="2025-03-20 00:30:00"),
        closed_row("RT6", "2025-03-02", 来电号码="13611110004", 状态="已签收", 办结时间="", **no_callback),
        closed_row("RT7", "2025-03-01", 来电号码="13611110005", 状态="直接办结", 承办单位="", 派单时间="", 签收时间=""),
    ]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


async def reports(login: Login) -> dict:
    supervisor = await login("supervisor")
    report = ok(await supervisor.get("/api/reports/monthly", params={"month": "2025-03"}))
    rankings = {
        level: ok(await supervisor.get("/api/rankings", params={"period": "2025-Q1", "level": level}))["items"]
        for level in ("district", "street", "department")
    }
    return {"volumes": report["volumes"], "sla": report["sla"], "supervised": report["supervised"], **rankings}


async def test_only_what_is_past_its_period_goes_and_the_reports_do_not_change(
    hotline_cli, login: Login, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    assert hotline_cli("import", "tickets", str(write_csv(tmp_path / "march.csv", march_rows()))).returncode == 0
    ids = {r["number"]: r["id"] for r in await pool.fetch("SELECT number, id FROM tickets")}
    handler = await pool.fetchval("SELECT id FROM users WHERE username = 'dh-s1-c1-handler'")
    for at in ("2027-03-19 12:00", "2027-03-20 12:00"):  # one read past 12 months, one within
        await pool.execute(
            "INSERT INTO pii_reads (user_id, ticket_id, at, fields) VALUES ($1, $2, $3, '{caller_phone}')",
            handler, ids["RT1"], local(at),
        )  # fmt: skip
        await pool.execute(
            "INSERT INTO login_events (at, username, address, kind, outcome) VALUES ($1, 'x', '10.0.0.9', 'api', 'ok')",
            local(at),
        )  # sign-ins: kept [retention] login_months (12), like the reads
    for expires in ("2028-03-19 23:59", "2028-03-20 00:01"):  # one token expired at `now`, one not yet
        await pool.execute(
            "INSERT INTO auth_tokens (token_hash, user_id, kind, expires_at) VALUES ($1, $2, 'api', $3)",
            secrets.token_bytes(32), handler, local(expires),
        )  # fmt: skip
    before = await reports(login)
    # RT3 is a repeat only as A's third call (the place repeats are the noise calls from 柳岸花园)
    assert "RT3" in {item["number"] for item in before["supervised"]["repeat"]["items"]}
    expired = await pool.fetchval("SELECT count(*) FROM auth_tokens WHERE expires_at < $1", local("2028-03-20 00:00"))
    old_logins = await pool.fetchval("SELECT count(*) FROM login_events WHERE at < $1", local("2027-03-20 00:00"))
    assert old_logins >= 1  # the one inserted, and the test's own sign-ins today
    people = "SELECT number, caller_phone, caller_name, caller_ref FROM tickets ORDER BY number"
    untouched = [tuple(r) for r in await pool.fetch(people)]

    dry = hotline_cli("retention", "--dry-run", "--as-of", AS_OF)
    assert dry.returncode == 0, dry.stderr
    assert "预演（未做任何修改），截至 2028-03-20 00:00" in dry.stdout
    assert "将删除来电人号码和姓名（工单办结已超过保存期限）：4" in dry.stdout
    assert "将删除个人信息查阅记录：1" in dry.stdout
    assert f"将删除已过期的登录会话和令牌：{expired}" in dry.stdout
    assert f"将删除登录记录：{old_logins}" in dry.stdout
    assert [tuple(r) for r in await pool.fetch(people)] == untouched
    assert await pool.fetchval("SELECT count(*) FROM pii_reads") == 2

    real = hotline_cli("retention", "--as-of", AS_OF)
    assert real.returncode == 0, real.stderr
    assert "已删除来电人号码和姓名（工单办结已超过保存期限）：4" in real.stdout
    rows = {r["number"]: r for r in await pool.fetch(people)}
    cleared = {n for n, r in rows.items() if r["caller_phone"] is None and r["caller_name"] is None}
    assert cleared == {"RT1", "RT2", "RT4", "RT7"}
    assert all(rows[n]["caller_ref"] is not None for n in cleared)
    assert rows["RT1"]["caller_ref"] == rows["RT2"]["caller_ref"]  # the same caller, still one caller
    assert {n: rows[n]["caller_phone"] for n in ("RT3", "RT5", "RT6")} == {
        "RT3": CALLER_A, "RT5": "13611110003", "RT6": "13611110004",
    }  # fmt: skip
    assert await pool.fetchval("SELECT at FROM pii_reads") == local("2027-03-20 12:00")
    assert await pool.fetchval("SELECT array_agg(at) FROM login_events") == [local("2027-03-20 12:00")]
    assert await pool.fetchval("SELECT count(*) FROM auth_tokens WHERE expires_at < $1", local("2028-03-20")) == 0
    assert await pool.fetchval("SELECT count(*) FROM auth_tokens") == 1
    runs = await pool.fetch("SELECT dry_run, status, counts FROM retention_runs ORDER BY id")
    assert [(r["dry_run"], r["status"], r["counts"]["callers"]) for r in runs] == [
        (True, "done", 4),
        (False, "done", 4),
    ]

    assert await reports(login) == before  # logged in again: retention ended the sessions of the test's clock
    operator = await login("operator")
    draft = {"content": "又来反映烧烤店的问题", "caller_phone": CALLER_A}
    history = ok(await operator.post("/api/intake/suggest", json=draft))["caller_history"]
    assert [h["number"] for h in history] == ["RT3"]
