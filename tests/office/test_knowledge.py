"""The knowledge base at work over HTTP: a handler searches it and links the answer given on a dispatched ticket;
an administrator edits an entry or takes it out of use (it is then found no more). Only administrators edit."""

from __future__ import annotations

from urllib.parse import quote

from tests.support.api import Login, ok
from tests.support.office import signed_ticket


async def test_handlers_link_answers_and_admins_edit_entries(city: dict[str, int], login: Login) -> None:
    operator, handler, admin = await login("operator"), await login("dh-s1-c1-handler"), await login("admin")
    tid = await signed_ticket(operator, handler, "13912346001")
    found = ok(await handler.get("/api/kb?q=" + quote("噪音 投诉")))["items"]
    assert found, "the demo knowledge base answers a noise question"
    entry = found[0]

    ok(await handler.post(f"/api/tickets/{tid}/kb-links", json={"kb_entry_id": entry["id"]}))
    twice = await handler.post(f"/api/tickets/{tid}/kb-links", json={"kb_entry_id": entry["id"]})
    assert twice.status_code == 409 and twice.json()["error"]["message"] == "已引用过该知识库条目"
    missing = await handler.post(f"/api/tickets/{tid}/kb-links", json={"kb_entry_id": 999999})
    assert missing.status_code == 422
    links = ok(await handler.get(f"/api/tickets/{tid}/kb-links"))["items"]
    assert [(x["kb_entry_id"], x["unit_name"]) for x in links] == [(entry["id"], "柳岸社区")]
    trail = ok(await handler.get(f"/api/tickets/{tid}/events"))["events"]
    assert trail[-1]["action"] == "kb_linked" and trail[-1]["reason"] == entry["title"]

    edit = {
        "title": "夜间施工和烧烤噪音怎么投诉",
        "answer": "可拨打12345，由属地社区和城管处理。",
        "keywords": ["噪音", "烧烤"],
    }
    assert (await handler.put(f"/api/kb/{entry['id']}", json=edit)).status_code == 403
    assert (await admin.put("/api/kb/999999", json=edit)).status_code == 404
    ok(await admin.put(f"/api/kb/{entry['id']}", json=edit))
    again = ok(await handler.get("/api/kb?q=" + quote("烧烤 噪音")))["items"]
    assert again[0]["id"] == entry["id"] and again[0]["title"] == edit["title"]  # searched by its new words
    ok(await admin.put(f"/api/kb/{entry['id']}", json={**edit, "active": False}))
    assert entry["id"] not in [x["id"] for x in ok(await handler.get("/api/kb?q=" + quote("烧烤 噪音")))["items"]]
