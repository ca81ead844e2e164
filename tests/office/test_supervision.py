"""Supervision both ways over HTTP: the unit answers a supervision order before its answer clock runs out, the
supervisor above reviews it (close or re-issue); a missed answer is escalated one level up by the worker.

Who does what: 东湖区's supervisor issues and reviews; 柳岸社区 (the holder) answers and reads its urges; a unit
elsewhere (东湖区城市管理局) can neither see nor answer the order; the community cannot review its own answer.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import redis.asyncio as aioredis

from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.jobs import running_worker, stream_events
from tests.support.office import reviewed_ticket, signed_ticket
from tests.support.sla import schedule
from tests.support.waiting import eventually

TOMORROW = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()


async def test_an_order_answered_reviewed_and_reissued(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    operator, handler = await login("operator"), await login("dh-s1-c1-handler")
    supervisor, elsewhere = await login("dh-supervisor"), await login("dh-cg-handler")
    tid = await signed_ticket(operator, handler, "13912343001")
    ok(await supervisor.post(f"/api/tickets/{tid}/supervise", json={"reason": "群众反映强烈，请于今日内答复"}))
    ok(await supervisor.post(f"/api/tickets/{tid}/urge", json={"text": "请加快办理"}))

    received = ok(await handler.get("/api/orders?box=received"))["items"]
    assert [(o["ticket_id"], o["status"], o["issuer_unit_name"]) for o in received] == [(tid, "open", "东湖区")]
    order = received[0]
    clock = await pool.fetchrow("SELECT track, unit_id, status FROM deadlines WHERE order_id = $1", order["id"])
    assert dict(clock) == {"track": "order", "unit_id": city["DH-S1-C1"], "status": "running"}
    assert [u["note"] for u in ok(await handler.get("/api/urges"))["items"]] == ["请加快办理"]
    assert [o["id"] for o in ok(await supervisor.get("/api/orders?box=issued"))["items"]] == [order["id"]]
    assert ok(await elsewhere.get("/api/orders?box=received"))["items"] == []

    url = f"/api/orders/{order['id']}"
    assert (await handler.post(f"{url}/answer", json={"answer": "已约谈店主"})).status_code == 422  # no day
    past = await handler.post(f"{url}/answer", json={"answer": "已约谈店主", "finish_by": "2020-01-01"})
    assert past.status_code == 422 and past.json()["error"]["message"] == "预计办结日期不能早于今天"
    assert (await elsewhere.post(f"{url}/answer", json={"answer": "x", "finish_by": TOMORROW})).status_code == 404
    answered = ok(await handler.post(f"{url}/answer", json={"answer": "已约谈店主，限期整改", "finish_by": TOMORROW}))
    assert (answered["status"], answered["finish_by"]) == ("answered", TOMORROW)
    assert await pool.fetchval("SELECT status FROM deadlines WHERE order_id = $1", order["id"]) == "met"
    again = await handler.post(f"{url}/answer", json={"answer": "再答复", "finish_by": TOMORROW})
    assert again.status_code == 409
    assert (await handler.post(f"{url}/review", json={"close": True})).status_code == 403  # not its own reviewer

    bare = await supervisor.post(f"{url}/review", json={"close": False, "note": ""})
    assert bare.status_code == 422
    reissued = ok(await supervisor.post(f"{url}/review", json={"close": False, "note": "请附整改照片"}))
    assert (reissued["status"], reissued["rounds"], reissued["review_note"]) == ("open", 2, "请附整改照片")
    clocks = await pool.fetch("SELECT status FROM deadlines WHERE order_id = $1 ORDER BY id", order["id"])
    assert [c["status"] for c in clocks] == ["met", "running"]
    # two answers sent at once (two tabs of the unit): one stands, the other gets 409
    answers = [{"answer": "已整改，照片已上传", "finish_by": TOMORROW}, {"answer": "同时答复", "finish_by": TOMORROW}]
    both = await asyncio.gather(*(handler.post(f"{url}/answer", json=a) for a in answers))
    assert sorted(r.status_code for r in both) == [200, 409]
    closed = ok(await supervisor.post(f"{url}/review", json={"close": True, "note": "同意办结"}))
    assert closed["status"] == "closed"
    trail = [e["action"] for e in ok(await handler.get(f"/api/tickets/{tid}/events"))["events"]]
    supervised = [a for a in trail if a.startswith("order_") or a in ("supervision_order", "urge")]
    assert supervised == [
        "supervision_order",
        "urge",
        "order_answered",
        "order_reissued",
        "order_answered",
        "order_closed",
    ]


async def test_missed_answers_and_callbacks_alert_and_escalate(
    city: dict[str, int], login: Login, settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis
) -> None:
    """Both own clocks on a real worker: an order's answer clock and a callback clock, moved to fall due a second
    from now (planted as the SLA tests plant clocks), both raise their alerts; the order goes up to the city's
    supervisors; neither clock brings an automatic order."""
    operator, handler = await login("operator"), await login("dh-s1-c1-handler")
    street, supervisor = await login("dh-s1-dispatcher"), await login("dh-supervisor")
    waiting = await reviewed_ticket(operator, handler, street, "13912343002")
    tid = await signed_ticket(operator, handler, "13912343003")
    ok(await supervisor.post(f"/api/tickets/{tid}/supervise", json={"reason": "请说明进展"}))
    now = datetime.now(UTC)
    warn, due = now + timedelta(seconds=0.8), now + timedelta(seconds=1.2)
    moved = await pool.fetch(
        """UPDATE deadlines SET warn_at = $1, due_at = $2
           WHERE status = 'running'
             AND ((ticket_id = $3 AND track = 'order') OR (ticket_id = $4 AND track = 'callback'))
           RETURNING id""",
        warn,
        due,
        tid,
        waiting,
    )
    assert len(moved) == 2
    await schedule(settings, [(r["id"], warn, due) for r in moved])

    async def escalated() -> bool:
        return await pool.fetchval("SELECT escalated_to FROM supervision_orders WHERE ticket_id = $1", tid) is not None

    async with running_worker(settings):
        await eventually(escalated, timeout=20, message="the unanswered order escalated")
        query = "SELECT count(*) FROM sla_alerts a JOIN deadlines d ON d.id = a.deadline_id WHERE d.track = 'callback'"
        await eventually(lambda: _equals(pool, query, 2), timeout=20, message="the callback clock's two alerts")

    order = await pool.fetchrow("SELECT escalated_to, status FROM supervision_orders WHERE ticket_id = $1", tid)
    assert (order["escalated_to"], order["status"]) == (city["YC"], "open")  # 东湖区 issued it: the city above
    alert_units = await pool.fetch("SELECT DISTINCT unit_id FROM sla_alerts WHERE ticket_id = $1", waiting)
    assert [r["unit_id"] for r in alert_units] == [city["YC"]]  # the centre's own clock
    assert await pool.fetchval("SELECT count(*) FROM supervision_orders WHERE ticket_id = $1", waiting) == 0
    events = await stream_events(redis, "supervision.escalated")
    assert [(e["ticket_id"], e["escalated_to"]) for e in events] == [(tid, city["YC"])]
    logged = await pool.fetchval(
        "SELECT reason FROM ticket_events WHERE ticket_id = $1 AND action = 'order_escalated'", tid
    )
    assert logged == "督办单逾期未答复，已上报云川市"


async def _equals(pool: asyncpg.Pool, query: str, expected: int) -> bool:
    return await pool.fetchval(query) == expected
