"""arq job functions. Thin: load, call a use-case, commit. Each may run twice, so each is idempotent."""

from __future__ import annotations

from typing import Any

from arq.cron import cron
from arq.worker import func

from hotline.imports.jobs import run_import_job
from hotline.learning import retrain
from hotline.open_counts import fold_open_counts
from hotline.ops.backup import backup_job
from hotline.ops.retention import retention_job
from hotline.report import early_warning, score_days
from hotline.settings import Settings
from hotline.sla.recompute import recompute_clocks, resume_recomputes
from hotline.sla.timers import fire_timers, schedule_upcoming, sweep
from hotline.webhooks.delivery import webhook_deliver
from hotline.webhooks.fanout import webhook_fanout

# A retrain on a large city takes minutes (the child process trains); beyond this arq cancels it, which
# kills the child.
RETRAIN_TIMEOUT_S = 4 * 3600


async def ping(ctx: dict[str, Any]) -> str:
    """Round trip through the queue and the database; used by health checks and tests."""
    async with ctx["pool"].acquire() as conn:
        # a health probe, inline on purpose: it tests the connection, not the schema
        return str(await conn.fetchval("SELECT 'pong'"))


# The cron functions are listed too, so operators and tests can enqueue them by name. A timer
# window's result is kept by nobody, so its job id is free again as soon as it has run.
FUNCTIONS = [
    ping,
    func(fire_timers, keep_result=0, timeout=120),
    sweep,
    schedule_upcoming,
    early_warning.early_warning_scan,
    score_days.score_days_refresh,
    func(recompute_clocks, keep_result=0, timeout=3600),
    resume_recomputes,
    func(retrain.retrain_model, timeout=RETRAIN_TIMEOUT_S, max_tries=1),
    # a historical import runs for minutes; after a worker crash arq runs it again and it resumes
    func(run_import_job, name="import_tickets", timeout=3600, keep_result=3600),
    func(backup_job, name="backup", timeout=6 * 3600, max_tries=1),
    func(retention_job, name="retention", timeout=6 * 3600, max_tries=1),
    webhook_fanout,
    fold_open_counts,
    # the attempts are counted (and capped by [webhooks] max_attempts) in the delivery row, not by arq
    func(webhook_deliver, timeout=120, max_tries=1000, keep_result=0),
]
# Every 5 seconds: the sweep is the safety net under the timers, so its period bounds how late an
# alert can be after Redis lost its jobs.
CRON_JOBS = [
    cron(sweep, second=set(range(0, 60, 5)), unique=True, run_at_startup=True, timeout=120),
    # Every minute: timers entering the 15-minute horizon (see hotline/sla/timers.py TIMER_HORIZON).
    cron(schedule_upcoming, second={30}, unique=True, run_at_startup=True, timeout=120),
]
# Every second: board events become webhook deliveries (hotline/webhooks/fanout.py).
CRON_JOBS.append(cron(webhook_fanout, second=set(range(60)), unique=True, timeout=60, keep_result=0))
# Every 5 seconds: the board's counts fold their changes, so a snapshot sums few rows (hotline/open_counts.py).
CRON_JOBS.append(cron(fold_open_counts, second=set(range(2, 60, 5)), unique=True, timeout=60, keep_result=0))
# Every 10 minutes: early warning (未诉先办) looks at the last window for clusters above their usual level.
CRON_JOBS.append(cron(early_warning.early_warning_scan, minute=set(range(0, 60, 10)), unique=True, timeout=120))
# Twice an hour: per-day score facts of days that settled since (rankings then read stored days only).
CRON_JOBS.append(cron(score_days.score_days_refresh, minute={5, 35}, unique=True, timeout=600))


def cron_jobs(settings: Settings) -> list[Any]:
    """CRON_JOBS, plus those a setting schedules at a local time (the worker evaluates cron schedules in the
    city's time zone): the retrain job on the configured weekdays (`[learning]`), the daily backup
    (`[backup] daily_at`) and the retention job (`[retention] daily_at`)."""
    scheduled = list(CRON_JOBS)
    learning = settings.learning
    if learning.retrain_weekdays:
        hour, minute = (int(x) for x in learning.retrain_at.split(":"))
        weekly = cron(
            retrain.retrain_model,
            weekday={d - 1 for d in learning.retrain_weekdays},  # arq counts Monday as 0
            hour={hour},
            minute={minute},
            second={0},
            unique=True,
            timeout=RETRAIN_TIMEOUT_S,
            max_tries=1,
        )
        scheduled.append(weekly)
    for at, job in ((settings.backup.daily_at, backup_job), (settings.retention.daily_at, retention_job)):
        if at:
            hour, minute = (int(part) for part in at.split(":"))
            scheduled.append(cron(job, hour={hour}, minute={minute}, second={0}, unique=True, timeout=6 * 3600))
    return scheduled
