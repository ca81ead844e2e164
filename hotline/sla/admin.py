"""Administrators change the SLA rules and the calendar (`do_*` use-cases): checked in full, written
in the caller's transaction, and followed by a recomputation of the open clocks on the worker.

Edits lock the one settings row, so two administrators take turns; the rules table is saved as a
whole, and refused with 409 when someone else saved since the editor loaded it (`version`).
"""

from __future__ import annotations

import dataclasses
from datetime import time

from dispatch.calendar import Counting, DayKind
from dispatch.ticket_types import TicketType
from hotline.auth import User
from hotline.errors import ApiError
from hotline.imports.calendar import CalendarFile, parse_calendar
from hotline.imports.rows import ImportFailed, Row
from hotline.queries import Q
from hotline.schemas import CalendarDayBody, SlaRulesBody
from hotline.sla.recompute import request_recompute
from hotline.sla.rules import CompletionLimit, SlaRules, both_kinds, needless_workday, rule_problems
from hotline.sla.rules_store import SlaRulesCache, load_rules, seed_defaults, write_completion, write_settings
from hotline.tickets.journal import Context

FIRST_YEAR, LAST_YEAR = 2000, 2100


async def stored_rules(ctx: Context, cache: SlaRulesCache) -> SlaRules:
    """The stored rules with their row locked; a database without any gets config.toml's first."""
    if await ctx.conn.fetchval(Q.sla_settings_lock) is None:
        await seed_defaults(ctx.conn, cache.defaults, ctx.now)
        await ctx.conn.fetchval(Q.sla_settings_lock)
    rules = await load_rules(ctx.conn, cache.defaults.tz)
    assert rules is not None  # seeded just above, in this transaction
    return rules


def _invalid(problems: list[str], code: str) -> ApiError:
    more = f"（共 {len(problems)} 处问题）" if len(problems) > 3 else ""
    return ApiError(422, "；".join(problems[:3]) + more, code=code, fields=problems)


async def do_update_rules(ctx: Context, cache: SlaRulesCache, user: User, body: SlaRulesBody) -> tuple[SlaRules, int]:
    """Replace the limits, the warning fraction and the office week; (rules now, recompute request id)."""
    current = await stored_rules(ctx, cache)
    if body.version is not None and body.version != current.version:
        raise ApiError(409, "时限规则已被他人修改，请刷新页面后重新编辑", code="stale_rules")
    names = {code: category.name for code, category in ctx.catalog.categories.items()}
    candidate = dataclasses.replace(
        current,
        reply_minutes=body.reply_minutes,
        reply_counts=Counting(body.reply_counts),
        accept_minutes=body.accept_minutes,
        accept_counts=Counting(body.accept_counts),
        warn_fraction=body.warn_fraction,
        hours=tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in body.office_hours),
        weekdays=frozenset(body.weekdays),
        completion=tuple(
            CompletionLimit(
                TicketType(limit.ticket_type) if limit.ticket_type else None,
                limit.category_code or None,
                limit.days,
                Counting(limit.counts),
                names.get(limit.category_code or "", ""),
            )
            for limit in body.completion
        ),
    )
    problems = rule_problems(candidate, names)
    if problems:
        raise _invalid(problems, "invalid_rules")
    await write_settings(ctx.conn, candidate, ctx.now)
    await write_completion(ctx.conn, candidate)
    request_id = await request_recompute(
        ctx.conn, ctx.outbox, ctx.redis, user_id=user.id, reason="修改时限规则", now=ctx.now
    )
    return await _reloaded(ctx, cache), request_id


async def do_set_day(
    ctx: Context, cache: SlaRulesCache, user: User, body: CalendarDayBody
) -> tuple[SlaRules, int | None]:
    """Mark a date a holiday or a make-up working day, or take the mark off ("normal");
    (rules now, recompute request id or None when nothing changed)."""
    current = await stored_rules(ctx, cache)
    day = body.date
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ApiError(422, f"日期须在 {FIRST_YEAR}–{LAST_YEAR} 年之间", code="invalid_date")
    existing = await ctx.conn.fetchrow(Q.calendar_day_get, day)
    if body.kind == "normal":
        if existing is None:
            return current, None
        await ctx.conn.execute(Q.calendar_day_delete, day)
        reason = f"取消 {day.isoformat()} 的{DayKind(existing['kind']).label}"
    else:
        kind = DayKind(body.kind)
        if existing is not None and existing["kind"] != kind and not body.replace:
            raise ApiError(409, both_kinds(day, DayKind(existing["kind"]), kind), code="day_conflict")
        problem = needless_workday(day, current.weekdays) if kind is DayKind.WORKDAY else None
        if problem:
            raise ApiError(422, problem, code="needless_workday")
        if existing is not None and (existing["kind"], existing["name"]) == (kind, body.name):
            return current, None
        await ctx.conn.execute(Q.calendar_days_upsert, [day], [kind.value], [body.name])
        reason = f"{day.isoformat()} 设为{kind.label}" + (f"（{body.name}）" if body.name else "")
    request_id = await request_recompute(ctx.conn, ctx.outbox, ctx.redis, user_id=user.id, reason=reason, now=ctx.now)
    return await _reloaded(ctx, cache), request_id


async def do_import_calendar(
    ctx: Context, cache: SlaRulesCache, user: User, rows: list[Row]
) -> tuple[CalendarFile, int]:
    """A State Council calendar file replaces the years it lists (all rows checked first); (what it
    held, recompute request id)."""
    current = await stored_rules(ctx, cache)
    try:
        parsed = parse_calendar(rows, current.weekdays)
    except ImportFailed as exc:
        raise _invalid(exc.errors, "invalid_calendar") from None
    days = parsed.days
    await ctx.conn.execute(
        Q.calendar_years_replace,
        [d.day for d in days],
        [d.kind.value for d in days],
        [d.name for d in days],
        parsed.years,
    )
    reason = f"导入 {'、'.join(str(y) for y in parsed.years)} 年节假日与调休"
    request_id = await request_recompute(ctx.conn, ctx.outbox, ctx.redis, user_id=user.id, reason=reason, now=ctx.now)
    return parsed, request_id


async def _reloaded(ctx: Context, cache: SlaRulesCache) -> SlaRules:
    rules = await load_rules(ctx.conn, cache.defaults.tz)
    assert rules is not None
    return rules
