"""专题服务日 over HTTP: a district supervisor schedules a leader's day for a department; a call in the window
about its domain (a noise call the department co-handles) is marked, another district's call is not; the console
shows the day with its calls; the monthly report lists the day with its calls and outcomes.

Who may: supervisors schedule, for their own unit or one below; the console's view is for the hotline centre's
operators and dispatchers and for supervisors (a handler gets 403). Calls are listed without callers' data."""

from __future__ import annotations

from datetime import datetime

from hotline.report.render import render_html
from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL

ELSEWHERE = {"type": "complaint", "content": "白云山庄门口的路灯坏了一个月", "address": "西岭区白云街道白云山庄",
             "caller_phone": "13912347002"}  # fmt: skip


async def test_a_leaders_day_marks_its_calls(city: dict[str, int], login: Login, settings: Settings) -> None:
    supervisor, operator, handler = await login("dh-supervisor"), await login("operator"), await login("dh-cg-handler")
    today = datetime.now(settings.tz).date().isoformat()
    day = {"unit_id": city["DH-HB"], "leader": "李清 局长", "day": today, "start": "00:00", "end": "23:59",
           "topic": "噪声与油烟污染"}  # fmt: skip
    assert (await handler.post("/api/service-days", json=day)).status_code == 403
    outside = next(code for code in city if code.startswith("XL"))
    refused = await supervisor.post("/api/service-days", json={**day, "unit_id": city[outside]})
    assert refused.status_code == 422 and refused.json()["error"]["message"] == "只能为本单位或下级单位安排专题服务日"
    backwards = await supervisor.post("/api/service-days", json={**day, "start": "12:00", "end": "09:00"})
    assert backwards.status_code == 422
    scheduled = ok(await supervisor.post("/api/service-days", json=day), 201)
    assert (scheduled["unit_name"], scheduled["start"], scheduled["end"], scheduled["calls"]) == (
        "东湖区生态环境分局", "00:00", "23:59", 0
    )  # fmt: skip

    noise = ok(await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": "13912347001"}), 201)
    ok(await operator.post("/api/tickets", json=ELSEWHERE), 201)

    active = ok(await operator.get("/api/service-days/active"))["items"]
    assert [(d["id"], d["calls"]) for d in active] == [(scheduled["id"], 1)]
    call = active[0]["tickets"][0]
    assert (call["number"], call["holder_unit_name"]) == (noise["number"], "柳岸社区")
    assert "caller_phone" not in call and "caller_name" not in call
    assert (await handler.get("/api/service-days/active")).status_code == 403

    month = today[:7]
    report = ok(await supervisor.get(f"/api/reports/monthly?month={month}"))
    listed = report["service_days"]
    assert [(d["leader"], d["outcomes"]) for d in listed] == [
        ("李清 局长", {"calls": 1, "on_spot": 0, "closed": 0, "open": 1, "satisfied": 0})
    ]
    document = render_html(report)  # the report's HTML document, as the report page serves it
    assert "九、专题服务日" in document and "李清 局长" in document and noise["number"] in document
