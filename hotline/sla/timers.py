"""SLA timers on arq: one deferred job per short window of due time, not one per deadline.

A clock's two moments (warning, due) each fall into a window of TIMER_WINDOW. The window's job
runs at its end and raises, in a few set-based statements, the alert of every moment in the
window that is still due in the database (hotline/sla/alerts.py): 10,000 deadlines falling due
within seconds cost a few dozen jobs, not 20,000 transactions. Job ids name the window, so
queuing a moment whose window already has a job is a no-op, and a job that runs twice finds its
alerts raised (unique per deadline and kind). A clock that moves queues its new moments; its old
window finds nothing due for it. A moment already passed when queued gets a catch-up window
from its own window to the current one. The sweep, run by cron, re-derives every passed moment
from the database, so a lost job or a flushed Redis loses no alert, and it republishes alerts
whose announcement did not get out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from arq.connections import ArqRedis

from hotline.queries import Q
from hotline.sla.alerts import publish_pending_alerts, raise_due_alerts
from hotline.tickets.supervision import urge_overdue

log = structlog.get_logger(__name__)

# An alert is raised about TIMER_WINDOW + WORKER_POLL_DELAY after its moment at worst (plus the
# work); shorter windows mean more jobs, each a few Redis round trips.
TIMER_WINDOW = timedelta(milliseconds=250)
WORKER_POLL_DELAY = timedelta(milliseconds=100)
# One sweep raises at most this many alerts (one transaction); a longer backlog takes several runs.
SWEEP_BATCH = 5000
# The sweep leaves moments this recent to their timer jobs, rather than race them for the locks.
SWEEP_GRACE = timedelta(seconds=2)
# Timers are queued once their moment is this close (by the use-case that starts the clock, or
# by `schedule_upcoming`); keeping weeks of completion clocks out of Redis keeps intake cheap.
TIMER_HORIZON = timedelta(minutes=15)
# An alert not announced this long after it was raised is announced again by the sweep.
REPUBLISH_AFTER = timedelta(seconds=5)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_SINCE_EVER = datetime(2000, 1, 1, tzinfo=UTC)  # before any clock: the sweep looks at all of them


def timer_window(at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the job that raises a moment at `at`, queued at `now`: the moment's window,
    or, for a moment already passed, its window up to the end of the current one."""
    start = _window_start(at)
    return start, max(start, _window_start(now)) + TIMER_WINDOW


def _window_start(at: datetime) -> datetime:
    return at - (at - _EPOCH) % TIMER_WINDOW  # timedelta arithmetic: exact to the microsecond


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


def timer_job_id(start: datetime, end: datetime) -> str:
    return f"sla:timers:{_ms(start)}:{_ms(end)}"


async def schedule_timers(redis: ArqRedis, moments: Iterable[datetime]) -> None:
    """Queue the window jobs covering `moments`: one per window, passed moments in one catch-up window."""
    now = datetime.now(UTC)
    starts: dict[datetime, datetime] = {}  # window end -> earliest start ending there
    for at in moments:
        start, end = timer_window(at, now)
        starts[end] = min(start, starts.get(end, start))
    for end, start in sorted(starts.items()):
        await redis.enqueue_job("fire_timers", _ms(start), _ms(end), _job_id=timer_job_id(start, end), _defer_until=end)


async def schedule_upcoming(ctx: dict[str, Any]) -> int:
    """arq cron: queue the timers of running clocks whose moments entered the horizon since the last
    run (at start-up: the whole horizon). Job ids make a second queuing of the same window a no-op."""
    now = datetime.now(UTC)
    since = ctx.get("scheduled_until", now)
    until = now + TIMER_HORIZON
    moments = [r["at"] for r in await ctx["pool"].fetch(Q.upcoming_moments, since, until)]
    await schedule_timers(ctx["redis"], moments)
    ctx["scheduled_until"] = until
    return len(moments)


async def fire_timers(ctx: dict[str, Any], start_ms: int, end_ms: int) -> int:
    """arq job: raise the alerts of the moments in [start, end) still due in the database; how many."""
    start, end = _EPOCH + start_ms * _MS, _EPOCH + end_ms * _MS
    # bounded like the sweep: a catch-up window after an outage may span hours; the sweep takes the rest
    return await raise_due_alerts(ctx, start, end, datetime.now(UTC), SWEEP_BATCH)


async def sweep(ctx: dict[str, Any]) -> int:
    """arq cron: every passed, unalerted moment gets its alert; unannounced alerts are announced."""
    now = datetime.now(UTC)
    raised = await raise_due_alerts(ctx, _SINCE_EVER, now - SWEEP_GRACE, now, SWEEP_BATCH)
    await publish_pending_alerts(ctx, now - REPUBLISH_AFTER)
    await urge_overdue(ctx, now)
    if raised:
        log.info("sweep raised alerts its timers had missed", count=raised)
    return raised
