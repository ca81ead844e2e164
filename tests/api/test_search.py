"""查找工单 (GET /api/search/tickets) and the citizens' 进度查询 (POST /api/public/progress).

Who sees what: the hotline centre (operator, city dispatcher) finds every ticket, by phone too; a district
(东湖区's dispatcher) only tickets its subtree holds or held, and a community handler only its own; below the
centre nobody searches by phone (403) and a phone number typed as text finds nothing. Results show the
summary and the caller's number masked for everyone (138****1234), no number at all for a confidential
ticket below the centre. The public look-up needs the number and the phone's last four digits, answers with
stage, unit level and the district only, and is rate-limited per address."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from hotline.queries import Q
from hotline.tickets import search, search_index
from tests.support.api import Login, ok

CITY_TZ = ZoneInfo("Asia/Shanghai")  # config.toml [app] timezone
BBQ = {  # 东湖区 › 青山街道 › 柳岸社区
    "type": "complaint",
    "channel": "phone",
    "content": "柳岸花园北门的烧烤摊油烟扰民，晚上十点以后还在营业，回电13812345678。",
    "address": "东湖区青山街道柳岸花园5栋",
    "caller_phone": "13812341234",
    "caller_name": "王建国",
    "category_code": "NOISE",
}
WATER = {  # 南江区
    "type": "help_request",
    "channel": "web",
    "content": "江湾一号整栋楼停水一上午了，一直没有通知。",
    "address": "南江区江湾街道江湾一号",
    "caller_phone": "13900001111",
    "category_code": "UTILITIES",
}
REPORT = {  # 举报: confidential unless the caller says otherwise
    **BBQ,
    "type": "report",
    "content": "柳岸花园有人私自改建车库开餐馆，油烟直排。",
    "caller_phone": "13812341234",
}


@pytest.fixture(scope="module")
async def tickets(module_city: dict[str, int], web_server: str) -> dict[str, dict[str, Any]]:
    from tests.support.api import api_client

    async with await api_client(web_server, "operator") as operator:
        made = {
            name: ok(await operator.post("/api/tickets", json=call), 201)
            for name, call in (("bbq", BBQ), ("water", WATER), ("report", REPORT))
        }
    async with await api_client(web_server, "supervisor") as supervisor:
        ok(await supervisor.post(f"/api/tickets/{made['water']['id']}/supervise", json={"reason": "停水影响大"}))
    return made


async def found(client: httpx.AsyncClient, query: str) -> list[str]:
    return [item["number"] for item in ok(await client.get(f"/api/search/tickets?{query}"))["items"]]


async def test_the_centre_finds_by_number_phone_text_and_filters(
    tickets: dict[str, dict[str, Any]], login: Login
) -> None:
    operator = await login("operator")
    bbq, water, report = (tickets[k]["number"] for k in ("bbq", "water", "report"))
    assert await found(operator, f"number={bbq}") == [bbq]
    assert set(await found(operator, f"number={bbq[:8]}")) == {bbq, water, report}  # the date prefix
    assert await found(operator, "phone=13812341234") == [report, bbq]  # newest first
    assert await found(operator, "phone=13812341234&sort=oldest") == [bbq, report]
    assert await found(operator, "q=烧烤油烟") == [bbq]  # 烧烤摊油烟扰民 holds both words
    assert set(await found(operator, "q=油烟")) == {bbq, report}
    assert await found(operator, "q=停水 通知") == [water]
    assert await found(operator, "q=油烟&type=report") == [report]
    assert await found(operator, "channel=web") == [water]
    assert await found(operator, "category=UTILITIES") == [water]
    assert await found(operator, "supervised=1") == [water]
    assert await found(operator, "overdue=1") == []
    holder = tickets["bbq"]["holder_unit_id"]
    assert set(await found(operator, f"unit={holder}")) == {bbq, report}
    assert set(await found(operator, f"state={tickets['bbq']['state']}")) >= {bbq}
    assert await found(operator, "state=closed") == []
    # the filter's days are the city's (Asia/Shanghai): from 16:00 UTC the local day is the next one
    day = f"{datetime.fromisoformat(tickets['bbq']['created_at']).astimezone(CITY_TZ):%Y-%m-%d}"
    assert len(await found(operator, f"from={day}&to={day}")) == 3
    assert await found(operator, "to=2020-01-01") == []
    # valid questions without an answer: no tickets, not an error
    for query in ("category=NOPE", f"from={day}&to=2020-01-01", "from=0001-01-01&to=0002-01-01", "q=的", "q=%00"):
        assert await found(operator, query) == []
    assert await found(operator, f"number={bbq}&q=停水") == [bbq]  # a number goes before words
    assert set(await found(operator, "state=closed&state=assigned")) >= {bbq}

    line = ok(await operator.get(f"/api/search/tickets?number={bbq}"))["items"][0]
    assert line["caller_phone"] == "138****1234" and "13812345678" not in line["summary"]
    assert line["holder_unit_name"] == "柳岸社区" and line["last_action"] and line["next_due_at"]


async def pages(client: httpx.AsyncClient, query: str) -> list[str]:
    seen, after = [], ""
    while True:
        page = ok(await client.get(f"/api/search/tickets?limit=1&{query}{after}"))
        seen += [item["number"] for item in page["items"]]
        if not page["more"]:
            return seen
        after = f"&after={page['next']}"


async def test_pages_follow_each_other_without_gaps(tickets: dict[str, dict[str, Any]], login: Login) -> None:
    operator = await login("operator")
    everything = await found(operator, "limit=200")
    assert await pages(operator, "sort=newest") == everything and len(everything) == 3
    assert await pages(operator, "sort=oldest") == everything[::-1]
    assert (
        await pages(operator, "q=油烟")
        == await found(operator, "q=油烟")
        == [tickets["report"]["number"], tickets["bbq"]["number"]]
    )


async def test_each_role_finds_only_within_its_scope(tickets: dict[str, dict[str, Any]], login: Login) -> None:
    district = await login("dh-dispatcher")  # 东湖区
    community = await login("dh-s1-c1-handler")  # 柳岸社区
    other = await login("dh-s2-handler")  # another street of 东湖区
    bbq, water, report = (tickets[k]["number"] for k in ("bbq", "water", "report"))
    assert set(await found(district, "limit=200")) == {bbq, report}
    assert set(await found(community, "q=油烟")) == {bbq, report}
    assert await found(district, f"number={water}") == []  # 南江区's: as if it did not exist
    assert await found(other, "q=油烟") == []
    # a number in the text is masked before it is cut: it is no word to find a ticket by
    nothing = ok(await district.get("/api/search/tickets?q=13812345678"))
    assert nothing["items"] == [] and nothing["notice"] == "关键词中没有可查找的词，请换个说法"

    refused = await district.get("/api/search/tickets?phone=13812341234")
    assert refused.status_code == 403 and "热线中心" in refused.json()["error"]["message"]
    nanjiang = tickets["water"]["holder_unit_id"]
    assert (await district.get(f"/api/search/tickets?unit={nanjiang}")).status_code == 403

    lines = {i["number"]: i for i in ok(await district.get("/api/search/tickets"))["items"]}
    assert lines[bbq]["caller_phone"] == "138****1234"
    assert lines[report]["confidential"] and lines[report]["caller_phone"] is None


@pytest.mark.parametrize(
    "query",
    ["number=12", "number=1;drop", "number=", "phone=12", "type=x", "type=", "channel=x", "state=x", "from=2026-13-01",
     "to=", "sort=x", "after=x", "limit=0", "overdue=x", "overdue=", "q=" + "停水" * 101],
)  # fmt: skip
async def test_bad_input_is_a_chinese_422(tickets: dict[str, dict[str, Any]], login: Login, query: str) -> None:
    operator = await login("operator")
    response = await operator.get(f"/api/search/tickets?{query}")
    assert response.status_code == 422, response.text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["error"]["message"])


async def test_words_found_through_the_windows_give_the_page_one_query_gives(
    tickets: dict[str, dict[str, Any]], pool: asyncpg.Pool
) -> None:
    """With one recent row read in order, a search by words goes through the windows (3 days, then further back,
    none overlapping the last): an older ticket is found in its window, and every page equals the plain query's,
    cursor after cursor, in every kind of scope (rows of several windows make up one page when the limit is 2)."""
    ids = [tickets[k]["id"] for k in ("bbq", "report")]
    kept = (await pool.fetchrow(Q.ticket_by_id, ids[0]))["created_at"]
    await pool.execute(Q.ticket_created_at_moved, ids[0], kept - timedelta(days=100))
    try:
        holder = tickets["bbq"]["holder_unit_id"]  # 柳岸社区: a narrow scope
        scopes = (
            search.Scope(),
            search.Scope([holder], narrow=True),
            search.Scope([holder, 1], narrow=False),
            search.Scope([holder, 1], narrow=False, bounded=True),  # read whole after the recent row
        )
        async with pool.acquire() as conn:
            for limit, scope in itertools.product((1, 2, 3), scopes):
                page, pages = search.Page(limit=limit), []
                while True:
                    async with conn.transaction():
                        args = (conn, search.Key("text", "油烟"), search.Filters(), page, scope, datetime.now(UTC))
                        found = await search.find(*args, recent_rows=1)
                        assert found == await search.plain_page(*args)
                    pages.append([r["id"] for r in found.rows])
                    if not found.more:
                        break
                    page = replace(page, after=(found.rows[-1]["created_at"], found.rows[-1]["id"]))
                assert [i for p in pages for i in p] == ids[::-1]
    finally:
        await pool.execute(Q.ticket_created_at_moved, ids[0], kept)


async def test_a_scope_below_a_district_is_read_whole_only_while_it_holds_few_tickets(
    tickets: dict[str, dict[str, Any]], pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A community's tickets are read whole (the narrow queries) while they number at most NARROW_TICKETS; a
    megacity's busiest community holds more, and is searched through the windows as a district is. A district or
    the whole city is never narrow."""
    community = tickets["bbq"]["holder_unit_id"]  # 柳岸社区, holding a few tickets
    async with pool.acquire() as conn:

        async def sized(units: list[int] | None, below_district: bool) -> tuple[str, bool]:
            scope = await search.sized_scope(conn, units, below_district)
            return scope.kind, scope.bounded

        assert await sized([community], below_district=True) == ("narrow", True)
        assert await sized([community], below_district=False) == ("wide", False)
        assert await sized(None, below_district=True) == ("wide", False)
        monkeypatch.setattr(search, "NARROW_TICKETS", 0)
        assert await sized([community], below_district=True) == ("wide", True)
        monkeypatch.setattr(search, "WHOLE_TICKETS", 0)
        assert await sized([community], below_district=True) == ("wide", False)


