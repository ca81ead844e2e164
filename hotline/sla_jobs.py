"""SLA timers on arq: one deferred job per deadline moment, re-checked in the database when it fires.

Job ids carry the deadline id, the kind and the moment, so a clock that moves gets new jobs
while the old ones fire, find nothing due and stop. A job may run twice (arq's own warning):
the alert row is unique per deadline and kind, so the second run inserts nothing. The sweep,
run by cron, re-derives every passed moment from the database, so a lost job or a flushed
Redis loses no alert, and it republishes alerts whose announcement did not get out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from arq.connections import ArqRedis

log = structlog.get_logger(__name__)

SWEEP_BATCH = 500
# Timers are queued once their moment is this close (by the use-case that starts the clock, or
# by `schedule_upcoming`); keeping weeks of completion clocks out of Redis keeps intake cheap.
TIMER_HORIZON = timedelta(minutes=15)
# An alert not announced this long after it was raised is announced again by the sweep.
REPUBLISH_AFTER = timedelta(seconds=5)


def timer_job_id(deadline_id: int, kind: str, at: datetime) -> str:
    return f"sla:{deadline_id}:{kind}:{int(at.timestamp() * 1000)}"


async def schedule_timers(redis: ArqRedis, deadline_id: int, warn_at: datetime, due_at: datetime) -> None:
    now = datetime.now(UTC)
    for kind, at in (("warning", warn_at), ("overdue", due_at)):
        # a moment already past (history being recorded, a clock extended after it ran out) fires now
        await redis.enqueue_job(
            "fire_deadline", deadline_id, kind, _job_id=timer_job_id(deadline_id, kind, at), _defer_until=max(at, now)
        )


async def schedule_upcoming(ctx: dict[str, Any]) -> int:
    """arq cron: queue the timers of running clocks whose moments entered the horizon since the last
    run (at start-up: the whole horizon). Job ids make a second queuing of the same moment a no-op."""
    now = datetime.now(UTC)
    since = ctx.get("scheduled_until", now)
    until = now + TIMER_HORIZON
    rows = await ctx["pool"].fetch(
        """SELECT id, warn_at, due_at FROM deadlines
           WHERE status = 'running' AND ((warn_at > $1 AND warn_at <= $2) OR (due_at > $1 AND due_at <= $2))""",
        since,
        until,
    )
    for row in rows:
        await schedule_timers(ctx["redis"], row["id"], row["warn_at"], row["due_at"])
    ctx["scheduled_until"] = until
    return len(rows)


async def fire_deadline(ctx: dict[str, Any], deadline_id: int, kind: str) -> bool:
    """arq job: raise the alert if the deadline's moment has truly passed; True if this run raised it."""
    from hotline.sla_alerts import raise_alert_if_due

    return await raise_alert_if_due(ctx, deadline_id, kind, datetime.now(UTC))


async def sweep(ctx: dict[str, Any]) -> int:
    """arq cron: every passed, unalerted moment gets its alert; unannounced alerts are announced."""
    from hotline.sla_alerts import publish_pending_alerts, raise_alert_if_due
    from hotline.supervision import urge_overdue

    now = datetime.now(UTC)
    pool: asyncpg.Pool = ctx["pool"]
    due = await pool.fetch(
        """SELECT d.id, k.kind FROM deadlines d
           CROSS JOIN LATERAL (VALUES ('warning', d.warn_at), ('overdue', d.due_at)) AS k (kind, at)
           WHERE d.status = 'running' AND k.at <= $1
             AND NOT EXISTS (SELECT 1 FROM sla_alerts a WHERE a.deadline_id = d.id AND a.kind = k.kind)
           ORDER BY k.at LIMIT $2""",
        now,
        SWEEP_BATCH,
    )
    raised = 0
    for row in due:
        raised += await raise_alert_if_due(ctx, row["id"], row["kind"], now)
    await publish_pending_alerts(ctx, now - REPUBLISH_AFTER)
    await urge_overdue(ctx, now)
    if raised:
        log.info("sweep raised alerts its timers had missed", count=raised)
    return raised
