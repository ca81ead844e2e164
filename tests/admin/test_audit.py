"""The audit log over HTTP: logins (refused ones under the name tried) and the existing admin endpoints (SLA
rules, the calendar) recorded with who, when, from where (the proxy's X-Forwarded-For from a trusted proxy) and
before/after; the hotline centre's administrator filters it, pages through it and exports it as CSV whose
formula-like cells stay text; nobody else reads it."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.support.api import Login, ok

pytestmark = pytest.mark.usefixtures("city")
FORMULA = '=HYPERLINK("http://x")'


def editable(rules: dict[str, Any]) -> dict[str, Any]:
    keys = ("version", "reply_minutes", "reply_counts", "accept_minutes", "accept_counts", "warn_fraction")
    completion = [{k: c[k] for k in ("ticket_type", "category_code", "days", "counts")} for c in rules["completion"]]
    return {
        **{k: rules[k] for k in keys},
        "office_hours": rules["office_hours"],
        "weekdays": rules["weekdays"],
        "completion": completion,
    }


async def test_admin_actions_and_logins_are_recorded_filtered_and_exported(web_server: str, login: Login) -> None:
    async with httpx.AsyncClient(base_url=web_server, headers={"X-Forwarded-For": "203.0.113.7"}) as anon:
        refused = await anon.post("/api/auth/login", json={"username": FORMULA, "password": "x", "kind": "api"})
        assert refused.status_code == 401
        ok(await anon.post("/api/auth/login", json={"username": "admin", "password": "demo12345", "kind": "api"}))
    admin = await login("admin")
    rules = ok(await admin.get("/api/sla/rules"))
    ok(await admin.put("/api/sla/rules", json={**editable(rules), "reply_minutes": 45}))
    ok(await admin.post("/api/sla/calendar/days", json={"date": "2027-02-08", "kind": "holiday", "name": "春节"}))

    logins = ok(await admin.get("/api/admin/audit?action=login"))["items"]
    assert [(e["action"], e["actor_name"], e["ip"]) for e in logins[:3]] == [
        ("login.success", "admin", "127.0.0.1"),  # the test client's own login
        ("login.success", "admin", "203.0.113.7"),
        ("login.failure", FORMULA, "203.0.113.7"),
    ]
    assert logins[2]["actor_id"] is None and logins[2]["action_label"] == "登录失败"
    [sla] = ok(await admin.get("/api/admin/audit?action=sla.rules&user=admin"))["items"]
    assert sla["before"]["reply_minutes"] == 60 and sla["after"]["reply_minutes"] == 45
    [day] = ok(await admin.get("/api/admin/audit?action=calendar&target=2027-02"))["items"]
    assert day["action_label"] == "修改工作日历" and day["before"] is None
    assert day["after"] == {"kind": "holiday", "name": "春节"}
    first = ok(await admin.get("/api/admin/audit?limit=2"))
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    assert ok(await admin.get("/api/admin/audit?from=2000-01-01&to=2000-01-02"))["items"] == []
    assert (await admin.get("/api/admin/audit?action=nonsense")).status_code == 422

    exported = await admin.get("/api/admin/audit.csv?action=login")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["时间", "用户", "操作", "操作代码", "对象"]
    assert [r[1] for r in rows[1:]] == ["'" + FORMULA, "admin", "admin"]  # oldest first; never a formula
    [export] = ok(await admin.get("/api/admin/audit?action=audit.export"))["items"]
    assert export["after"] == {"rows": 3, "filters": {"action": "login"}}

    supervisor = await login("supervisor")
    assert (await supervisor.get("/api/admin/audit")).status_code == 403
    assert (await supervisor.get("/api/admin/audit.csv")).status_code == 403
