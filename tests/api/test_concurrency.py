"""Two people acting on one ticket at the same moment: one wins, the other gets 409, the log stays consistent."""

from __future__ import annotations

import asyncio
import itertools

import asyncpg

from hotline.passwords import hash_password
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL


async def second_handler(pool: asyncpg.Pool, unit_id: int) -> str:
    await pool.execute(
        "INSERT INTO users (username, display_name, role, unit_id, password_hash) VALUES ($1, $2, 'handler', $3, $4)",
        "liuan-2",
        "柳岸社区承办人二",
        unit_id,
        hash_password("demo12345"),
    )
    return "liuan-2"


async def test_two_handlers_sign_at_once(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    operator = await login("operator")
    first = await login("dh-s1-c1-handler")
    second = await login(await second_handler(pool, city["DH-S1-C1"]))
    for round_ in range(5):
        ticket = ok(
            await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": f"1381234000{round_}"}), 201
        )
        url = f"/api/tickets/{ticket['id']}/sign"
        responses = await asyncio.gather(first.post(url), second.post(url))
        assert sorted(r.status_code for r in responses) == [200, 409]
        loser = next(r for r in responses if r.status_code == 409)
        assert loser.json()["error"]["message"] == "工单当前状态为「已签收」，不能执行「签收」"
        signs = await pool.fetchval(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND action = 'sign'", ticket["id"]
        )
        assert signs == 1


async def test_return_and_complete_race(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    operator = await login("operator")
    first = await login("dh-s1-c1-handler")
    second = await login(await second_handler(pool, city["DH-S1-C1"]))
    ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    tid = ticket["id"]
    ok(await first.post(f"/api/tickets/{tid}/sign"))
    ok(await first.post(f"/api/tickets/{tid}/contact", json={"method": "phone", "outcome": "reached"}))
    responses = await asyncio.gather(
        first.post(f"/api/tickets/{tid}/complete", json={"result": "已处理"}),
        second.post(f"/api/tickets/{tid}/return", json={"reason": "不归本社区"}),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    final = ok(await operator.get(f"/api/tickets/{tid}"))
    winner = next(r for r in responses if r.status_code == 200).json()
    assert final["state"] == winner["state"] and final["version"] == winner["version"]
    rows = await pool.fetch("SELECT from_state, to_state FROM ticket_events WHERE ticket_id = $1 ORDER BY id", tid)
    for before, after in itertools.pairwise(rows):
        assert after["from_state"] == before["to_state"]  # an unbroken chain of states
    assert rows[-1]["to_state"] == final["state"]


async def test_retried_submits_at_once_make_one_ticket(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    """A client retrying a submit that has not answered yet: the retries wait for the first and return its ticket."""
    operator = await login("operator")
    headers = {"Idempotency-Key": "call-retried-at-once"}
    submits = (operator.post("/api/tickets", json=NOISE_CALL, headers=headers) for _ in range(8))
    responses = await asyncio.gather(*submits)
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["number"] for r in responses}) == 1
    tid = responses[0].json()["id"]
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 1
    trail = await pool.fetch(
        "SELECT action, from_state, to_state FROM ticket_events WHERE ticket_id = $1 ORDER BY id", tid
    )
    # one creation, then the hops city → district → street → community, in order
    assert [e["action"] for e in trail] == ["create", "route_auto", "assign", "assign"]
    assert [(e["from_state"], e["to_state"]) for e in trail][:2] == [(None, "new"), ("new", "assigned")]
    clocks = await pool.fetch("SELECT track FROM deadlines WHERE ticket_id = $1 AND status = 'running'", tid)
    assert sorted(c["track"] for c in clocks) == ["complete", "reply"]
    # the first answer (its clocks as just started) and the retries (clocks read) say the same as a later read
    created = next(r.json() for r in responses if r.status_code == 201)
    later = ok(await operator.get(f"/api/tickets/{tid}"))
    assert created["deadlines"] == later["deadlines"] == responses[-1].json()["deadlines"]


# No category and no place: the ticket waits at the city's dispatcher, where it may still be merged.
UNCLEAR_CALL = {"type": "complaint", "channel": "phone", "content": "我想反映一下上次说的那个情况，到现在还没有结果。"}


async def test_opposite_merges_at_once_never_deadlock(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    """A into B and B into A at the same moment: both lock the two tickets in id order, so one merges and the
    other finds its master already merged (409), where locking in request order deadlocked until PostgreSQL
    cancelled one (a 409 "conflict" after its deadlock_timeout)."""
    operator = await login("operator")
    for _round in range(4):
        a, b = [ok(await operator.post("/api/tickets", json=UNCLEAR_CALL), 201) for _ in range(2)]
        assert a["state"] == b["state"] == "pending_dispatch"
        responses = await asyncio.gather(
            operator.post(f"/api/tickets/{a['id']}/merge", json={"master_ticket_id": b["id"], "note": "重复来电"}),
            operator.post(f"/api/tickets/{b['id']}/merge", json={"master_ticket_id": a["id"], "note": "重复来电"}),
        )
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 409).json()["error"]
        assert loser["code"] in ("master_closed", "invalid_transition"), loser
        merged = await pool.fetchval(
            "SELECT count(*) FROM tickets WHERE id = ANY($1::bigint[]) AND master_ticket_id IS NOT NULL",
            [a["id"], b["id"]],
        )
        assert merged == 1
