"""Recomputing the open SLA clocks after the rules or the calendar changed: an arq job on the worker.

A change commits with a request row (`request_recompute`) and queues the job after commit; a cron
(`resume_recomputes`) queues again what Redis lost. The job takes its request and the pending ones
before it, then walks every ticket with an open clock in batches: each batch locks its tickets (in id
order, as the timers do), reads the rules as they are now, re-derives each clock from its facts
(start, suspensions, approved extensions) under the rule its ticket gets now, and writes back the
clocks that moved. Running it twice changes nothing the second time. The count is kept on the
request for the admin page ("已重新计算 N 个时限") and logged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from arq.connections import ArqRedis

from dispatch.sla import Extension, Track, compute_deadline
from hotline.queries import Q
from hotline.settings import Settings
from hotline.sla.rules_store import SlaRulesCache
from hotline.sla.timers import TIMER_HORIZON, schedule_timers
from hotline.uow import Outbox

log = structlog.get_logger(__name__)

# Tickets per batch: one transaction holds their row locks for a few milliseconds.
RECOMPUTE_BATCH = 500
# A request with no job after this long had its job lost; one started this long ago died half-way.
STALLED_AFTER = timedelta(seconds=30)
RUNNING_TOO_LONG = timedelta(minutes=30)
_DEADLOCK_RETRIES = 3


def recompute_job_id(request_id: int) -> str:
    return f"sla:recompute:{request_id}"


async def request_recompute(
    conn: asyncpg.Connection, outbox: Outbox, redis: ArqRedis, *, user_id: int | None, reason: str, now: datetime
) -> int:
    """Ask for the clocks to be recomputed once the caller's transaction commits; the request's id."""
    request_id: int = await conn.fetchval(Q.sla_recompute_request, now, user_id, reason)
    outbox.after_commit(lambda: enqueue_recompute(redis, request_id))
    return request_id


async def enqueue_recompute(redis: ArqRedis, request_id: int) -> None:
    await redis.enqueue_job("recompute_clocks", request_id, _job_id=recompute_job_id(request_id))


async def recompute_clocks(ctx: dict[str, Any], request_id: int) -> int:
    """arq job: recompute every open clock for request `request_id`; how many clocks it looked at."""
    pool: asyncpg.Pool = ctx["pool"]
    if "sla_rules" not in ctx:
        ctx["sla_rules"] = SlaRulesCache(ctx["settings"])
    if await pool.fetchval(Q.sla_recompute_start, request_id, datetime.now(UTC)) is None:
        return 0  # done already, or superseded by a later request
    clocks = changed = 0
    after = 0
    while True:
        batch = await _batch_retrying(pool, ctx["redis"], ctx["sla_rules"], after)
        if batch is None:
            break
        after, looked_at, moved = batch
        clocks += looked_at
        changed += moved
    await pool.execute(Q.sla_recompute_finish, request_id, datetime.now(UTC), clocks, changed)
    log.info("SLA clocks recomputed", request=request_id, clocks=clocks, changed=changed)
    return clocks


async def resume_recomputes(ctx: dict[str, Any]) -> int:
    """arq cron: queue again the requests whose job never ran or died; job ids keep it to one each."""
    now = datetime.now(UTC)
    rows = await ctx["pool"].fetch(Q.sla_recompute_stalled, now - STALLED_AFTER, now - RUNNING_TOO_LONG)
    for row in rows:
        await enqueue_recompute(ctx["redis"], row["id"])
    return len(rows)


async def enqueue_pending(conn: asyncpg.Connection, settings: Settings) -> None:
    """Queue the requests still pending (after a command-line import, which has no outbox)."""
    from hotline.queue import connect_queue

    now = datetime.now(UTC)
    rows = await conn.fetch(Q.sla_recompute_stalled, now, now - RUNNING_TOO_LONG)
    if not rows:
        return
    redis = connect_queue(settings)
    try:
        for row in rows:
            await enqueue_recompute(redis, row["id"])
    finally:
        await redis.aclose()


async def _batch_retrying(
    pool: asyncpg.Pool, redis: ArqRedis, cache: SlaRulesCache, after: int
) -> tuple[int, int, int] | None:
    for attempt in range(_DEADLOCK_RETRIES):
        try:
            return await _batch(pool, redis, cache, after)
        except asyncpg.exceptions.DeadlockDetectedError:  # a merge locked two of our tickets the other way round
            if attempt == _DEADLOCK_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def _batch(pool: asyncpg.Pool, redis: ArqRedis, cache: SlaRulesCache, after: int) -> tuple[int, int, int] | None:
    """The next batch of tickets after id `after`: (last ticket id, clocks looked at, clocks moved), or
    None when no ticket is left."""
    async with pool.acquire() as conn, conn.transaction():
        tickets = await conn.fetch(Q.sla_recompute_lock_tickets, after, RECOMPUTE_BATCH)
        if not tickets:
            return None
        now = datetime.now(UTC)
        rules = await cache.get(
            conn
        )  # after the locks: the newest rules, so a slower older job cannot undo a newer one
        ids = [t["id"] for t in tickets]
        kinds = {t["id"]: (t["type"], t["category_code"]) for t in tickets}
        pauses: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        for r in await conn.fetch(Q.sla_recompute_suspensions, ids):
            pauses[r["ticket_id"]].append((r["started_at"], r["ended_at"] or now))
        extensions: dict[int, list[Extension]] = defaultdict(list)
        for r in await conn.fetch(Q.sla_recompute_extensions, ids):
            extensions[r["ticket_id"]].append(
                Extension(approved_at=r["decided_at"], by=timedelta(days=r["extra_days"]))
            )
        clocks = await conn.fetch(Q.sla_recompute_clocks, ids)
        moved = []
        for clock in clocks:
            track = Track(clock["track"])
            rule = rules.rule_for(track, *kinds[clock["ticket_id"]])
            deadline = compute_deadline(
                rule,
                clock["start_at"],
                rules.calendar,
                pauses=pauses[clock["ticket_id"]],
                extensions=extensions[clock["ticket_id"]] if track is Track.COMPLETE else (),
            )
            new = (rule.name, rule.duration.total_seconds(), rule.counts.value, rule.warn_fraction)
            old = (clock["rule_name"], clock["duration_seconds"], clock["counts"], clock["warn_fraction"])
            if new != old or (deadline.due_at, deadline.warn_at) != (clock["due_at"], clock["warn_at"]):
                moved.append((clock["id"], *new, deadline.due_at, deadline.warn_at))
        updated = []
        if moved:
            updated = await conn.fetch(Q.sla_recompute_update, *(list(column) for column in zip(*moved, strict=True)))
    horizon = now + TIMER_HORIZON  # later moments are queued by schedule_upcoming as they come near
    moments = [m for r in updated if r["status"] == "running" for m in (r["warn_at"], r["due_at"]) if m <= horizon]
    if moments:
        await schedule_timers(redis, moments)
    return ids[-1], len(clocks), len(moved)