async def test_a_bounded_scope_is_read_whole_when_the_newest_tickets_do_not_fill_the_page(
    tickets: dict[str, dict[str, Any]], pool: asyncpg.Pool
) -> None:
    """A scope below a district holding more than NARROW_TICKETS but at most WHOLE_TICKETS reads the newest tickets,
    then, for words they do not fill a page with, its own tickets whole in one query (the narrow one): never the
    windows, which on 10M tickets read for 16 s for words a community rarely has."""
    community = tickets["bbq"]["holder_unit_id"]
    queries: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        with conn.query_logger(lambda record: queries.append(record.query)):
            for bounded in (True, False):
                scope = search.Scope([community, 1], narrow=False, bounded=bounded)
                found = await search.find(
                    conn, search.Key("text", "油烟"), search.Filters(), search.Page(), scope, datetime.now(UTC), 1
                )
                assert [r["id"] for r in found.rows] == [tickets["report"]["id"], tickets["bbq"]["id"]]
                await asyncio.sleep(0)  # asyncpg hands each query to its loggers with call_soon
                windows, whole = queries.count(Q.search_newest_text_wide), queries.count(Q.search_newest_text_narrow)
                assert (whole, windows > 0) == ((1, False) if bounded else (0, True))
                queries.clear()


async def test_words_between_two_dates_find_the_tickets_of_those_city_days(
    tickets: dict[str, dict[str, Any]], pool: asyncpg.Pool, login: Login
) -> None:
    """The text index holds each ticket's day (migration 0024) and a search with dates asks it for those days; the
    dates are the city's, so a ticket at 23:30 UTC is found on the next day, in either order, and a range longer
    than the index's days are asked for (400 days) still finds it by its words."""
    bbq, report = tickets["bbq"]["number"], tickets["report"]["number"]
    kept = (await pool.fetchrow(Q.ticket_by_id, tickets["bbq"]["id"]))["created_at"]
    await pool.execute(Q.ticket_created_at_moved, tickets["bbq"]["id"], datetime(2026, 6, 10, 23, 30, tzinfo=UTC))
    try:
        operator = await login("operator")
        assert await found(operator, "q=油烟&from=2026-06-11&to=2026-06-11") == [bbq]  # 07:30 on the 11th here
        assert await found(operator, "q=油烟&from=2026-06-10&to=2026-06-10") == []
        assert await found(operator, "q=油烟&from=2026-06-01&to=2026-06-30&sort=oldest") == [bbq]
        assert await found(operator, "q=油烟&from=2026-06-01") == [report, bbq]
        assert await found(operator, "q=油烟&from=2026-06-01&sort=oldest") == [bbq, report]
        assert await found(operator, "q=油烟&from=2026-06-12") == [report]
        assert await found(operator, "q=油烟&from=2024-01-01&to=2026-06-30") == [bbq]  # 911 days: by words alone
    finally:
        await pool.execute(Q.ticket_created_at_moved, tickets["bbq"]["id"], kept)


