"""Deadlines follow the ticket: the working calendar, extensions, suspensions and re-routing.

These drive the use-cases in-process with the code's clock (`Context.now`), so hours and
days pass without waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from hotline.auth import User
from hotline.catalog_cache import CatalogCache
from hotline.queue import connect_queue
from hotline.schemas import NewTicket
from hotline.settings import Settings
from hotline.tickets import flow
from hotline.tickets.intake import Intake, create_ticket
from hotline.tickets.journal import lock, transaction

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALL = NewTicket(type="complaint", content="柳岸花园楼下烧烤店深夜噪音扰民", address="柳岸花园", category_code="NOISE")


@pytest.fixture
async def world(city: dict[str, int], settings: Settings, pool: asyncpg.Pool):
    redis = connect_queue(settings)
    intake = Intake.from_settings(settings)
    users = {r["username"]: User.from_row(r) for r in await pool.fetch("SELECT * FROM users")}
    yield intake, redis, CatalogCache(), users
    await redis.aclose()


async def act(pool, world, now: datetime, use_case, ticket_id: int | None = None):
    intake, redis, catalogs, _ = world
    async with transaction(pool, catalogs, redis, now) as tx:
        ticket = await lock(tx.conn, ticket_id) if ticket_id else None
        result = await use_case(tx, intake, ticket)
        return result


async def deadlines(pool: asyncpg.Pool, ticket_id: int) -> dict[str, dict]:
    rows = await pool.fetch(
        "SELECT track, unit_id, due_at, warn_at, status FROM deadlines WHERE ticket_id = $1 "
        "AND status IN ('running', 'paused')",
        ticket_id,
    )
    return {r["track"]: dict(r) for r in rows}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def create_at(pool, world, at: datetime) -> int:
    operator = world[3]["operator"]

    async def create(tx, intake, _):
        ticket, _ = await create_ticket(tx, intake, operator, CALL, None)
        return ticket.id

    return await act(pool, world, at, create)


@pytest.mark.parametrize(
    ("assigned", "reply_due"),
    [
        (local(2026, 11, 18, 10, 0), local(2026, 11, 18, 11, 0)),  # Wednesday morning: an hour later
        (local(2026, 11, 18, 11, 40), local(2026, 11, 18, 14, 10)),  # across the lunch break
        (local(2026, 11, 20, 17, 10), local(2026, 11, 23, 9, 40)),  # Friday 17:10: Monday morning
        (local(2026, 11, 21, 10, 0), local(2026, 11, 23, 10, 0)),  # Saturday: counts from Monday 09:00
        (local(2026, 9, 30, 17, 10), local(2026, 10, 8, 9, 40)),  # before National Day: after the holiday
        (local(2026, 10, 9, 17, 10), local(2026, 10, 10, 9, 40)),  # Friday before a make-up Saturday
    ],
)
async def test_reply_deadline_follows_the_working_calendar(pool, world, assigned, reply_due) -> None:
    ticket_id = await create_at(pool, world, assigned)
    assert (await deadlines(pool, ticket_id))["reply"]["due_at"] == reply_due


async def test_extension_suspension_and_rerouting_move_the_clocks(pool, world, city) -> None:
    users = world[3]
    start = local(2026, 11, 16, 9, 0)  # a Monday
    ticket_id = await create_at(pool, world, start)
    handler = users["dh-s1-c1-handler"]
    clock = world[0].clock
    first = await deadlines(pool, ticket_id)
    complete_due = first["complete"]["due_at"]

    await act(
        pool, world, start + timedelta(minutes=20), lambda tx, it, t: flow.do_sign(tx, clock, handler, t), ticket_id
    )
    # suspended for a whole working day: the completion clock stops meanwhile
    await act(
        pool,
        world,
        local(2026, 11, 17, 9, 0),
        lambda tx, it, t: flow.do_suspend(tx, clock, handler, t, "等待材料"),
        ticket_id,
    )
    assert (await deadlines(pool, ticket_id))["complete"]["status"] == "paused"
    await act(
        pool, world, local(2026, 11, 18, 9, 0), lambda tx, it, t: flow.do_resume(tx, clock, handler, t), ticket_id
    )
    resumed = (await deadlines(pool, ticket_id))["complete"]
    assert resumed["status"] == "running"
    async with pool.acquire() as conn:
        calendar = (await clock.current(conn)).calendar
    assert resumed["due_at"] == calendar.add_working_time(complete_due, calendar.day_length)  # a working day later
    assert resumed["due_at"].astimezone(SHANGHAI).weekday() == 0  # Friday's deadline moved over the weekend

    # an approved 2-day extension adds two working days
    await act(
        pool,
        world,
        local(2026, 11, 18, 10, 0),
        lambda tx, it, t: flow.do_request_extension(tx, handler, t, 2, "需联合执法"),
        ticket_id,
    )
    street = users["dh-s1-dispatcher"]
    await act(
        pool,
        world,
        local(2026, 11, 18, 11, 0),
        lambda tx, it, t: flow.do_decide_extension(tx, clock, street, t, True, "同意"),
        ticket_id,
    )
    extended = (await deadlines(pool, ticket_id))["complete"]["due_at"]
    assert extended.astimezone(SHANGHAI) - resumed["due_at"].astimezone(SHANGHAI) >= timedelta(days=2)

    # returned and re-routed: the reply clock is the new unit's, started when it was re-assigned
    await act(
        pool,
        world,
        local(2026, 11, 18, 14, 0),
        lambda tx, it, t: flow.do_return(tx, clock, handler, t, "不是本社区"),
        ticket_id,
    )
    assert "reply" not in await deadlines(pool, ticket_id)
    rerouted_at = local(2026, 11, 18, 15, 0)
    await act(
        pool,
        world,
        rerouted_at,
        lambda tx, it, t: flow.do_review_return(tx, clock, street, t, True, "改派", city["DH-S1-C2"]),
        ticket_id,
    )
    reply = (await deadlines(pool, ticket_id))["reply"]
    assert reply["unit_id"] == city["DH-S1-C2"]
    assert reply["due_at"] == rerouted_at + timedelta(hours=1)
    assert (await deadlines(pool, ticket_id))["complete"]["due_at"] == extended  # the case's own clock runs on
