"""Co-handlers (协办) open and list the tickets they assist with, until the ticket is re-routed.

Who sees what: the 住建局 handler (a department below the centre, no sees_phone) sees the co-handled ticket
with the caller's phone masked; after an approved return re-routes it, a 404 and an empty list."""

from __future__ import annotations

from tests.support.api import Login, ok
from tests.support.calls import PROPERTY_CALL


async def listed(client, scope: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [t["id"] for t in ok(await client.get("/api/tickets", params={"scope": scope}))["items"]]


async def test_co_handlers_list_what_they_may_open_until_the_ticket_is_rerouted(
    city: dict[str, int], login: Login
) -> None:
    operator = await login("operator")
    ticket = ok(await operator.post("/api/tickets", json=PROPERTY_CALL), 201)
    assert ticket["holder_unit_id"] == city["DH-S1-C1"]
    assert ticket["co_unit_ids"] == [city["DH-ZJ"]]

    co = await login("dh-zj-handler")
    assert await listed(co, "cohandling") == [ticket["id"]]
    assert await listed(co, "all") == [ticket["id"]]  # everything it may open, as require_view says
    assert await listed(co, "inbox") == []
    seen = ok(await co.get(f"/api/tickets/{ticket['id']}"))
    assert "5678" in seen["caller_phone"] and "1234" not in seen["caller_phone"]  # masked below the centre
    district = await login("dh-supervisor")  # the co-unit's district sees it in its own co-handling list
    assert ticket["id"] in await listed(district, "cohandling")
    unrelated = await login("dh-rs-handler")
    assert await listed(unrelated, "cohandling") == []

    ok(await (await login("dh-s1-c1-handler")).post(f"/api/tickets/{ticket['id']}/return", json={"reason": "非本社区"}))
    street = await login("dh-s1-dispatcher")
    review = {"approve": True, "reroute_to": city["DH-S1-C2"], "note": "改派翠竹社区"}
    rerouted = ok(await street.post(f"/api/tickets/{ticket['id']}/return-review", json=review))
    assert rerouted["holder_unit_id"] == city["DH-S1-C2"]
    assert rerouted["co_unit_ids"] == []
    assert (await co.get(f"/api/tickets/{ticket['id']}")).status_code == 404
    assert await listed(co, "cohandling") == []
    assert await listed(co, "all") == []
