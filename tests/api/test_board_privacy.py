"""What the live board tells its many viewers: no raw phone or ID number in a snapshot or an event, and no
event naming a ticket outside the subtree of a board it goes to.

Roles: supervisors of the city (云川市), of a district (东湖区, 西岭区) and of a street (青山街道) watch their
boards; an event goes to every unit on its unit_path, so every ticket it names must be one each of those
units may open (held or co-handled in its subtree).
"""

from __future__ import annotations

import json
import re
from typing import Any

import asyncpg
import pytest

from hotline.settings import Settings
from realtime.events import Event
from realtime.stream import DEFAULT_STREAM
from tests.support.api import Login, board_socket, frames_until, ok
from tests.support.calls import NOISE_CALL, cluster_calls
from tests.support.jobs import run_through_queue

pytestmark = pytest.mark.usefixtures("city")

MOBILE, ID_NUMBER = "13912345678", "430102199003071234"
RAW_NUMBERS = re.compile(r"1[3-9]\d{9}|\d{17}[\dXx]")
NUMBERS_CALL = {
    **NOISE_CALL,
    "content": f"烧烤店凌晨两点还在营业，我手机{MOBILE}，身份证{ID_NUMBER}，请回电。",
}


def raw_numbers(value: Any) -> list[str]:
    return RAW_NUMBERS.findall(json.dumps(value, ensure_ascii=False))


async def stream(redis: Any) -> list[Event]:
    return [Event.from_entry(i, f) for i, f in await redis.xrange(DEFAULT_STREAM)]


async def test_board_snapshots_and_every_event_carry_no_raw_number_for_any_supervisor(
    login: Login, redis: Any, city: dict[str, int]
) -> None:
    """City, district and street supervisors: the board's countdown and supervised summaries, its appeals, and the
    payload of every event (created, dispatched, signed, urged with a note, a supervision order with a reason,
    merged), show phone and ID numbers masked."""
    operator = await login("operator")
    ticket = ok(await operator.post("/api/tickets", json=NUMBERS_CALL), 201)
    again = {**NUMBERS_CALL, "merge_into": ticket["id"]}
    assert ok(await operator.post("/api/tickets", json=again), 201)["state"] == "merged"
    ok(await (await login("dh-s1-c1-handler")).post(f"/api/tickets/{ticket['id']}/sign"))
    street = await login("dh-s1-supervisor")
    ok(await street.post(f"/api/tickets/{ticket['id']}/urge", json={"text": f"请尽快回电{MOBILE}"}))
    ok(await street.post(f"/api/tickets/{ticket['id']}/supervise", json={"reason": f"来电人{MOBILE}多次反映"}))
    appeal = {"kind": "other", "reason": f"来电人{MOBILE}提出的要求超出职责"}
    ok(await (await login("dh-s1-c1-handler")).post(f"/api/tickets/{ticket['id']}/appeals", json=appeal), 201)

    for username in ("supervisor", "dh-supervisor", "dh-s1-supervisor"):
        board = ok(await (await login(username)).get("/api/board"))
        [line] = [d for d in board["countdown"] if d["id"] == ticket["id"]][:1]
        assert "139****5678" in line["summary"] and "430***********1234" in line["summary"]
        assert raw_numbers(board) == [], username
        appeals = ok(await (await login(username)).get("/api/appeals"))["items"]
        assert [a["reason"] for a in appeals] == ["来电人139****5678提出的要求超出职责"]

    events = await stream(redis)
    types = {e.type for e in events}
    assert {"ticket.created", "ticket.merged", "ticket.signed", "ticket.urged", "supervision.order"} <= types
    assert [e.payload for e in events if raw_numbers(e.payload)] == []
    urged = next(e for e in events if e.type == "ticket.urged")
    assert urged.payload["note"] == "请尽快回电139****5678"


async def _openers(pool: asyncpg.Pool, ticket_ids: set[int]) -> dict[int, set[int]]:
    """The units that may open each ticket, or could when an event was sent: those that held it or were named to
    co-handle it (a co-unit hears of the ticket until a re-route ends its part; co_unit_parts keeps who was named),
    and their ancestors."""
    parents = {r["id"]: r["parent_id"] for r in await pool.fetch("SELECT id, parent_id FROM units")}
    rows = await pool.fetch(
        "SELECT t.id, array(SELECT unit_id FROM ticket_units WHERE ticket_id = t.id)"
        " || array(SELECT unit_id FROM co_unit_parts WHERE ticket_id = t.id) || t.co_unit_ids AS units"
        " FROM tickets t WHERE t.id = ANY($1::bigint[])",
        sorted(ticket_ids),
    )
    openers: dict[int, set[int]] = {}
    for r in rows:
        found: set[int] = set()
        for unit in r["units"]:
            while unit is not None:
                found.add(unit)
                unit = parents[unit]
        openers[r["id"]] = found
    return openers


