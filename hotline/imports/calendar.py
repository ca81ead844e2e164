"""Import a year's public holidays and make-up working days (调休), as the State Council publishes
them each November: a CSV or Excel file with the columns date, kind, name (or 日期, 类型, 名称).

A file replaces the holidays and make-up days of every year it lists, so importing a corrected file
again gives exactly that file's calendar. Every row is checked first, errors name the spreadsheet row
in Chinese, and nothing is written unless every row is right. The open SLA clocks are recomputed
afterwards by the worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from dispatch.calendar import DayKind
from hotline.imports.rows import ImportFailed, Row
from hotline.queries import Q
from hotline.sla.rules import CalendarDay, both_kinds, needless_workday
from hotline.sla.rules_store import load_rules

COLUMNS = {"date": ("date", "日期"), "kind": ("kind", "类型"), "name": ("name", "名称")}
KIND_INPUTS = {
    **dict.fromkeys(("holiday", "节假日", "假日", "法定节假日", "放假", "休", "休息", "休息日"), DayKind.HOLIDAY),
    **dict.fromkeys(("workday", "调休上班", "调休上班日", "补班", "上班", "班", "调休工作日"), DayKind.WORKDAY),
}
MAX_RANGE_DAYS = 31
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00(?::00)?)?")
_RANGE = re.compile(r"\s*(?:\.\.|至|~|～|—|–)\s*")


@dataclass(frozen=True)
class CalendarFile:
    days: list[CalendarDay]
    years: list[int]


def _column(row: Row, name: str) -> str:
    return next((row.get(header) for header in COLUMNS[name] if header in row.values), "")


def _parse_date(text: str) -> date | None:
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _parse_dates(text: str) -> list[date] | str:
    """The dates of a cell ("2027-02-06", "2027-02-06..2027-02-13", "2027年2月6日至2027年2月13日"), or a problem."""
    parts = _RANGE.split(text.strip(), maxsplit=1)
    dates = [_parse_date(part) for part in parts]
    if not text.strip() or None in dates:
        return f"日期(date) “{text}” 无法识别，应写作 2027-01-01，或一段日期 2027-02-06..2027-02-13"
    first, last = dates[0], dates[-1]
    assert first is not None and last is not None
    if last < first:
        return f"日期段 “{text}” 结束早于开始"
    if (last - first).days >= MAX_RANGE_DAYS:
        return f"日期段 “{text}” 超过 {MAX_RANGE_DAYS} 天，请检查"
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def parse_calendar(rows: list[Row], weekdays: frozenset[int]) -> CalendarFile:
    """The file's days, or ImportFailed with every problem by row number."""
    if not rows:
        raise ImportFailed(["文件中没有任何日期（第 1 行是表头：date, kind, name 或 日期, 类型, 名称）"])
    headers = rows[0].values
    required = [name for name in ("date", "kind") if not any(h in headers for h in COLUMNS[name])]
    missing = [f"{name}（{COLUMNS[name][1]}）" for name in required]
    if missing:
        raise ImportFailed([f"缺少列：{'、'.join(missing)}（第 1 行是表头）"])
    errors: list[str] = []
    seen: dict[date, tuple[int, DayKind]] = {}
    days: list[CalendarDay] = []
    for row in rows:
        problems = []
        dates = _parse_dates(_column(row, "date"))
        kind_text = _column(row, "kind")
        kind = KIND_INPUTS.get(kind_text.lower())
        name = _column(row, "name")
        if isinstance(dates, str):
            problems.append(dates)
        if kind is None:
            problems.append(f"类型(kind) “{kind_text}” 无效，应为 节假日（holiday）或 调休上班（workday）")
        if len(name) > 50:
            problems.append("名称(name)不超过 50 个字符")
        if not problems and isinstance(dates, list) and kind is not None:
            for day in dates:
                problem = _clash(day, kind, seen, weekdays)
                if problem:
                    problems.append(problem)
                    continue
                seen[day] = (row.number, kind)
                days.append(CalendarDay(day, kind, name))
        errors += [f"第 {row.number} 行：{p}" for p in problems]
    if errors:
        raise ImportFailed(errors)
    return CalendarFile(sorted(days, key=lambda d: d.day), sorted({d.day.year for d in days}))


def _clash(day: date, kind: DayKind, seen: dict[date, tuple[int, DayKind]], weekdays: frozenset[int]) -> str | None:
    """What is wrong with listing `day` as `kind` after the rows before it, if anything."""
    if day in seen and seen[day][1] is not kind:
        return f"{both_kinds(day, seen[day][1], kind)}（见第 {seen[day][0]} 行）"
    if day in seen:
        return f"{day.isoformat()} 与第 {seen[day][0]} 行重复"
    return needless_workday(day, weekdays) if kind is DayKind.WORKDAY else None


async def import_calendar(conn: asyncpg.Connection, rows: list[Row]) -> int:
    """`hotline import calendar FILE`: the file's years replaced, and a recomputation requested (the
    command queues it when it has finished)."""
    async with conn.transaction():
        if await conn.fetchval(Q.sla_settings_lock) is None:
            raise ImportFailed(["数据库中还没有时限规则，请先运行 hotline migrate"])
        rules = await load_rules(conn, ZoneInfo("UTC"))  # only its office week is needed here, not its zone
        assert rules is not None
        parsed = parse_calendar(rows, rules.weekdays)
        days = parsed.days
        await conn.execute(
            Q.calendar_years_replace,
            [d.day for d in days],
            [d.kind.value for d in days],
            [d.name for d in days],
            parsed.years,
        )
        reason = f"导入 {'、'.join(str(y) for y in parsed.years)} 年节假日与调休"
        await conn.execute(Q.sla_recompute_request, datetime.now(UTC), None, reason)
    return len(rows)
