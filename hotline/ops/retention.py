"""Retention of personal data (个人信息保护法): what is past its period goes, on a schedule.

- Callers' phone numbers and names leave tickets closed more than [retention] caller_years ago. The ticket
  stays (reports, rankings and the training export keep counting it); a keyed hash of the number
  (`caller_ref`, see `caller_key`) stands in for it, so the report still recognises the same caller's
  repeat tickets (重复诉求) of that month without anyone being able to read the number back.
- Records of reads of personal data (pii_reads) older than pii_reads_months go, and records of sign-ins
  (login_events) older than login_months.
- Sessions and API tokens that have expired go.

A dry run counts what would go and changes nothing. Every run, dry or not, is recorded in retention_runs
(the admin page shows the last ones). `as_of` is the moment periods are counted back from: now, unless a
person (or a test) says otherwise. Writes go in small batches, each its own transaction, so the live
hotline never waits long for a lock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from hotline.db import connect
from hotline.queries import Q
from hotline.settings import RetentionSettings, Settings

BATCH = 5000
KINDS = {
    "callers": "来电人号码和姓名（工单办结已超过保存期限）",
    "pii_reads": "个人信息查阅记录",
    "logins": "登录记录",
    "tokens": "已过期的登录会话和令牌",
}

log = structlog.get_logger(__name__)


def caller_key(settings: Settings) -> bytes:
    """The key of callers' hashed numbers: derived from the deployment's secret, so the hash of a number
    cannot be recomputed without it (numbers are too few to hide behind a plain hash)."""
    return hmac.new(settings.secret_key.encode(), b"hotline caller_ref v1", hashlib.sha256).digest()


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    for day in range(moment.day, 0, -1):
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a first day")


@dataclass(frozen=True)
class Cutoffs:
    """Everything before these moments is past its period."""

    callers: datetime
    pii_reads: datetime
    logins: datetime
    tokens: datetime

    @classmethod
    def of(cls, periods: RetentionSettings, as_of: datetime) -> Cutoffs:
        return cls(
            callers=months_before(as_of, 12 * periods.caller_years),
            pii_reads=months_before(as_of, periods.pii_reads_months),
            logins=months_before(as_of, periods.login_months),
            tokens=as_of,
        )


async def run_retention(
    settings: Settings, as_of: datetime, *, dry_run: bool, requested_by: int | None = None
) -> dict[str, Any]:
    """Count (dry run) or remove what is past its period; the run as recorded."""
    local = as_of.astimezone(settings.tz)  # periods are counted in the city's calendar
    cutoffs = Cutoffs.of(settings.retention, local)
    periods = dataclasses.asdict(settings.retention)
    conn = await connect(settings)
    try:
        run_id = await conn.fetchval(Q.retention_run_start, dry_run, as_of, periods, datetime.now(UTC), requested_by)
        try:
            counts = await (_count(conn, cutoffs) if dry_run else _remove(conn, cutoffs, caller_key(settings)))
        except BaseException as exc:
            await conn.execute(Q.retention_run_finish, run_id, "failed", {}, str(exc)[:2000], datetime.now(UTC))
            raise
        await conn.execute(Q.retention_run_finish, run_id, "done", counts, "", datetime.now(UTC))
        return dict(await conn.fetchrow(Q.retention_run, run_id))
    finally:
        await conn.close()


async def _count(conn: asyncpg.Connection, cutoffs: Cutoffs) -> dict[str, int]:
    row = await conn.fetchrow(Q.retention_counts, cutoffs.callers, cutoffs.pii_reads, cutoffs.tokens, cutoffs.logins)
    return dict(row)


async def _remove(conn: asyncpg.Connection, cutoffs: Cutoffs, key: bytes) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for kind, query, args in (
        ("callers", Q.retention_clear_callers, (cutoffs.callers, key, BATCH)),
        ("pii_reads", Q.retention_delete_pii_reads, (cutoffs.pii_reads, BATCH)),
        ("logins", Q.retention_delete_login_events, (cutoffs.logins, BATCH)),
        ("tokens", Q.retention_delete_expired_tokens, (cutoffs.tokens, BATCH)),
    ):
        while True:
            async with conn.transaction():
                await conn.execute(Q.retention_purge_mode)  # the privacy log is append-only but for this
                done = await conn.fetchval(query, *args)
            if not done:
                break
            counts[kind] += done
    return counts


def run_json(run: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    row = dict(run)
    at = {k: row[k].isoformat() if row[k] else None for k in ("as_of", "started_at", "finished_at")}
    return {
        "id": row["id"],
        "dry_run": row["dry_run"],
        "status": row["status"],
        "periods": row["periods"],
        "counts": row["counts"],
        "labels": KINDS,
        "error": row["error"],
        **at,
    }


async def retention_job(ctx: dict[str, Any], dry_run: bool = False, requested_by: int | None = None) -> int:
    """arq job: the daily cron removes; 预演 in the admin page counts. The run's id."""
    settings: Settings = ctx["settings"]
    run = await run_retention(settings, datetime.now(UTC), dry_run=dry_run, requested_by=requested_by)
    log.info("retention", dry_run=dry_run, counts=run["counts"])
    return int(run["id"])