def named_tickets(payload: dict[str, Any]) -> set[int]:
    ids = {payload.get("ticket_id"), payload.get("master_ticket_id"), *payload.get("ticket_ids", [])}
    return {int(i) for i in ids if i is not None}


async def test_no_board_event_names_a_ticket_outside_the_subtree_of_a_board_it_reaches(
    login: Login, web_server: str, pool: asyncpg.Pool, redis: Any, settings: Settings, city: dict[str, int]
) -> None:
    """District supervisors of 东湖区 and 西岭区: a text cluster spans both districts, and each board hears of it
    with only its own tickets; the city's board hears of each warning once, with all of them. Every event in the
    stream names only tickets every unit on its path may open."""
    west = await board_socket(web_server, "xl-supervisor")
    east = await board_socket(web_server, "dh-supervisor")
    centre = await board_socket(web_server, "supervisor")
    operator = await login("operator")
    for call in cluster_calls("1381234"):  # three clusters; the text one spans 东湖区 and 西岭区
        ok(await operator.post("/api/tickets", json=call), 201)
    master = ok(await operator.post("/api/tickets", json=NUMBERS_CALL), 201)
    ok(await operator.post("/api/tickets", json={**NUMBERS_CALL, "merge_into": master["id"]}), 201)
    ok(await (await login("dh-s1-c1-handler")).post(f"/api/tickets/{master['id']}/return", json={"reason": "非本社区"}))
    ok(
        await (await login("dh-s1-dispatcher")).post(
            f"/api/tickets/{master['id']}/return-review", json={"approve": True}
        )
    )
    assert await run_through_queue(settings, "early_warning_scan", "privacy-warnings") == 3

    try:
        city_frames = await frames_until(centre, "early.warning", 3)
        west_frames = await frames_until(west, "early.warning", 1)
        east_frames = await frames_until(east, "early.warning", 2)
    finally:
        for ws in (west, east, centre):
            await ws.close()

    west_listed = {t["id"] for t in ok(await (await login("xl-supervisor")).get("/api/tickets"))["items"]}
    east_listed = {t["id"] for t in ok(await (await login("dh-supervisor")).get("/api/tickets"))["items"]}
    [west_warning] = [f["payload"] for f in west_frames if f["event_type"] == "early.warning"]
    assert west_warning["cluster_kind"] == "text" and west_warning["ticket_count"] == 5
    assert len(west_warning["ticket_ids"]) == 2 and set(west_warning["ticket_ids"]) <= west_listed
    assert west_warning["ticket_id"] in west_listed
    east_text = next(f["payload"] for f in east_frames if f["payload"].get("cluster_kind") == "text")
    assert len(east_text["ticket_ids"]) == 3 and set(east_text["ticket_ids"]) <= east_listed
    city_warnings = [f["payload"] for f in city_frames if f["event_type"] == "early.warning"]
    assert [len(w["ticket_ids"]) == w["ticket_count"] for w in city_warnings] == [True] * 3
    assert len({w["warning_id"] for w in city_warnings}) == 3  # each once

    snapshot = ok(await (await login("xl-supervisor")).get("/api/board"))["early_warnings"]
    assert [set(w["ticket_ids"]) <= west_listed for w in snapshot] == [True]
    street = ok(await (await login("xl-s2-supervisor")).get("/api/board"))["early_warnings"]
    assert [(w["cluster_kind"], w["ticket_ids"], w["number"]) for w in street] == [("text", [], None)]

    events = await stream(redis)
    assert {"ticket.merged", "ticket.returned", "ticket.queued", "early.warning"} <= {e.type for e in events}
    openers = await _openers(pool, {i for e in events for i in named_tickets(e.payload)})
    leaks = [
        (e.type, unit, ticket_id)
        for e in events
        for ticket_id in named_tickets(e.payload)
        for unit in e.unit_path
        if unit not in openers[ticket_id]
    ]
    assert leaks == []
