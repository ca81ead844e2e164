"""The report and rankings through the running web process: JSON for supervisors and admins only,
the report page and its spreadsheet behind the session cookie."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import Login, ok
from tests.support.history import MONTH

pytestmark = pytest.mark.usefixtures("history")


async def test_monthly_report_json(login: Login, pool) -> None:
    supervisor = await login("supervisor")
    report = ok(await supervisor.get("/api/reports/monthly", params={"month": MONTH}))
    assert report["month"] == MONTH and report["summary"]
    total = await pool.fetchval(
        "SELECT count(*) FROM tickets WHERE to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') = $1 "
        "AND state <> 'merged'",
        MONTH,
    )
    assert report["volumes"]["total"] == total
    assert (await supervisor.get("/api/reports/monthly", params={"month": "2026-Q4"})).status_code == 422
    operator = await login("operator")
    assert (await operator.get("/api/reports/monthly", params={"month": MONTH})).status_code == 403


async def test_district_supervisor_gets_own_subtree(login: Login) -> None:
    city = ok(await (await login("supervisor")).get("/api/reports/monthly", params={"month": MONTH}))
    district = ok(await (await login("dh-supervisor")).get("/api/reports/monthly", params={"month": MONTH}))
    assert district["unit"]["name"] == "东湖区"
    assert 0 < district["volumes"]["total"] < city["volumes"]["total"]


async def test_rankings_by_month_and_quarter(login: Login) -> None:
    admin = await login("admin")
    month = ok(await admin.get("/api/rankings", params={"period": MONTH, "level": "department"}))
    quarter = ok(await admin.get("/api/rankings", params={"period": "2026-Q4", "level": "department"}))
    assert month["items"] and quarter["items"]
    by_unit = {e["unit_id"]: e["tickets"] for e in quarter["items"]}
    assert all(by_unit[e["unit_id"]] >= e["tickets"] for e in month["items"])
    for bad in ({"period": "2026-Q9"}, {"period": MONTH, "level": "city"}):
        assert (await admin.get("/api/rankings", params=bad)).status_code == 422


async def test_report_pages_behind_the_session(web_server: str) -> None:
    async with httpx.AsyncClient(base_url=web_server, timeout=30) as client:
        r = await client.post("/api/auth/login", json={"username": "supervisor", "password": "demo12345"})
        assert r.status_code == 200, r.text
        page = await client.get("/reports/monthly", params={"month": MONTH})
        assert page.status_code == 200 and "月度分析报告" in page.text and "/reports/monthly/document" in page.text
        document = await client.get("/reports/monthly/document", params={"month": MONTH})
        assert document.status_code == 200 and "运行分析报告" in document.text and "<svg" in document.text
        sheet = await client.get("/reports/monthly.xlsx", params={"month": MONTH})
        assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
        rankings = await client.get("/rankings", params={"period": "2026-Q4", "level": "street"})
        assert rankings.status_code == 200 and "考核排名" in rankings.text and "青山街道" in rankings.text
    async with httpx.AsyncClient(base_url=web_server, timeout=30) as anonymous:
        assert (await anonymous.get("/reports/monthly/document", params={"month": MONTH})).status_code == 403
