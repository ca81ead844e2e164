"""SLA rules and the working calendar (administrators): read, edit, import a year's calendar, and the
state of the recomputation of open clocks that follows every change."""

from __future__ import annotations

import asyncio
import base64
import binascii
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from dispatch.calendar import Counting
from hotline import access, schemas
from hotline.api.common import Endpoint, now, ok, parse_body
from hotline.audit.log import record_request
from hotline.auth import current_user
from hotline.errors import ApiError
from hotline.imports.rows import ImportFailed, Row, read_rows
from hotline.queries import Q
from hotline.roles import Role
from hotline.sla import admin
from hotline.sla.rules import SlaRules
from hotline.sla.rules_store import SlaRulesCache
from hotline.tickets.journal import transaction

CALENDAR_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def _cache(request: Request) -> SlaRulesCache:
    cache: SlaRulesCache = request.app.state.intake.clock.rules  # the one the clocks of this process use
    return cache


def _context(request: Request):  # type: ignore[no-untyped-def]
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request))


def rules_json(rules: SlaRules) -> dict[str, Any]:
    return {
        "version": rules.version,
        "stored": rules.version is not None,
        "reply_minutes": rules.reply_minutes,
        "reply_counts": rules.reply_counts.value,
        "accept_minutes": rules.accept_minutes,
        "accept_counts": rules.accept_counts.value,
        "warn_fraction": rules.warn_fraction,
        "office_hours": [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in rules.hours],
        "weekdays": sorted(rules.weekdays),
        "completion": [
            {
                "ticket_type": limit.key[0],
                "ticket_type_label": limit.ticket_type.label if limit.ticket_type else "任意类型",
                "category_code": limit.category_code,
                "category_name": limit.category_name or None,
                "days": limit.days,
                "counts": limit.counts.value,
                "name": limit.name,
            }
            for limit in rules.completion
        ],
        "counts_labels": {c.value: c.label for c in Counting},
    }


