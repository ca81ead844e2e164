"""The SLA rules a city runs on, as one immutable value: the first-response and completion limits, the
warning fraction, the office week, public holidays and make-up working days (调休).

They live in the database (hotline/sla/rules_store.py); config.toml's [sla] and [calendar] only give
a new database its first values (`rules_from_settings`). `rule_problems` and `day_problems` say in
Chinese everything wrong with an edited set at once, so nothing is saved until all of it is right.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from dispatch.calendar import Counting, DayKind, WorkingCalendar
from dispatch.sla import SlaPolicy, SlaRule, Track
from dispatch.ticket_types import TicketType
from hotline.settings import Settings

WEEKDAY_NAMES = {1: "星期一", 2: "星期二", 3: "星期三", 4: "星期四", 5: "星期五", 6: "星期六", 7: "星期日"}
COUNTING_DAY_WORD = {Counting.WORKING: "个工作日", Counting.NATURAL: "个自然日"}
MAX_COMPLETION_DAYS = 365


@dataclass(frozen=True)
class CompletionLimit:
    """Days to complete a ticket of a type and category; None is "any" (the fallbacks of `SlaPolicy`)."""

    ticket_type: TicketType | None
    category_code: str | None
    days: int
    counts: Counting = Counting.WORKING
    category_name: str = ""

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.ticket_type.value if self.ticket_type else None, self.category_code)

    @property
    def scope(self) -> str:
        """Who it applies to, as the rules table reads: 投诉 · 噪音扰民, 任意类型 · 噪音扰民."""
        kind = self.ticket_type.label if self.ticket_type else "任意类型"
        category = (self.category_name or self.category_code) if self.category_code else "任意分类"
        return f"{kind} · {category}"

    @property
    def name(self) -> str:
        """The rule name a clock carries: 投诉15个工作日办结, 噪音扰民5个自然日办结."""
        parts = [self.ticket_type.label if self.ticket_type else "", self.category_name or self.category_code or ""]
        return f"{''.join(parts) or '工单'}{self.days}{COUNTING_DAY_WORD[self.counts]}办结"


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: DayKind
    name: str = ""


@dataclass(frozen=True)
class SlaRules:
    """`version` is the database's (None: not stored yet, the defaults of config.toml)."""

    version: int | None
    reply_minutes: float
    reply_counts: Counting
    accept_minutes: float
    accept_counts: Counting
    warn_fraction: float
    hours: tuple[tuple[time, time], ...]
    weekdays: frozenset[int]
    completion: tuple[CompletionLimit, ...]
    days: tuple[CalendarDay, ...]
    tz: ZoneInfo

    @functools.cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            hours=self.hours,
            weekdays=self.weekdays,
            holidays=frozenset(d.day for d in self.days if d.kind is DayKind.HOLIDAY),
            workdays=frozenset(d.day for d in self.days if d.kind is DayKind.WORKDAY),
            tz=self.tz,
        )

    @functools.cached_property
    def policy(self) -> SlaPolicy:
        warn = self.warn_fraction
        return SlaPolicy(
            reply=SlaRule(
                f"普通工单{human_minutes(self.reply_minutes)}回复",
                Track.REPLY,
                timedelta(minutes=self.reply_minutes),
                self.reply_counts,
                warn,
            ),
            accept=SlaRule(
                f"复杂工单{human_minutes(self.accept_minutes)}甄别受理",
                Track.ACCEPT,
                timedelta(minutes=self.accept_minutes),
                self.accept_counts,
                warn,
            ),
            completion={
                limit.key: SlaRule(limit.name, Track.COMPLETE, timedelta(days=limit.days), limit.counts, warn)
                for limit in self.completion
            },
        )

    def rule_for(self, track: Track, ticket_type: str, category_code: str | None) -> SlaRule:
        """The rule a clock of `track` runs on for a ticket of this type and category now."""
        if track is Track.REPLY:
            return self.policy.reply
        if track is Track.ACCEPT:
            return self.policy.accept
        return self.policy.completion_rule(ticket_type, category_code or "")


def human_minutes(minutes: float) -> str:
    if minutes >= 1440 and minutes % 1440 == 0:
        return f"{int(minutes // 1440)}天"
    if minutes >= 60 and minutes % 60 == 0:
        return f"{int(minutes // 60)}小时"
    if minutes >= 1 and minutes == int(minutes):
        return f"{int(minutes)}分钟"
    return f"{round(minutes * 60)}秒"


