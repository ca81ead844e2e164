"""The board's snapshot lists the active early warnings of the supervisor's subtree, over HTTP and the websocket."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from websockets.asyncio.client import connect

from hotline.settings import Settings
from tests.support.api import Login, board_socket, frames_until, ok
from tests.support.calls import cluster_calls
from tests.support.jobs import run_through_queue

pytestmark = pytest.mark.usefixtures("city")


async def test_board_lists_the_warnings_of_its_subtree(
    login: Login, web_server: str, pool: asyncpg.Pool, settings: Settings
) -> None:
    operator = await login("operator")
    for call in cluster_calls("1381234"):  # three clusters (see CLUSTER_CALLS)
        ok(await operator.post("/api/tickets", json=call), 201)
    assert await run_through_queue(settings, "early_warning_scan", "board-warnings") == 3

    city = ok(await (await login("supervisor")).get("/api/board"))["early_warnings"]
    assert sorted(w["cluster_kind"] for w in city) == ["place", "place", "text"]
    district = ok(await (await login("dh-supervisor")).get("/api/board"))["early_warnings"]
    assert sorted(w["cluster_kind"] for w in district) == ["place", "text"]  # not 南江区's
    place = next(w for w in district if w["cluster_kind"] == "place")
    assert place["ticket_count"] == 5 and "小时内 5 件" in place["rule_name"] and place["number"]
    assert place["alert_id"].startswith("early-") and place["kind"] == "early"
    text = next(w for w in district if w["cluster_kind"] == "text")
    assert text["ticket_count"] == 5 and "多个社区" in text["rule_name"]
    assert ok(await (await login("nj-supervisor")).get("/api/board"))["early_warnings"][0]["category_code"] == (
        "UTILITIES"
    )

    token = (await login("dh-supervisor")).headers["Authorization"].removeprefix("Bearer ")
    url = web_server.replace("http://", "ws://") + f"/ws/board?token={token}"
    async with connect(url, compression=None) as ws:
        frame = json.loads(await ws.recv())
    assert frame["type"] == "snapshot"
    assert [w["alert_id"] for w in frame["data"]["early_warnings"]] == [w["alert_id"] for w in district]

    # a warning whose window ended more than warning_active_hours ago is no longer on the board
    await pool.execute("UPDATE early_warnings SET window_start = window_start - interval '3 days', "
                       "window_end = window_end - interval '3 days'")  # fmt: skip
    assert ok(await (await login("dh-supervisor")).get("/api/board"))["early_warnings"] == []


SURGE_TEXT = "桂园新村到白云山庄的路灯一到晚上就全灭，已经一个多星期了，老人晚上出门摔倒好几次。"


async def test_a_surge_names_the_first_tickets_each_board_may_open(
    login: Login, web_server: str, settings: Settings
) -> None:
    """A surge of 22 calls from 桂园新村 (东湖区), then 3 from 白云山庄 (西岭区): the city's and 东湖区's supervisors
    see its first 20 tickets (TICKETS_NAMED) of 25, 西岭区's supervisor its own 3, which come after 20 others, in
    the event and in the snapshot; every board sees how many there are."""
    west = await board_socket(web_server, "xl-supervisor")
    operator = await login("operator")
    calls = [("东湖区桂花街道桂园新村", 22), ("西岭区白云街道白云山庄", 3)]
    ids = [
        ok(await operator.post("/api/tickets", json={"type": "complaint", "content": SURGE_TEXT, "address": address,
                                                     "category_code": "MUNICIPAL", "caller_phone": f"1391234{n:04d}"}),
           201)["id"]
        for address, count in calls for n in range(count)
    ]  # fmt: skip
    east_ids, west_ids = ids[:22], ids[22:]
    assert await run_through_queue(settings, "early_warning_scan", "surge-warnings") >= 2  # the text and 桂园新村
    try:
        [west_event] = [f["payload"] for f in await frames_until(west, "early.warning", 1)
                        if f["event_type"] == "early.warning"]  # fmt: skip
    finally:
        await west.close()
    assert west_event["ticket_ids"] == west_ids and west_event["ticket_count"] == 25

    def surge(board: dict[str, Any], kind: str) -> dict[str, Any]:
        [found] = [w for w in board["early_warnings"] if w["cluster_kind"] == kind and w["ticket_ids"][0] in ids]
        return found

    city = ok(await (await login("supervisor")).get("/api/board"))
    east = ok(await (await login("dh-supervisor")).get("/api/board"))
    west_board = ok(await (await login("xl-supervisor")).get("/api/board"))
    assert surge(city, "text")["ticket_ids"] == ids[:20] and surge(city, "text")["ticket_count"] == 25
    assert surge(east, "text")["ticket_ids"] == east_ids[:20]
    assert surge(city, "place")["ticket_ids"] == east_ids[:20] and surge(city, "place")["ticket_count"] == 22
    assert surge(west_board, "text")["ticket_ids"] == west_ids and surge(west_board, "text")["number"]
    assert [w["cluster_kind"] for w in west_board["early_warnings"] if w["ticket_ids"][:1] == east_ids[:1]] == []
