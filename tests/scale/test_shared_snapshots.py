"""Boards of one subtree share their snapshots (issue 15 point 1): many supervisors of the same unit asking at
once cost the database a few snapshots, not one each, and every one of them still sees the ticket taken just
before it asked. The city supervisor and 东湖区's supervisor each get their own subtree's board."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL

pytestmark = pytest.mark.usefixtures("city")

VIEWERS = 40


async def _counters(http: httpx.AsyncClient) -> dict[str, float]:
    text = (await http.get("/metrics")).text
    names = ("hotline_board_snapshots_asked_total", "hotline_board_snapshots_computed_total")
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.split(" ")[0] in names}


async def test_viewers_asking_together_share_one_computation(login: Login, http: httpx.AsyncClient) -> None:
    city, district = await login("supervisor"), await login("dh-supervisor")
    before = await _counters(http)
    ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)

    boards = await asyncio.gather(
        *(city.get("/api/board") for _ in range(VIEWERS)), *(district.get("/api/board") for _ in range(VIEWERS))
    )

    for response in boards:
        counts = ok(response)["counts_by_state"]
        assert sum(s["count"] for s in counts.values()) == 1, "the ticket taken before asking is on every board"
    assert {ok(r)["unit"]["name"] for r in boards[VIEWERS:]} == {"东湖区"}
    assert "东湖区" not in {ok(r)["unit"]["name"] for r in boards[:VIEWERS]}
    after = await _counters(http)
    asked = after["hotline_board_snapshots_asked_total"] - before.get("hotline_board_snapshots_asked_total", 0)
    computed = after["hotline_board_snapshots_computed_total"] - before.get("hotline_board_snapshots_computed_total", 0)
    assert asked == 2 * VIEWERS
    assert computed <= 2 * 4, f"{computed} snapshots computed for {asked} viewers of two subtrees"
