"""Backups and the retention of personal data in the admin page: the schedule, the last runs, and the two
things an administrator may start by hand (a backup now, a dry run of the retention job), both run by a
worker. City administrators only."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from hotline import access
from hotline.api.common import Endpoint, ok
from hotline.audit.log import record_request
from hotline.auth import User, current_user
from hotline.ops.retention import KINDS, run_json
from hotline.queries import Q

RECENT = 10


async def _admin(request: Request) -> User:
    user = await current_user(request)
    async with request.app.state.pool.acquire() as conn:
        access.require_city_admin(user, await request.app.state.catalogs.get(conn))
    return user


def _stamp() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def list_backups(request: Request) -> Response:
    await _admin(request)
    settings = request.app.state.settings.backup
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(Q.backup_runs_recent, RECENT)
    items = [
        {
            **{k: r[k] for k in ("id", "trigger", "host", "path", "status", "size_bytes", "sha256", "error")},
            "started_at": r["started_at"].isoformat(),
            "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None,
        }
        for r in rows
    ]
    return ok({"schedule": {"daily_at": settings.daily_at, "keep": settings.keep, "dir": settings.dir}, "items": items})


async def start_backup(request: Request) -> Response:
    user = await _admin(request)
    async with request.app.state.pool.acquire() as conn:
        await record_request(conn, request, user, "backup", after={"requested": "page"})
    await request.app.state.redis.enqueue_job("backup", "page", _job_id=f"backup:page:{_stamp()}")
    return ok({"queued": True})


async def list_retention(request: Request) -> Response:
    await _admin(request)
    settings = request.app.state.settings.retention
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(Q.retention_runs_recent, RECENT)
    return ok(
        {
            "periods": {
                "caller_years": settings.caller_years,
                "pii_reads_months": settings.pii_reads_months,
                "login_months": settings.login_months,
            },
            "daily_at": settings.daily_at,
            "labels": KINDS,
            "items": [run_json(r) for r in rows],
        }
    )


async def start_dry_run(request: Request) -> Response:
    user = await _admin(request)
    async with request.app.state.pool.acquire() as conn:
        await record_request(conn, request, user, "retention", after={"dry_run": True})
    await request.app.state.redis.enqueue_job("retention", True, user.id, _job_id=f"retention:dry:{_stamp()}")
    return ok({"queued": True})


ENDPOINTS = [
    Endpoint("GET", "/api/operations/backups", list_backups, "备份计划和最近的备份", "operations", None,
             "BackupList", (200, 401, 403)),
    Endpoint("POST", "/api/operations/backups", start_backup, "立即备份（由后台任务执行）", "operations", None,
             "Queued", (200, 401, 403)),
    Endpoint("GET", "/api/operations/retention", list_retention, "个人信息保留期限和最近的处理记录", "operations",
             None, "RetentionList", (200, 401, 403)),
    Endpoint("POST", "/api/operations/retention/dry-run", start_dry_run, "预演个人信息清理（只统计，不删除）",
             "operations", None, "Queued", (200, 401, 403)),
]  # fmt: skip