def expand_dates(values: Iterable[str]) -> list[date]:
    """Config dates: "2026-10-01" or a range "2026-10-01..2026-10-07"."""
    days = []
    for value in values:
        first, _, last = value.partition("..")
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
        days += [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return days


def rules_from_settings(settings: Settings) -> SlaRules:
    """What config.toml says: the first rules of a new database."""
    sla, calendar = settings.sla, settings.calendar
    days = [CalendarDay(d, DayKind.HOLIDAY) for d in expand_dates(calendar.holidays)]
    days += [CalendarDay(d, DayKind.WORKDAY) for d in expand_dates(calendar.workdays)]
    return SlaRules(
        version=None,
        reply_minutes=sla.reply_minutes,
        reply_counts=Counting(sla.reply_counts),
        accept_minutes=sla.accept_minutes,
        accept_counts=Counting(sla.accept_counts),
        warn_fraction=sla.warn_fraction,
        hours=tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in calendar.hours),
        weekdays=frozenset(calendar.weekdays),
        completion=tuple(
            CompletionLimit(TicketType(t), None, days, Counting(sla.completion_counts))
            for t, days in sla.completion_days.items()
        ),
        days=tuple(sorted(days, key=lambda d: d.day)),
        tz=settings.tz,
    )


def rule_problems(rules: SlaRules, categories: Mapping[str, str]) -> list[str]:
    """Everything wrong with a rule set, in Chinese; `categories` maps the known codes to their names."""
    problems = []
    for label, minutes in (("普通工单回复时限", rules.reply_minutes), ("复杂工单甄别受理时限", rules.accept_minutes)):
        if not minutes > 0:
            problems.append(f"{label}须大于 0 分钟")
        elif minutes > 60 * 24 * 30:
            problems.append(f"{label}不能超过 30 天")
    if not 0 < rules.warn_fraction < 1:
        problems.append("预警比例须大于 0 且小于 100%（如 80% 表示时限用去八成时预警）")
    problems += _hours_problems(rules.hours)
    outside = sorted(rules.weekdays - set(WEEKDAY_NAMES))
    if outside:
        problems.append(f"工作日 {outside} 无效：用 1（星期一）到 7（星期日）表示")
    if not rules.weekdays:
        problems.append("每周至少要有一个工作日")
    problems += _completion_problems(rules.completion, categories)
    return problems


def _hours_problems(hours: tuple[tuple[time, time], ...]) -> list[str]:
    if not hours:
        return ["办公时间不能为空：至少填写一个时段，如 09:00–12:00"]
    problems = [f"办公时间 {a:%H:%M}–{b:%H:%M}：开始须早于结束" for a, b in hours if a >= b]
    ordered = sorted(hours)
    problems += [
        f"办公时间 {a1:%H:%M}–{b1:%H:%M} 与 {a2:%H:%M}–{b2:%H:%M} 重叠"
        for (a1, b1), (a2, b2) in pairwise(ordered)
        if a2 < b1
    ]
    return problems


def _completion_problems(limits: tuple[CompletionLimit, ...], categories: Mapping[str, str]) -> list[str]:
    problems = []
    seen: dict[tuple[str | None, str | None], int] = {}
    for n, limit in enumerate(limits, start=1):
        where = f"办结时限第 {n} 条（{limit.scope}）"
        if limit.category_code is not None and limit.category_code not in categories:
            problems.append(f"{where}：分类代码 {limit.category_code} 不存在")
        if not 1 <= limit.days <= MAX_COMPLETION_DAYS:
            problems.append(f"{where}：天数须为 1–{MAX_COMPLETION_DAYS} 的整数，现为 {limit.days}")
        if limit.key in seen:
            problems.append(f"{where}：与第 {seen[limit.key]} 条重复")
        seen.setdefault(limit.key, n)
    if (None, None) not in seen:
        uncovered = [t.label for t in TicketType if (t.value, None) not in seen]
        if uncovered:
            problems.append(
                f"以下工单类型没有兜底的办结时限：{'、'.join(uncovered)}；"
                "请为它们添加“任意分类”的时限，或添加一条“任意类型 · 任意分类”的时限"
            )
    return problems


def both_kinds(day: date, first: DayKind, then: DayKind) -> str:
    """A holiday and a make-up day on the same date."""
    return f"{day.isoformat()} 已是{first.label}，不能同时设为{then.label}（一天只能是其中一种）"


def needless_workday(day: date, weekdays: frozenset[int]) -> str | None:
    """A make-up working day on a day that works anyway is a mistake in the file or the form."""
    if day.isoweekday() not in weekdays:
        return None
    return f"{day.isoformat()}（{WEEKDAY_NAMES[day.isoweekday()]}）本来就是工作日，不必设为调休上班日"
