"""One ticket through every gate on the demo city, over HTTP, with the event log checked at the end."""

from __future__ import annotations

import asyncpg

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL


async def test_one_ticket_through_every_gate(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    operator = await login("operator")
    community = await login("dh-s1-c1-handler")
    street = await login("dh-s1-dispatcher")

    ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL, headers={"Idempotency-Key": "call-1"}), 201)
    tid = ticket["id"]
    # auto-dispatch: city -> district -> street -> community, each hop on record
    assert ticket["state"] == "assigned"
    assert ticket["holder_unit_id"] == city["DH-S1-C1"]
    assert ticket["routing"]["auto"] is True
    assert any("柳岸" in reason for reason in ticket["routing"]["reasons"])
    assert {d["track"] for d in ticket["deadlines"]} == {"reply", "complete"}

    # a retried submit returns the same ticket
    again = await operator.post("/api/tickets", json=NOISE_CALL, headers={"Idempotency-Key": "call-1"})
    assert again.status_code == 200 and again.json()["id"] == tid

    # the community signs, calls the citizen, asks for more time
    assert ok(await community.post(f"/api/tickets/{tid}/sign"))["state"] == "signed"
    contact = {"method": "phone", "outcome": "reached", "note": "已与王先生电话沟通"}
    ok(await community.post(f"/api/tickets/{tid}/contact", json=contact))
    before = ok(await community.get(f"/api/tickets/{tid}"))
    due_before = next(d["due_at"] for d in before["deadlines"] if d["track"] == "complete")
    ok(await community.post(f"/api/tickets/{tid}/extension", json={"extra_days": 5, "reason": "需联合执法"}))
    assert [t["id"] for t in ok(await street.get("/api/tickets?scope=extensions"))["items"]] == [tid]
    extended = ok(await street.post(f"/api/tickets/{tid}/extension-review", json={"approve": True, "note": "同意"}))
    due_after = next(d["due_at"] for d in extended["deadlines"] if d["track"] == "complete")
    assert due_after > due_before

    # completion gate: submitted, reviewed by the street above
    done = ok(await community.post(f"/api/tickets/{tid}/complete", json={"result": "已责令烧烤店 22 点前停止营业"}))
    assert done["state"] == "completed"
    assert ok(await street.post(f"/api/tickets/{tid}/completion-review", json={"approve": True}))["state"] == "reviewed"

    # callback: dissatisfied reopens the ticket to the same community with new clocks
    callback = {"reached": True, "resolved": False, "satisfaction": "dissatisfied", "note": "仍然很吵"}
    reopened = ok(await operator.post(f"/api/tickets/{tid}/callback", json=callback))
    assert reopened["state"] == "assigned" and reopened["holder_unit_id"] == city["DH-S1-C1"]
    assert reopened["reopen_count"] == 1

    # second round, then satisfied
    ok(await community.post(f"/api/tickets/{tid}/sign"))
    ok(await community.post(f"/api/tickets/{tid}/contact", json=contact))
    ok(await community.post(f"/api/tickets/{tid}/complete", json={"result": "已加装隔音设施，经营时间调整"}))
    ok(await street.post(f"/api/tickets/{tid}/completion-review", json={"approve": True}))
    callback = {"reached": True, "resolved": True, "satisfaction": "satisfied"}
    closed = ok(await operator.post(f"/api/tickets/{tid}/callback", json=callback))
    assert closed["state"] == "closed" and closed["satisfaction"] == "satisfied"

    events = ok(await operator.get(f"/api/tickets/{tid}/events"))["events"]
    steps = [(e["action"], e["actor_name"]) for e in events]
    assert steps == [
        ("create", "云川市话务员"),
        ("route_auto", "系统"),
        ("assign", "系统"),
        ("assign", "系统"),
        ("sign", "柳岸社区承办人"),
        ("record_contact", "柳岸社区承办人"),
        ("request_extension", "柳岸社区承办人"),
        ("approve_extension", "青山街道派单员"),
        ("submit_completion", "柳岸社区承办人"),
        ("accept_completion", "青山街道派单员"),
        ("callback_dissatisfied", "云川市话务员"),
        ("sign", "柳岸社区承办人"),
        ("record_contact", "柳岸社区承办人"),
        ("submit_completion", "柳岸社区承办人"),
        ("accept_completion", "青山街道派单员"),
        ("callback_satisfied", "云川市话务员"),
    ]
    hops = [e["to_unit_name"] for e in events[1:4]]
    assert hops == ["东湖区", "青山街道", "柳岸社区"]
    # the log is append-only, in the database itself
    try:
        await pool.execute("UPDATE ticket_events SET reason = 'x' WHERE ticket_id = $1", tid)
        raise AssertionError("an event was updated")
    except asyncpg.InsufficientPrivilegeError:
        pass


