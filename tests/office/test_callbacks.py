"""回访 over HTTP: the workbench's list, its own clock, the rules of an attempt, and two operators at once.

Who sees what: the callback list is the hotline centre's (operators, city dispatchers); a handler asking for it
gets 403. The reason of a dissatisfied callback reaches the unit with numbers in it masked.
"""

from __future__ import annotations

import asyncio

import asyncpg

from tests.support.api import Login, ok
from tests.support.office import reviewed_ticket


async def test_the_callback_workbench_rules(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    operator, handler, street = (
        await login("operator"),
        await login("dh-s1-c1-handler"),
        await login("dh-s1-dispatcher"),
    )
    tickets = [await reviewed_ticket(operator, handler, street, f"1391234000{i}") for i in range(4)]
    clock = await pool.fetchrow(
        "SELECT unit_id, status, rule_name FROM deadlines WHERE ticket_id = $1 AND track = 'callback'", tickets[0]
    )
    assert (clock["unit_id"], clock["status"], clock["rule_name"]) == (city["YC"], "running", "48小时内回访")

    listed = ok(await operator.get("/api/tickets?scope=callbacks"))["items"]
    assert [t["id"] for t in listed] == tickets  # the longest waiting first
    assert all(t["next_due_at"] and t["waiting_since"] and t["unreachable_attempts"] == 0 for t in listed)
    assert listed[0]["caller_phone"] == "13912340000"  # the centre sees the number it calls
    refused = await handler.get("/api/tickets?scope=callbacks")
    assert refused.status_code == 403 and refused.json()["error"]["message"] == "只有话务员、派单员可以执行此操作"

    # unreachable twice: still waiting, the attempts counted; the third closes it as 无法联系, without a score
    first = tickets[0]
    for attempt in (1, 2):
        assert ok(await operator.post(f"/api/tickets/{first}/callback", json={"reached": False}))["state"] == "reviewed"
        listed = ok(await operator.get("/api/tickets?scope=callbacks"))["items"]
        assert listed[0]["unreachable_attempts"] == attempt
    closed = ok(await operator.post(f"/api/tickets/{first}/callback", json={"reached": False, "note": "关机"}))
    assert (closed["state"], closed["satisfaction"]) == ("closed", None)
    last = await pool.fetchrow(
        "SELECT action, reason, payload FROM ticket_events WHERE ticket_id = $1 ORDER BY id DESC LIMIT 1", first
    )
    assert last["action"] == "close_without_callback" and last["reason"] == "回访 3 次均未接通，按无法联系办结：关机"
    assert (
        await pool.fetchval("SELECT status FROM deadlines WHERE ticket_id = $1 AND track = 'callback'", first) == "met"
    )

    # 免回访 needs a reason
    waived = tickets[1]
    bare = await operator.post(f"/api/tickets/{waived}/callback-waive", json={"reason": " "})
    assert bare.status_code == 422
    ok(await operator.post(f"/api/tickets/{waived}/callback-waive", json={"reason": "诉求人要求不再回访"}))

    # dissatisfied needs a reason, reopens to the same unit, and the unit reads the reason (its numbers masked)
    reopened = tickets[2]
    vague = {"reached": True, "resolved": False, "satisfaction": "dissatisfied"}
    missing = await operator.post(f"/api/tickets/{reopened}/callback", json=vague)
    assert missing.status_code == 422 and "原因" in missing.json()["error"]["message"]
    said = "烧烤店仍营业到凌晨，请回电13912340002"
    again = ok(await operator.post(f"/api/tickets/{reopened}/callback", json={**vague, "note": said}))
    assert (again["state"], again["holder_unit_id"], again["reopen_count"]) == ("assigned", city["DH-S1-C1"], 1)
    inbox = {t["id"]: t for t in ok(await handler.get("/api/tickets?scope=inbox"))["items"]}
    assert inbox[reopened]["reopen_reason"] == "烧烤店仍营业到凌晨，请回电139****0002"

    ok(
        await operator.post(
            f"/api/tickets/{tickets[3]}/callback",
            json={"reached": True, "resolved": True, "satisfaction": "basically_satisfied"},
        )
    )
    assert ok(await operator.get("/api/tickets?scope=callbacks"))["items"] == []

    # the board: 4 callbacks finished (unreachable, waived, dissatisfied, basically satisfied), 2 reached, 1 satisfied
    board = ok(await (await login("supervisor")).get("/api/board"))["callbacks"]
    expected = {"finished": 4, "reached": 2, "satisfied": 1, "callback_rate": 0.5, "satisfaction_rate": 0.5}
    assert {key: board[key] for key in expected} == expected and board["waiting"] == 0


async def test_two_callbacks_at_once_one_wins(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    operator, handler, street = (
        await login("operator"),
        await login("dh-s1-c1-handler"),
        await login("dh-s1-dispatcher"),
    )
    second = await login("dispatcher")  # a city dispatcher at the hotline centre may call back too
    tid = await reviewed_ticket(operator, handler, street, "13912341111")
    body = {"reached": True, "resolved": True, "satisfaction": "satisfied"}
    responses = await asyncio.gather(*(c.post(f"/api/tickets/{tid}/callback", json=body) for c in (operator, second)))
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert await pool.fetchval("SELECT count(*) FROM callback_attempts WHERE ticket_id = $1", tid) == 1
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND action = 'callback_satisfied'", tid
        )
        == 1
    )
