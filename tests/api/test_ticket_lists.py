"""The ticket lists (GET /api/tickets): what each scope holds for a unit, the state filter, the order
(next due time, none last, then newest first), paging, and nothing a user may not see."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import Login, ok

# auto-dispatched down to 柳岸社区 (东湖区 › 青山街道)
CALL = {
    "type": "complaint",
    "channel": "phone",
    "content": "柳岸花园 5 栋旁的工地夜间施工，噪音很大，影响休息，希望尽快处理。",
    "address": "东湖区青山街道柳岸花园5栋",
    "category_code": "NOISE",
}


async def listed(client: httpx.AsyncClient, query: str) -> list[dict[str, Any]]:
    return list(ok(await client.get(f"/api/tickets?{query}"))["items"])


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


async def test_each_scope_lists_what_waits_for_the_unit_in_due_order(city: dict[str, int], login: Login) -> None:
    operator = await login("operator")
    community = await login("dh-s1-c1-handler")
    street = await login("dh-s1-dispatcher")
    outsider = await login("dh-s2-handler")

    created = [
        ok(await operator.post("/api/tickets", json={**CALL, "caller_phone": f"1390000000{i}"}), 201) for i in range(4)
    ]
    assert {t["holder_unit_id"] for t in created} == {city["DH-S1-C1"]}
    assigned, signed, returned, queued = ids(created)
    ok(await community.post(f"/api/tickets/{signed}/sign"))
    ok(await community.post(f"/api/tickets/{signed}/extension", json={"extra_days": 3, "reason": "需联合执法"}))
    ok(await community.post(f"/api/tickets/{returned}/return", json={"reason": "不属于本社区"}))
    ok(await community.post(f"/api/tickets/{queued}/return", json={"reason": "不属于本社区"}))
    ok(await street.post(f"/api/tickets/{queued}/return-review", json={"approve": True}))

    assert sorted(ids(await listed(community, "scope=inbox"))) == sorted([assigned, signed])
    assert ids(await listed(community, "scope=inbox&state=signed")) == [signed]
    assert ids(await listed(community, "scope=queue")) == []
    assert ids(await listed(street, "scope=queue")) == [queued]
    assert ids(await listed(street, "scope=reviews")) == [returned]
    assert ids(await listed(street, "scope=extensions")) == [signed]
    assert ids(await listed(street, "scope=all&state=returned")) == [returned]

    everything = await listed(operator, "scope=all")
    assert sorted(ids(everything)) == sorted(ids(created))
    order = sorted(everything, key=lambda t: (t["next_due_at"] is None, t["next_due_at"] or "", -t["id"]))
    assert ids(everything) == ids(order)
    assert ids(await listed(operator, "limit=2&offset=1")) == ids(everything)[1:3]
    assert sorted(ids(await listed(street, "scope=all"))) == sorted(ids(created))
    assert ids(await listed(outsider, "scope=all")) == []