async def test_return_is_rerouted_by_the_level_above(city: dict[str, int], login: Login) -> None:
    operator = await login("operator")
    call = {
        **NOISE_CALL,
        "category_code": "WAGES",
        "content": "东风路一家装修公司拖欠我三个月工资一万二千元。",
        "address": "东湖区东风路",
    }
    ticket = ok(await operator.post("/api/tickets", json=call), 201)
    assert ticket["holder_unit_id"] == city["DH-RS"]  # 人社局 of 东湖区
    department = await login("dh-rs-handler")
    district = await login("dh-dispatcher")
    returned = ok(
        await department.post(f"/api/tickets/{ticket['id']}/return", json={"reason": "属于建设领域，应由住建局处理"})
    )
    assert returned["state"] == "returned" and returned["return_count"] == 1
    # the department cannot review its own return
    assert (
        await department.post(f"/api/tickets/{ticket['id']}/return-review", json={"approve": True})
    ).status_code == 403
    decision = {"approve": True, "note": "改派住建局", "reroute_to": city["DH-ZJ"]}
    rerouted = ok(await district.post(f"/api/tickets/{ticket['id']}/return-review", json=decision))
    assert rerouted["state"] == "assigned" and rerouted["holder_unit_id"] == city["DH-ZJ"]
    assert rerouted["reroute_count"] == 1

    # a rejected return goes back to the unit that returned it
    again = ok(
        await (await login("dh-zj-handler")).post(f"/api/tickets/{ticket['id']}/return", json={"reason": "不是我们"})
    )
    assert again["state"] == "returned"
    rejected = ok(
        await district.post(f"/api/tickets/{ticket['id']}/return-review", json={"approve": False, "note": "职责明确"})
    )
    assert rejected["state"] == "assigned" and rejected["holder_unit_id"] == city["DH-ZJ"]
    actions = [e["action"] for e in ok(await operator.get(f"/api/tickets/{ticket['id']}/events"))["events"]]
    assert actions[-5:] == ["return", "approve_return", "assign", "return", "reject_return"]


async def test_appeal_approved_by_a_supervisor(city: dict[str, int], login: Login) -> None:
    operator = await login("operator")
    ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    community = await login("dh-s1-c1-handler")
    appeal = ok(
        await community.post(
            f"/api/tickets/{ticket['id']}/appeals",
            json={"kind": "dissatisfied", "reason": "诉求人要求拆除合法经营店铺，不合理"},
        ),
        201,
    )
    assert appeal["status"] == "pending"
    # the same appeal twice is a conflict, and a handler cannot decide appeals
    dup = await community.post(f"/api/tickets/{ticket['id']}/appeals", json={"kind": "dissatisfied", "reason": "再次"})
    assert dup.status_code == 409
    assert (await community.post(f"/api/appeals/{appeal['id']}/decision", json={"approve": True})).status_code == 403
    supervisor = await login("dh-supervisor")
    decided = ok(
        await supervisor.post(f"/api/appeals/{appeal['id']}/decision", json={"approve": True, "note": "诉求不合理"})
    )
    assert decided["status"] == "approved" and decided["decided_by"] is not None
    assert (await supervisor.post(f"/api/appeals/{appeal['id']}/decision", json={"approve": False})).status_code == 409
    events = ok(await operator.get(f"/api/tickets/{ticket['id']}/events"))["events"]
    assert [e["action"] for e in events[-2:]] == ["appeal", "appeal_approved"]
    assert events[-1]["actor_name"] == "东湖区督办人"
