"""协办 over HTTP: a dispatcher names co-units when dispatching; the co-unit finds the ticket in its 协办 list
(not in its inbox), records notes, a contact and 协办完成; the lead unit reads every part before completing.

Who may: only a dispatcher names co-units, within their subtree and never the lead unit itself; only a co-unit
records a part (others get 403, or 404 when they cannot see the ticket at all); a part is finished once.
"""

from __future__ import annotations

import asyncpg

from tests.support.api import Login, ok

QUEUED = {"type": "complaint", "content": "晚上太吵了，睡不着，请派人看看", "category_code": "NOISE",
          "caller_phone": "13912345001"}  # fmt: skip


async def test_co_units_named_at_dispatch_record_their_part(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    operator, desk = await login("operator"), await login("dispatcher")
    lead, co, other = await login("dh-s1-c1-handler"), await login("dh-cg-handler"), await login("dh-zj-handler")
    ticket = ok(await operator.post("/api/tickets", json=QUEUED), 201)
    assert ticket["state"] == "pending_dispatch"
    url = f"/api/tickets/{ticket['id']}"

    as_lead = await desk.post(f"{url}/assign", json={"unit_id": city["DH-S1-C1"], "co_unit_ids": [city["DH-S1-C1"]]})
    assert as_lead.status_code == 422 and as_lead.json()["error"]["message"] == "主办单位不能同时是协办单位"
    body = {"unit_id": city["DH-S1-C1"], "reason": "烧烤噪音，城管协助", "co_unit_ids": [city["DH-CG"]]}
    dispatched = ok(await desk.post(f"{url}/assign", json=body))
    assert dispatched["co_unit_ids"] == [city["DH-CG"]]

    assert [t["id"] for t in ok(await co.get("/api/tickets?scope=cohandling"))["items"]] == [ticket["id"]]
    assert ok(await co.get("/api/tickets?scope=inbox"))["items"] == []  # the lead unit handles it, not the co-unit
    listed = ok(await co.get("/api/tickets?scope=cohandling"))["items"][0]
    assert listed["co_done_at"] is None and listed["caller_phone"] == "139****5001"  # a co-unit sees numbers masked
    assert (await co.post(f"{url}/sign")).status_code == 403  # co-units assist; the lead unit signs
    assert (await lead.post(f"{url}/co-notes", json={"text": "x"})).status_code == 403  # the lead is no co-unit
    assert (await other.post(f"{url}/co-notes", json={"text": "x"})).status_code == 404

    ok(await co.post(f"{url}/co-notes", json={"text": "已派执法队员到场，请店主13912345001配合"}))
    ok(await co.post(f"{url}/co-contact", json={"method": "visit", "outcome": "reached", "note": "上门沟通"}))
    ok(await co.post(f"{url}/co-done", json={"result": "已责令烧烤店撤除露天炉具"}))
    again = await co.post(f"{url}/co-done", json={"result": "再次"})
    assert again.status_code == 409 and again.json()["error"]["message"] == "本单位已完成协办"

    parts = ok(await lead.get(f"{url}/co-parts"))["items"]
    assert [(p["unit_name"], p["result"]) for p in parts] == [("东湖区城市管理局", "已责令烧烤店撤除露天炉具")]
    records = parts[0]["records"]
    assert [(r["action"], r["text"]) for r in records] == [
        ("co_note", "已派执法队员到场，请店主139****5001配合"),
        ("co_contact", "上门沟通"),
    ]
    contact = await pool.fetchrow("SELECT unit_id, method FROM contacts WHERE ticket_id = $1", ticket["id"])
    assert (contact["unit_id"], contact["method"]) == (city["DH-CG"], "visit")
    assert ok(await co.get("/api/tickets?scope=cohandling"))["items"][0]["co_done_at"] is not None

    # a handler passing a ticket down names no co-units; a district dispatcher names none outside the district
    ok(await lead.post(f"{url}/sign"))
    down = await lead.post(f"{url}/assign", json={"unit_id": city["DH-S1-C1"], "co_unit_ids": [city["DH-CG"]]})
    assert down.status_code in (403, 422)
    other_district = next(code for code in city if code.startswith("NJ-") and code.count("-") == 1)
    district = await login("dh-dispatcher")
    vague = ok(await operator.post("/api/tickets", json={**QUEUED, "caller_phone": "13912345002"}), 201)
    ok(await desk.post(f"/api/tickets/{vague['id']}/assign", json={"unit_id": city["DH"]}))
    ok(await (await login("dh-dispatcher")).post(f"/api/tickets/{vague['id']}/sign"))
    outside = await district.post(
        f"/api/tickets/{vague['id']}/assign", json={"unit_id": city["DH-S1"], "co_unit_ids": [city[other_district]]}
    )
    assert outside.status_code == 422 and outside.json()["error"]["message"] == "协办单位须是本单位辖区内的下级单位"
