"""Unit scores and rankings (考核排名): six rates per unit, a weighted total, rankings by level.

A ticket counts for its lead unit (the unit that held it when it was completed or closed; for an
open ticket, the unit on it now), in the local month or quarter it was created. Definitions in
docs/report.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from hotline.queries import Q
from hotline.report import score_days
from hotline.settings import ReportSettings

COMPONENTS = {
    "sign_for": "按时签收率",
    "completion": "按时办结率",
    "contact": "联系率",
    "resolution": "解决率",
    "satisfaction": "满意率",
    "return": "未退单率",
}
LEVELS = {"district": "区", "street": "街道（镇）", "department": "部门"}
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    label: str  # 2026-11 or 2026-Q4
    first: date
    end: date  # first day after the period

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at local midnight."""
        return (
            datetime(self.first.year, self.first.month, 1, tzinfo=tz),
            datetime(self.end.year, self.end.month, 1, tzinfo=tz),
        )

    @property
    def title(self) -> str:
        if "Q" in self.label:
            return f"{self.first.year}年第{self.label[-1]}季度"
        return f"{self.first.year}年{self.first.month}月"


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period:
    match = _PERIOD.match(text or "")
    if not match:
        raise PeriodError("期间格式应为 YYYY-MM（月）或 YYYY-Qn（季度），例如 2026-11、2026-Q4")
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise PeriodError("年份应在 2000 至 2100 之间")
    if match.group(2):
        first = date(year, int(match.group(2)), 1)
        return Period(text, first, add_months(first, 1))
    first = date(year, (int(match.group(3)) - 1) * 3 + 1, 1)
    return Period(text, first, add_months(first, 3))


def month_period(first: date) -> Period:
    return Period(f"{first:%Y-%m}", first, add_months(first, 1))


@dataclass
class Facts:
    """Numerators (`*_ok`) and denominators (`*_n`) of the six rates, summable across units."""

    tickets: int = 0
    appealed: int = 0
    counts: dict[str, list[int]] | None = None

    def add(self, row: asyncpg.Record | dict[str, Any]) -> None:
        if self.counts is None:
            self.counts = {k: [0, 0] for k in COMPONENTS}
        self.tickets += row["tickets"]
        self.appealed += row["appealed"]
        for key in COMPONENTS:
            self.counts[key][0] += row[f"{key}_ok"]
            self.counts[key][1] += row[f"{key}_n"]

    def rates(self) -> dict[str, float | None]:
        counts = self.counts or {k: [0, 0] for k in COMPONENTS}
        return {k: (ok / n if n else None) for k, (ok, n) in counts.items()}


def weighted_total(rates: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """0..100; components without a denominator are left out and the remaining weights rescaled."""
    used = [(weights.get(k, 0), r) for k, r in rates.items() if r is not None and weights.get(k, 0) > 0]
    total_weight = sum(w for w, _ in used)
    if not total_weight:
        return None
    return round(100 * sum(w * r for w, r in used) / total_weight, 2)


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    level: str
    parent_id: int | None


async def load_units(conn: asyncpg.Connection) -> dict[int, UnitInfo]:
    rows = await conn.fetch(Q.report_units)
    return {r["id"]: UnitInfo(r["id"], r["name"], r["level"], r["parent_id"]) for r in rows}


def ancestor_at(units: dict[int, UnitInfo], unit_id: int, level: str) -> int | None:
    """The unit itself or its ancestor at `level`; None when the unit is not under one."""
    current: int | None = unit_id
    while current is not None:
        unit = units[current]
        if unit.level == level:
            return unit.id
        current = unit.parent_id
    return None


async def unit_facts(
    conn: asyncpg.Connection, start: datetime, end: datetime, as_of: datetime, scope: list[int] | None = None
) -> list[dict[str, Any]]:
    """Per lead unit, the counts behind the six rates; `scope` limits to those lead units."""
    return await score_days.unit_facts(conn, start, end, as_of, scope)


def rank(
    rows: list[dict[str, Any]], units: dict[int, UnitInfo], level: str, settings: ReportSettings
) -> dict[str, Any]:
    """Roll the per-lead-unit facts up to `level` and rank; units under the minimum sample are listed unranked."""
    grouped: dict[int, Facts] = {}
    for row in rows:
        target = ancestor_at(units, row["unit_id"], level)
        if target is not None:
            grouped.setdefault(target, Facts()).add(row)
    entries: list[dict[str, Any]] = []
    for unit_id, facts in grouped.items():
        rates = facts.rates()
        entries.append(
            {
                "unit_id": unit_id,
                "name": units[unit_id].name,
                "tickets": facts.tickets,
                "appealed_excluded": facts.appealed,
                "rates": {k: (round(v, 4) if v is not None else None) for k, v in rates.items()},
                "total": weighted_total(rates, settings.weights),
                "ranked": facts.tickets >= settings.min_sample,
            }
        )
    entries.sort(key=lambda e: (not e["ranked"], -(e["total"] or 0), -e["tickets"], e["unit_id"]))
    position = 0
    for entry in entries:
        if entry["ranked"]:
            position += 1
            entry["rank"] = position
        else:
            entry["rank"] = None
    return {"level": level, "level_label": LEVELS[level], "items": entries}


async def rankings(
    conn: asyncpg.Connection, period: Period, level: str, settings: ReportSettings, tz: ZoneInfo, as_of: datetime
) -> dict[str, Any]:
    start, end = period.bounds(tz)
    rows = await unit_facts(conn, start, end, as_of)
    result = rank(rows, await load_units(conn), level, settings)
    return {
        "period": period.label,
        "period_title": period.title,
        "weights": settings.weights,
        "components": COMPONENTS,
        "min_sample": settings.min_sample,
        **result,
    }
