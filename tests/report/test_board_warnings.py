"""The board's snapshot lists the active early warnings of the supervisor's subtree, over HTTP and the websocket."""

from __future__ import annotations

import json

import asyncpg
import pytest
from websockets.asyncio.client import connect

from hotline.settings import Settings
from tests.conftest import Login, ok, run_through_queue

pytestmark = pytest.mark.usefixtures("city")

# (address, category, text, how many), all within the last hour: a place cluster in 东湖区, one in 南江区,
# and a text cluster from a community of 东湖区 and one of 西岭区.
CALLS = [
    ("东湖区青山街道柳岸花园3栋", "NOISE", "柳岸花园3栋楼下烧烤店凌晨两点还在营业，噪音很大。", 5),
    ("南江区江湾街道江湾一号", "UTILITIES", "江湾一号整栋楼停水一上午了，一直没有通知。", 5),
    ("东湖区桂花街道桂园新村", "TRAFFIC", "地铁施工围挡把人行道占了，行人只能走机动车道，太危险。", 3),
    ("西岭区白云街道白云山庄", "TRAFFIC", "地铁施工围挡把人行道占了，行人只能走机动车道，太危险！", 2),
]


async def scan(settings: Settings) -> int:
    return int(await run_through_queue(settings, "early_warning_scan", "board-warnings"))


async def test_board_lists_the_warnings_of_its_subtree(
    login: Login, web_server: str, pool: asyncpg.Pool, settings: Settings
) -> None:
    operator = await login("operator")
    for n, (address, category, text, count) in enumerate(CALLS):
        for i in range(count):
            call = {"type": "complaint", "content": text, "address": address, "category_code": category,
                    "caller_phone": f"1381234{n}{i:03d}"}  # fmt: skip
            ok(await operator.post("/api/tickets", json=call), 201)
    assert await scan(settings) == 3

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