def recompute_json(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    done = row["finished_at"] is not None
    return {
        "id": row["id"],
        "reason": row["reason"],
        "requested_at": row["requested_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if done else None,
        "status": "done" if done else "running" if row["started_at"] else "pending",
        "clocks": row["clocks"],
        "changed": row["changed"],
        "message": f"已重新计算 {row['clocks']} 个时限，其中 {row['changed']} 个截止时间有变化"
        if done
        else "正在重新计算未结束的时限…",
    }


def calendar_json(rules: SlaRules, year: int, years: list[asyncpg.Record]) -> dict[str, Any]:
    return {
        "year": year,
        "weekdays": sorted(rules.weekdays),
        "office_hours": [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in rules.hours],
        "days": [
            {"date": d.day.isoformat(), "kind": d.kind.value, "kind_label": d.kind.label, "name": d.name}
            for d in rules.days
            if d.day.year == year
        ],
        "years": [{"year": r["year"], "holidays": r["holidays"], "workdays": r["workdays"]} for r in years],
    }


def _year(request: Request) -> int:
    text = request.query_params.get("year") or str(now(request).astimezone(request.app.state.settings.tz).year)
    if not text.isdigit() or not admin.FIRST_YEAR <= int(text) <= admin.LAST_YEAR:
        raise ApiError(422, f"年份应为 {admin.FIRST_YEAR}–{admin.LAST_YEAR} 之间的四位数字", code="invalid")
    return int(text)


async def get_rules(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    async with request.app.state.pool.acquire() as conn:
        rules = await _cache(request).get(conn)
        latest = await conn.fetchrow(Q.sla_recompute_latest)
    return ok({**rules_json(rules), "recompute": recompute_json(latest)})


async def update_rules(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    body = await parse_body(request, schemas.SlaRulesBody)
    async with _context(request) as tx:
        access.require_rules_admin(user, tx.catalog)
        before = rules_json(await admin.stored_rules(tx, _cache(request)))
        rules, request_id = await admin.do_update_rules(tx, _cache(request), user, body)
        recompute = await tx.conn.fetchrow(Q.sla_recompute_get, request_id)
        await record_request(tx.conn, request, user, "sla.rules", before=before, after=rules_json(rules))
    return ok({**rules_json(rules), "recompute": recompute_json(recompute)})


async def get_calendar(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    year = _year(request)
    async with request.app.state.pool.acquire() as conn:
        rules = await _cache(request).get(conn)
        years = await conn.fetch(Q.calendar_year_counts)
        latest = await conn.fetchrow(Q.sla_recompute_latest)
    return ok({**calendar_json(rules, year, years), "recompute": recompute_json(latest)})


async def set_day(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    body = await parse_body(request, schemas.CalendarDayBody)
    async with _context(request) as tx:
        access.require_rules_admin(user, tx.catalog)
        day_before = await tx.conn.fetchrow(Q.calendar_day_get, body.date)
        rules, request_id = await admin.do_set_day(tx, _cache(request), user, body)
        if request_id is not None:
            before = {"kind": day_before["kind"], "name": day_before["name"]} if day_before else None
            after = None if body.kind == "normal" else {"kind": body.kind, "name": body.name}
            target = body.date.isoformat()
            await record_request(tx.conn, request, user, "calendar.day", target=target, before=before, after=after)
        years = await tx.conn.fetch(Q.calendar_year_counts)
        if request_id is None:  # nothing changed: show the last recomputation
            recompute = await tx.conn.fetchrow(Q.sla_recompute_latest)
        else:
            recompute = await tx.conn.fetchrow(Q.sla_recompute_get, request_id)
    return ok({**calendar_json(rules, body.date.year, years), "recompute": recompute_json(recompute)})


async def import_calendar(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    body = await parse_body(request, schemas.CalendarFileBody)
    rows = await asyncio.to_thread(_read_upload, body.filename, body.content_base64)
    async with _context(request) as tx:
        access.require_rules_admin(user, tx.catalog)
        parsed, request_id = await admin.do_import_calendar(tx, _cache(request), user, rows)
        recompute = await tx.conn.fetchrow(Q.sla_recompute_get, request_id)
        after = {"file": body.filename, "years": parsed.years, "days": len(parsed.days)}
        target = "、".join(str(y) for y in parsed.years)
        await record_request(tx.conn, request, user, "calendar.import", target=target, after=after)
    return ok(
        {
            "imported": len(parsed.days),
            "years": parsed.years,
            "holidays": sum(d.kind.value == "holiday" for d in parsed.days),
            "workdays": sum(d.kind.value == "workday" for d in parsed.days),
            "recompute": recompute_json(recompute),
        }
    )


def _read_upload(filename: str, content_base64: str) -> list[Row]:
    """The rows of an uploaded CSV or Excel file, read as `hotline import` reads one from disk."""
    suffix = Path(filename).suffix.lower()
    if suffix not in CALENDAR_SUFFIXES:
        raise ApiError(422, f"不支持的文件类型 {suffix or '(无扩展名)'}：请使用 .csv 或 .xlsx", code="invalid_calendar")
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "文件内容不是有效的 base64 编码", code="invalid_calendar") from None
    with tempfile.TemporaryDirectory(prefix="hotline-calendar-") as directory:
        path = Path(directory) / f"calendar{suffix}"
        path.write_bytes(content)
        try:
            return read_rows(path)
        except ImportFailed as exc:
            raise ApiError(422, "；".join(exc.errors), code="invalid_calendar", fields=exc.errors) from None


async def latest_recompute(request: Request) -> Response:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    async with request.app.state.pool.acquire() as conn:
        return ok({"recompute": recompute_json(await conn.fetchrow(Q.sla_recompute_latest))})


YEAR = {"type": "string", "pattern": r"^\d{4}$"}
WRITE_STATUSES = (200, 401, 403, 409, 422)
ENDPOINTS = [
    Endpoint("GET", "/api/sla/rules", get_rules, "时限规则", "sla", None, "SlaRules", (200, 401, 403)),
    Endpoint(
        "PUT",
        "/api/sla/rules",
        update_rules,
        "修改时限规则（保存后重新计算未结束的时限）",
        "sla",
        schemas.SlaRulesBody,
        "SlaRules",
        WRITE_STATUSES,
    ),
    Endpoint(
        "GET",
        "/api/sla/calendar",
        get_calendar,
        "工作日历：某年的节假日与调休上班日",
        "sla",
        None,
        "Calendar",
        (200, 401, 403, 422),
        query=(("year", YEAR),),
    ),
    Endpoint(
        "POST",
        "/api/sla/calendar/days",
        set_day,
        "设置某日为节假日、调休上班日或普通日",
        "sla",
        schemas.CalendarDayBody,
        "Calendar",
        WRITE_STATUSES,
    ),
    Endpoint(
        "POST",
        "/api/sla/calendar/import",
        import_calendar,
        "导入节假日与调休安排（CSV 或 Excel，按年替换）",
        "sla",
        schemas.CalendarFileBody,
        "CalendarImport",
        (200, 401, 403, 422),
    ),
    Endpoint(
        "GET", "/api/sla/recompute", latest_recompute, "最近一次时限重新计算", "sla", None, "Recompute", (200, 401, 403)
    ),
]