async def test_tickets_written_before_the_index_are_filled_in(
    tickets: dict[str, dict[str, Any]], pool: asyncpg.Pool, login: Login
) -> None:
    await pool.execute("UPDATE tickets SET search_tokens = NULL WHERE id = $1", tickets["water"]["id"])
    operator = await login("operator")
    assert await found(operator, "q=停水") == []
    async with pool.acquire() as conn:
        assert await search_index.backfill(conn) == 1
    assert await found(operator, "q=停水") == [tickets["water"]["number"]]


async def test_a_citizen_sees_stage_level_and_dates_only(
    tickets: dict[str, dict[str, Any]], http: httpx.AsyncClient, redis: Any
) -> None:
    await redis.flushdb()
    number = tickets["bbq"]["number"]
    answer = ok(await http.post("/api/public/progress", json={"number": number, "phone_last4": "1234"}))
    assert answer["stage"] == "已派至承办单位，等待签收"
    assert answer["unit_level"] == "社区" and answer["district"] == "东湖区"
    assert not {"caller_phone", "caller_name", "address", "content", "holder_unit_name"} & set(answer)
    assert "柳岸" not in str(answer) and "王" not in str(answer)

    wrong = await http.post("/api/public/progress", json={"number": number, "phone_last4": "0000"})
    missing = await http.post("/api/public/progress", json={"number": "20990101000001", "phone_last4": "1234"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json()["error"]["message"] == missing.json()["error"]["message"]  # nothing tells them apart
    assert (await http.post("/api/public/progress", json={"number": number})).status_code == 422

    statuses = [
        (await http.post("/api/public/progress", json={"number": number, "phone_last4": "1234"})).status_code
        for _ in range(8)
    ]
    assert statuses[:6] == [200] * 6 and statuses[-1] == 429  # ten attempts per address and ten minutes
    refused = await http.post("/api/public/progress", json={"number": number, "phone_last4": "1234"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    await redis.flushdb()
