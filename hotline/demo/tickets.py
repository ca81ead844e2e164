"""Demo tickets: a few hundred calls taken and worked through the real use-cases, so every state,
list and page of the demo city has something true to show.

Time is simulated: each ticket starts somewhere in the last weeks and every step happens a
little later, through the same `Context.now` the API uses. Reproducible (fixed seed).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from arq.connections import ArqRedis

from hotline.auth import User
from hotline.catalog_cache import CatalogCache
from hotline.db import create_pool
from hotline.demo.city import ESTATES
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.queue import connect_queue
from hotline.roles import Role
from hotline.schemas import NewTicket
from hotline.settings import Settings
from hotline.tickets import callbacks, flow
from hotline.tickets.intake import Intake, create_ticket
from hotline.tickets.journal import Context, lock, transaction
from hotline.tickets.records import Ticket

CORPUS = Path(__file__).resolve().parents[2] / "classifier" / "bootstrap" / "corpus.csv"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
# How far each demo ticket gets, with weights: every state of the machine appears.
OUTCOMES = [
    ("queued", 6),
    ("assigned", 8),
    ("signed", 10),
    ("suspended", 2),
    ("returned", 3),
    ("rerouted", 3),  # returned, approved and re-routed to a sibling unit: misrouting has something to show
    ("return_rejected", 2),
    ("completed", 4),
    ("reviewed", 5),
    ("closed", 30),
    ("closed_dissatisfied_reopened", 3),
    ("closed_on_spot", 6),
    ("merged", 2),
    ("extended", 3),
]


@dataclass
class DemoWorld:
    pool: asyncpg.Pool
    redis: ArqRedis
    intake: Intake
    catalogs: CatalogCache
    users: dict[tuple[str, int], User]  # (role, unit id) -> a user
    operator: User


async def load_world(pool: asyncpg.Pool, redis: ArqRedis, intake: Intake) -> DemoWorld:
    rows = await pool.fetch(Q.demo_active_users)
    users: dict[tuple[str, int], User] = {}
    for row in rows:
        users.setdefault((row["role"], row["unit_id"]), User.from_row(row))
    operator = next(u for (role, _), u in users.items() if role == Role.OPERATOR)
    return DemoWorld(pool, redis, intake, CatalogCache(), users, operator)


def _calls(rng: random.Random) -> list[tuple[str, str]]:
    with open(CORPUS, encoding="utf-8") as fh:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(fh)]
    rng.shuffle(rows)
    return rows


async def seed_demo_tickets(world: DemoWorld, count: int, now: datetime, seed: int = 12345) -> dict[str, int]:
    """Create `count` tickets ending in a spread of states; returns how many reached each outcome."""
    rng = random.Random(seed)
    calls = _calls(rng)
    # and two estate phases, whose calls reach the grids' 网格员 (each grid leader's page has something)
    places = [name for names in ESTATES.values() for name in names] + ["水岸名都一期", "水岸名都二期"]
    outcomes = [o for o, w in OUTCOMES for _ in range(w)]
    reached: dict[str, int] = {}
    for i in range(count):
        text, _label = calls[i % len(calls)]
        started = now - timedelta(days=rng.uniform(0.2, 28), minutes=rng.randint(0, 600))
        body = NewTicket(
            type=rng.choice(["complaint", "help_request", "consultation", "report", "suggestion"]),
            channel=rng.choice(["phone", "phone", "phone", "web", "app"]),
            content=text,
            address=rng.choice(places) if rng.random() < 0.7 else "",
            caller_phone=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            caller_name=rng.choice(SURNAMES) + rng.choice(["先生", "女士"]),
        )
        outcome = rng.choice(outcomes)
        try:
            done = await _play(world, body, outcome, started, rng)
        except ApiError:
            done = "stopped"  # e.g. routing waits for a dispatcher: the ticket stays where it is
        reached[done] = reached.get(done, 0) + 1
    return reached


async def _play(world: DemoWorld, body: NewTicket, outcome: str, at: datetime, rng: random.Random) -> str:
    clock = world.intake.clock
    moment = [at]

    async def step(action: Callable[[Context, Ticket], Awaitable[Any]], ticket_id: int, minutes: float) -> Ticket:
        moment[0] += timedelta(minutes=minutes)
        async with transaction(world.pool, world.catalogs, world.redis, moment[0]) as tx:
            ticket = await lock(tx.conn, ticket_id)
            await action(tx, ticket)
            return await lock(tx.conn, ticket_id)

    async with transaction(world.pool, world.catalogs, world.redis, at) as tx:
        if outcome == "closed_on_spot":
            body = body.model_copy(update={"type": "consultation", "close_on_spot": True, "answer": "已按知识库答复"})
        ticket, _ = await create_ticket(tx, world.intake, world.operator, body, None)
        catalog = tx.catalog
    if outcome == "closed_on_spot":
        return outcome

    def user(role: str, unit_id: int | None) -> User:
        assert unit_id is not None
        found = world.users.get((role, unit_id))
        if found is None:
            raise ApiError(409, "no demo user for this unit")
        return found

    if ticket.state.value == "pending_dispatch":
        if outcome == "queued":
            return outcome
        queue_unit = ticket.holder_unit_id
        target = (ticket.routing or {}).get("suggested_unit_id")
        if target is None or target == queue_unit:
            children = [u.id for u in catalog.tree.children(queue_unit)]  # type: ignore[arg-type]
            target = rng.choice(children)
        ticket = await step(
            lambda tx, t: flow.do_assign(tx, clock, user("dispatcher", queue_unit), t, target, "人工派单"),
            ticket.id,
            rng.uniform(5, 90),
        )
    if outcome in ("queued", "assigned"):
        return "assigned"
    holder = ticket.holder_unit_id
    handler = user("handler", holder)
    if outcome == "merged":  # the same caller rings again about the same problem: 并单
        moment[0] += timedelta(minutes=rng.uniform(30, 300))
        async with transaction(world.pool, world.catalogs, world.redis, moment[0]) as tx:
            await create_ticket(
                tx, world.intake, world.operator, body.model_copy(update={"merge_into": ticket.id}), None
            )
        return outcome
    if outcome in ("rerouted", "return_rejected"):
        return await _returned_and_reviewed(world, catalog, step, ticket, handler, outcome, rng)
    if outcome == "returned":
        await step(
            lambda tx, t: flow.do_return(tx, clock, handler, t, "不属于本单位职责范围，请改派"),
            ticket.id,
            rng.uniform(10, 50),
        )
        return outcome
    ticket = await step(lambda tx, t: flow.do_sign(tx, clock, handler, t), ticket.id, rng.uniform(3, 80))
    if outcome == "signed":
        return outcome
    ticket = await step(
        lambda tx, t: flow.do_record_contact(tx, clock, handler, t, "phone", "reached", "已电话联系诉求人"),
        ticket.id,
        rng.uniform(5, 60),
    )
    if outcome == "suspended":
        await step(lambda tx, t: flow.do_suspend(tx, clock, handler, t, "等待诉求人补充材料"), ticket.id, 60)
        return outcome
    if outcome == "extended":
        await step(lambda tx, t: flow.do_request_extension(tx, handler, t, 5, "需协调多个部门现场核查"), ticket.id, 120)
        return outcome
    ticket = await step(
        lambda tx, t: flow.do_submit_completion(tx, clock, handler, t, "已现场核实并处理完毕，已告知诉求人"),
        ticket.id,
        rng.uniform(60, 60 * 24 * 4),
    )
    if outcome == "completed":
        return outcome
    # the nearest level above with a dispatcher (or supervisor) reviews: a grid's street, past its community
    above = catalog.tree.ancestors(holder)  # type: ignore[arg-type]
    staffed = [world.users.get((role, a.id)) for a in above for role in ("dispatcher", "supervisor")]
    reviewer = next((u for u in staffed if u is not None), None) or user("supervisor", above[0].id)
    ticket = await step(
        lambda tx, t: flow.do_review_completion(tx, clock, reviewer, t, True, "办结材料齐全"),
        ticket.id,
        rng.uniform(30, 240),
    )
    if outcome == "reviewed":
        return outcome
    satisfaction = (
        "dissatisfied"
        if outcome == "closed_dissatisfied_reopened"
        else rng.choice(["satisfied", "satisfied", "basically_satisfied"])
    )
    await step(
        lambda tx, t: callbacks.do_callback(
            tx,
            clock,
            world.intake.settings.callback,
            world.operator,
            t,
            True,
            satisfaction != "dissatisfied",
            satisfaction,
            "回访完成" if satisfaction != "dissatisfied" else "诉求人表示问题仍未解决",
        ),
        ticket.id,
        rng.uniform(60, 600),
    )
    return outcome


async def _returned_and_reviewed(
    world: DemoWorld, catalog: Any, step: Any, ticket: Ticket, handler: User, outcome: str, rng: random.Random
) -> str:
    """The holder returns the ticket; the dispatcher of the level above rejects the return, or approves it and
    re-routes the ticket to a sibling of the holder."""
    clock = world.intake.clock
    holder = ticket.holder_unit_id
    parent = catalog.tree.parent(holder)
    reviewer = world.users.get(("dispatcher", parent.id))
    siblings = [u.id for u in catalog.tree.children(parent.id) if u.id != holder and ("handler", u.id) in world.users]
    if reviewer is None or not siblings:
        raise ApiError(409, "no reviewer or sibling unit for this demo ticket")
    await step(lambda tx, t: flow.do_return(tx, clock, handler, t, "不属于本单位职责范围，请改派"), ticket.id, 30)
    if outcome == "return_rejected":
        note = "职责明确，请继续办理"
        await step(lambda tx, t: flow.do_review_return(tx, clock, reviewer, t, False, note, None), ticket.id, 90)
        return outcome
    target = rng.choice(siblings)
    await step(
        lambda tx, t: flow.do_review_return(tx, clock, reviewer, t, True, "同意退单，改派", target), ticket.id, 90
    )
    return outcome


async def seed_tickets(settings: Settings, count: int, now: datetime) -> dict[str, int]:
    """Open what the demo needs (pool, queue, classifier) and play `count` tickets."""
    pool = await create_pool(settings, replayable=True)  # demo data: no fsync per commit
    redis = connect_queue(settings)
    try:
        intake = Intake.from_settings(settings)
        return await seed_demo_tickets(await load_world(pool, redis, intake), count, now)
    finally:
        await redis.aclose()
        await pool.close()
