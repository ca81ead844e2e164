"""A change of the SLA rules or the calendar reaches every process at once, and a worker job recomputes
the clocks already running: working versus natural time, a new holiday, a suspended ticket.

Tickets are made in-process at fixed moments (the code's `now`), the change goes through a web process
of this test, and the recomputation runs on real arq workers (burst) taking this test's queue.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from dispatch.calendar import Counting
from hotline.auth import User
from hotline.catalog_cache import CatalogCache
from hotline.queue import connect_queue
from hotline.schemas import NewTicket
from hotline.settings import Settings
from hotline.sla.rules import rules_from_settings
from hotline.tickets import flow
from hotline.tickets.intake import Intake, create_ticket
from hotline.tickets.journal import lock, transaction
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.jobs import drain
from tests.support.services import Processes

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALL = NewTicket(type="complaint", content="柳岸花园楼下烧烤店深夜噪音扰民", address="柳岸花园", category_code="NOISE")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
async def tickets(city: dict[str, int], settings: Settings, pool: asyncpg.Pool):
    """`await tickets.create(at)` and `await tickets.act(at, use_case, ticket_id)`, in-process at fixed moments."""
    redis = connect_queue(settings)
    intake = Intake.from_settings(settings)
    catalogs = CatalogCache()
    users = {r["username"]: User.from_row(r) for r in await pool.fetch("SELECT * FROM users")}

    class Tickets:
        handler = users["dh-s1-c1-handler"]
        clock = intake.clock

        @staticmethod
        async def act(at: datetime, use_case: Any, ticket_id: int) -> None:
            async with transaction(pool, catalogs, redis, at) as tx:
                await use_case(tx, await lock(tx.conn, ticket_id))

        @staticmethod
        async def create(at: datetime) -> int:
            async with transaction(pool, catalogs, redis, at) as tx:
                ticket, _ = await create_ticket(tx, intake, users["operator"], CALL, None)
                return ticket.id

    yield Tickets
    await redis.aclose()


async def clocks(pool: asyncpg.Pool, ticket_id: int) -> dict[str, dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT track, rule_name, counts, start_at, due_at, warn_at, status FROM deadlines "
        "WHERE ticket_id = $1 AND status IN ('running', 'paused')",
        ticket_id,
    )
    return {r["track"]: dict(r) for r in rows}


def editable(rules: dict[str, Any]) -> dict[str, Any]:
    keys = ("version", "reply_minutes", "reply_counts", "accept_minutes", "accept_counts", "warn_fraction")
    limits = [{k: r[k] for k in ("ticket_type", "category_code", "days", "counts")} for r in rules["completion"]]
    return {**{k: rules[k] for k in keys}, "office_hours": rules["office_hours"], "weekdays": rules["weekdays"],
            "completion": limits}  # fmt: skip


async def test_switching_to_natural_time_recomputes_running_clocks_on_the_worker(
    tickets, spawn: Processes, login: Login, pool: asyncpg.Pool, settings: Settings
) -> None:
    # a Friday after office hours, far enough back that every clock is due before the test runs: the burst worker
    # waits for the timers due within its horizon, so a clock due minutes after now would hold it past its timeout
    start = local(2026, 11, 6, 17, 10)
    ticket_id = await tickets.create(start)
    before = await clocks(pool, ticket_id)
    assert before["reply"]["due_at"] == local(2026, 11, 9, 9, 40)  # working time: Monday morning
    working = rules_from_settings(settings).calendar
    assert before["complete"]["due_at"] == working.advance(start, timedelta(days=15), Counting.WORKING)

    admin = await login("admin", await spawn.web())
    body = editable(ok(await admin.get("/api/sla/rules")))
    body["reply_counts"] = "natural"
    for limit in body["completion"]:
        limit["counts"] = "natural"
    saved = ok(await admin.put("/api/sla/rules", json=body))
    assert saved["recompute"]["status"] == "pending"
    assert await clocks(pool, ticket_id) == before  # the clocks move when the worker has run

    await drain(settings)
    after = await clocks(pool, ticket_id)
    assert after["reply"]["due_at"] == start + timedelta(hours=1)
    assert after["complete"]["due_at"] == start + timedelta(days=15)
    assert (after["complete"]["rule_name"], after["complete"]["counts"]) == ("投诉15个自然日办结", "natural")
    assert after["complete"]["warn_at"] == start + timedelta(days=12)  # 80 % of the time
    recompute = ok(await admin.get("/api/sla/recompute"))["recompute"]
    assert (recompute["status"], recompute["clocks"], recompute["changed"]) == ("done", 2, 2)
    assert recompute["message"] == "已重新计算 2 个时限，其中 2 个截止时间有变化"

    # the job run again (arq may run a job twice) finds its request done and changes nothing
    queue = connect_queue(settings)
    await queue.enqueue_job("recompute_clocks", saved["recompute"]["id"], _job_id="recompute-again")
    await queue.aclose()
    await drain(settings)
    assert await clocks(pool, ticket_id) == after
    assert ok(await admin.get("/api/sla/recompute"))["recompute"] == recompute


async def test_a_new_holiday_moves_working_clocks_and_keeps_a_suspended_one_paused(
    tickets, spawn: Processes, login: Login, pool: asyncpg.Pool, settings: Settings
) -> None:
    monday = local(2026, 11, 16, 9, 0)
    running = await tickets.create(monday)
    suspended = await tickets.create(monday + timedelta(minutes=5))
    handler = tickets.handler
    await tickets.act(
        monday + timedelta(minutes=20), lambda tx, t: flow.do_sign(tx, tickets.clock, handler, t), suspended
    )
    await tickets.act(
        local(2026, 11, 17, 9, 0), lambda tx, t: flow.do_suspend(tx, tickets.clock, handler, t, "等待材料"), suspended
    )
    before = {t: await clocks(pool, t) for t in (running, suspended)}
    assert before[suspended]["complete"]["status"] == "paused"

    admin = await login("admin", await spawn.web())
    holiday = date(2026, 11, 25)  # a Wednesday, inside both completion windows
    ok(
        await admin.post(
            "/api/sla/calendar/days", json={"date": holiday.isoformat(), "kind": "holiday", "name": "测试"}
        )
    )
    await drain(settings)

    defaults = rules_from_settings(settings).calendar
    with_holiday = dataclasses.replace(defaults, holidays=defaults.holidays | {holiday})
    after = await clocks(pool, running)
    assert after["complete"]["due_at"] == with_holiday.advance(monday, timedelta(days=15), Counting.WORKING)
    assert after["complete"]["due_at"] == with_holiday.add_working_time(
        before[running]["complete"]["due_at"], with_holiday.day_length
    )  # one working day later
    assert after["reply"] == before[running]["reply"]  # due on the Monday: untouched
    paused = (await clocks(pool, suspended))["complete"]
    assert paused["status"] == "paused" and paused["due_at"] > before[suspended]["complete"]["due_at"]
    recompute = ok(await admin.get("/api/sla/recompute"))["recompute"]
    # four open clocks (the suspended ticket's reply clock waits for a contact, paused too), two moved
    assert (recompute["reason"], recompute["clocks"], recompute["changed"]) == ("2026-11-25 设为节假日（测试）", 4, 2)

    # taken off again, the running clock is back where it was
    ok(await admin.post("/api/sla/calendar/days", json={"date": holiday.isoformat(), "kind": "normal"}))
    await drain(settings)
    assert (await clocks(pool, running))["complete"] == before[running]["complete"]


async def test_every_web_process_uses_a_change_without_restart(
    city: dict[str, int], spawn: Processes, login: Login
) -> None:
    a, b = await spawn.web(), await spawn.web()
    operator_b = await login("operator", b)
    first = ok(await operator_b.post("/api/tickets", json=NOISE_CALL), 201)  # B has read the rules now
    reply = next(d for d in first["deadlines"] if d["track"] == "reply")
    assert reply["rule_name"] == "普通工单1小时回复"

    admin_a = await login("admin", a)
    body = editable(ok(await admin_a.get("/api/sla/rules")))
    body.update(reply_minutes=10, reply_counts="natural")
    ok(await admin_a.put("/api/sla/rules", json=body))
    second = ok(await operator_b.post("/api/tickets", json={**NOISE_CALL, "caller_phone": "13900001111"}), 201)
    reply = next(d for d in second["deadlines"] if d["track"] == "reply")
    assert reply["rule_name"] == "普通工单10分钟回复"
    due, started = datetime.fromisoformat(reply["due_at"]), datetime.fromisoformat(reply["start_at"])
    assert due - started == timedelta(minutes=10)

    admin_b = await login("admin", b)
    assert ok(await admin_b.get("/api/sla/rules"))["reply_minutes"] == 10
    ok(await admin_b.post("/api/sla/calendar/days", json={"date": "2027-05-06", "kind": "holiday"}))
    days = ok(await admin_a.get("/api/sla/calendar?year=2027"))["days"]
    assert [d["date"] for d in days] == ["2027-05-06"]
