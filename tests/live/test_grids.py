"""Grids (网格) of the demo city: a call naming an estate's phase or a building reaches the grid's 网格员 through
the community, and the 网格员 handles it with the handler's actions.

Roles: the 网格员 of 柳岸社区第一网格 (dh-s1-c1-g1-handler, a handler of the grid unit) signs, contacts, notes and
completes, and sees the caller's phone masked; the community's handler sees the ticket (its subtree) but may not
act on it; the other grid's 网格员 does not see it at all; the street's dispatcher reviews the completion.
"""

from __future__ import annotations

import pytest

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL

pytestmark = pytest.mark.usefixtures("city")

GRID_CALL = {
    **NOISE_CALL,
    "content": "水岸名都一期3栋楼下的烧烤店每天营业到凌晨两点，油烟和噪音很大，希望尽快处理。",
    "address": "东湖区青山街道水岸名都一期3栋",
}


async def test_a_call_from_a_grid_reaches_its_leader_through_the_community(login: Login, city: dict[str, int]) -> None:
    operator = await login("operator")
    ticket = ok(await operator.post("/api/tickets", json=GRID_CALL), 201)
    assert (ticket["state"], ticket["holder_unit_id"]) == ("assigned", city["DH-S1-C1-G1"])
    hops = [e["to_unit_id"] for e in ok(await operator.get(f"/api/tickets/{ticket['id']}/events"))["events"]]
    assert hops[-4:] == [city["DH"], city["DH-S1"], city["DH-S1-C1"], city["DH-S1-C1-G1"]]

    estate_call = {**GRID_CALL, "content": "水岸名都门口烧烤噪音很大", "address": "东湖区青山街道水岸名都"}
    whole_estate = ok(await operator.post("/api/tickets", json=estate_call), 201)
    assert whole_estate["holder_unit_id"] == city["DH-S1-C1"]

    leader = await login("dh-s1-c1-g1-handler")
    inbox = ok(await leader.get("/api/tickets?scope=inbox"))["items"]
    assert [t["id"] for t in inbox] == [ticket["id"]]
    assert inbox[0]["caller_phone"] == "138****1234"
    community = await login("dh-s1-c1-handler")
    assert ok(await community.get(f"/api/tickets/{ticket['id']}"))["id"] == ticket["id"]
    assert (await community.post(f"/api/tickets/{ticket['id']}/sign")).status_code == 403
    other_grid = await login("dh-s1-c1-g2-handler")
    assert (await other_grid.get(f"/api/tickets/{ticket['id']}")).status_code == 404

    path = f"/api/tickets/{ticket['id']}"
    assert ok(await leader.post(f"{path}/sign"))["state"] == "signed"
    ok(await leader.post(f"{path}/contact", json={"method": "visit", "outcome": "reached", "note": "上门核实"}))
    ok(await leader.post(f"{path}/notes", json={"text": "已约店主明早整改排烟"}))
    assert ok(await leader.post(f"{path}/complete", json={"result": "店主已加装油烟净化器，十点后停业"}))["state"] == (
        "completed"
    )
    street = await login("dh-s1-dispatcher")
    assert ok(await street.post(f"{path}/completion-review", json={"approve": True}))["state"] == "reviewed"
