"""The board's snapshot lists the active early warnings of the supervisor's subtree, over HTTP and the websocket."""

from __future__ import annotations

import json

import asyncpg
import pytest
from websockets.asyncio.client import connect

from hotline.settings import Settings
from tests.support.api import Login, ok
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
