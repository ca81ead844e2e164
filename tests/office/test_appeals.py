"""Appeals in the pages' API: a unit that handled a ticket files one with its reason and the descriptions of its
attachments; the supervisor above decides; the outcome is on the ticket. Numbers in the free text are masked
for everyone who reads the lists (boards, the appeals queue, the ticket)."""

from __future__ import annotations

import asyncpg

from tests.support.api import Login, ok
from tests.support.office import reviewed_ticket


async def test_a_unit_appeals_and_the_supervisor_decides(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    operator, handler, street = (
        await login("operator"),
        await login("dh-s1-c1-handler"),
        await login("dh-s1-dispatcher"),
    )
    tid = await reviewed_ticket(operator, handler, street, "13912344001")
    vague = {"reached": True, "resolved": False, "satisfaction": "dissatisfied", "note": "不满意"}
    ok(await operator.post(f"/api/tickets/{tid}/callback", json=vague))

    too_many = {"kind": "dissatisfied", "reason": "诉求超出政策范围", "attachments": ["x"] * 11}
    assert (await handler.post(f"/api/tickets/{tid}/appeals", json=too_many)).status_code == 422
    body = {
        "kind": "dissatisfied",
        "reason": "诉求人要求关停合法经营的店铺，超出政策范围，联系人13912344001",
        "attachments": ["营业执照复印件", "现场照片三张"],
    }
    filed = ok(await handler.post(f"/api/tickets/{tid}/appeals", json=body), 201)
    assert filed["attachments"] == ["营业执照复印件", "现场照片三张"]
    assert filed["reason"].endswith("联系人139****4001")
    assert (await handler.post(f"/api/tickets/{tid}/appeals", json=body)).status_code == 409  # one per kind

    # the queue of the supervisor above lists it; the street's own supervisor cannot decide for a unit outside
    queue = ok(await (await login("dh-supervisor")).get("/api/appeals"))["items"]
    assert [(a["id"], a["status_label"]) for a in queue] == [(filed["id"], "待裁定")]
    own = await (await login("dh-cg-handler")).post(f"/api/appeals/{filed['id']}/decision", json={"approve": True})
    assert own.status_code == 404
    decided = ok(
        await (await login("dh-supervisor")).post(
            f"/api/appeals/{filed['id']}/decision", json={"approve": True, "note": "诉求不合理，申诉成立"}
        )
    )
    assert decided["status"] == "approved"

    shown = ok(await handler.get(f"/api/tickets/{tid}/appeals"))["items"]
    assert [(a["status_label"], a["decision_note"]) for a in shown] == [("申诉成立", "诉求不合理，申诉成立")]
    closed = ok(await handler.get("/api/tickets?scope=all&state=assigned"))["items"]
    assert [t["id"] for t in closed] == [tid]  # the unit reaches its handled tickets beyond the inbox, too
    assert await pool.fetchval("SELECT attachments FROM appeals WHERE id = $1", filed["id"]) == body["attachments"]
