"""The working calendar: office hours, weekdays, public holidays and make-up working days
(调休). Datetimes in and out are timezone-aware and returned in UTC; the calendar's own zone
is used only to decide what local day and hour a moment falls on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_HOURS = ((time(9), time(12)), (time(13, 30), time(17, 30)))
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

# A longer run of days off than any real calendar has means the calendar is wrong
# (e.g. no weekdays and the make-up days are all in the past): fail instead of looping.
_MAX_DAYS_OFF = 400


class Counting(StrEnum):
    """Whether an SLA counts every minute or only office hours on working days."""

    NATURAL = "natural", "自然时间"
    WORKING = "working", "工作时间"

    label: str

    def __new__(cls, value: str, label: str = "") -> Counting:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class DayKind(StrEnum):
    """What a listed date is: a public holiday, or a make-up working day (调休) on a weekend."""

    HOLIDAY = "holiday", "节假日"
    WORKDAY = "workday", "调休上班日"

    label: str

    def __new__(cls, value: str, label: str = "") -> DayKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def as_utc(dt: datetime) -> datetime:
    """`dt` in UTC; a naive datetime is refused rather than guessed."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{dt!r} is naive: the dispatch core needs timezone-aware datetimes")
    return dt.astimezone(UTC)


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours are a list of intervals applied to every working day (a lunch break is the
    gap between two). A day works when it is a listed weekday (ISO: Monday 1 … Sunday 7) and
    not a holiday, or when it is a make-up working day."""

    hours: tuple[tuple[time, time], ...] = DEFAULT_HOURS
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    tz: ZoneInfo = DEFAULT_TZ

    def __post_init__(self) -> None:
        hours = tuple(sorted((start, end) for start, end in self.hours))
        if not hours:
            raise ValueError("office hours are empty: give at least one interval")
        for start, end in hours:
            if start >= end:
                raise ValueError(f"office hours {start:%H:%M}-{end:%H:%M}: start must be before end")
        for (_, end), (start, _) in pairwise(hours):
            if start < end:
                raise ValueError(f"office hours overlap at {start:%H:%M}")
        weekdays = frozenset(self.weekdays)
        if not weekdays <= set(range(1, 8)):
            raise ValueError(f"weekdays {sorted(weekdays)}: use ISO weekday numbers 1 (Monday) to 7")
        holidays, workdays = frozenset(self.holidays), frozenset(self.workdays)
        clash = sorted(holidays & workdays)
        if clash:
            raise ValueError(f"{clash[0].isoformat()} is both a holiday and a make-up working day")
        if not weekdays and not workdays:
            raise ValueError("the calendar has no working day at all")
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "weekdays", weekdays)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> WorkingCalendar:
        """Build from plain config values (as read from TOML or JSON), every key optional:
        ``timezone`` ("Asia/Shanghai"), ``hours`` ([["09:00", "12:00"], ...]), ``weekdays``
        ([1, 2, 3, 4, 5]), ``holidays`` and ``workdays`` (dates, "2026-10-01", or ranges
        "2026-10-01..2026-10-07")."""
        kwargs: dict[str, Any] = {}
        if "timezone" in data:
            kwargs["tz"] = ZoneInfo(data["timezone"])
        if "hours" in data:
            kwargs["hours"] = tuple((_parse_time(a), _parse_time(b)) for a, b in data["hours"])
        if "weekdays" in data:
            kwargs["weekdays"] = frozenset(int(d) for d in data["weekdays"])
        for key in ("holidays", "workdays"):
            if key in data:
                kwargs[key] = frozenset(_parse_dates(data[key]))
        return cls(**kwargs)

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day."""
        return timedelta(seconds=sum(_seconds(end) - _seconds(start) for start, end in self.hours))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def is_working_time(self, moment: datetime) -> bool:
        moment = as_utc(moment)
        return any(start <= moment < end for start, end in self._intervals(self._local_day(moment)))

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The moment when `delta` of working time has passed since `start`. Time outside
        office hours does not count, so a start outside them effectively begins at the next
        opening; a result that falls exactly at closing time stays on that day."""
        cursor = as_utc(start)
        if delta < timedelta(0):
            raise ValueError(f"cannot add a negative working time ({delta})")
        if not delta:
            return cursor
        remaining = delta
        for day in self._working_days_from(self._local_day(cursor)):
            for opens, closes in self._intervals(day):
                if closes <= cursor:
                    continue
                opens = max(opens, cursor)
                if remaining <= closes - opens:
                    return opens + remaining
                remaining -= closes - opens
        raise AssertionError("unreachable: _working_days_from never ends")

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b`; negative when `b` is before `a`."""
        a, b = as_utc(a), as_utc(b)
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day, last = self._local_day(a), self._local_day(b)
        while day <= last:
            for opens, closes in self._intervals(day):
                overlap = min(closes, b) - max(opens, a)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`days` full working days after `start`: the same hour `days` working days later,
        or the close of the last day when `start` is at or before an opening."""
        if days < 0:
            raise ValueError(f"cannot add a negative number of working days ({days})")
        return self.add_working_time(start, days * self.day_length)

    def add(self, start: datetime, delta: timedelta, counts: Counting) -> datetime:
        """`start` plus `delta` of natural or working time (the inverse of `elapsed`)."""
        if counts is Counting.NATURAL:
            return as_utc(start) + delta
        return self.add_working_time(start, delta)

    def elapsed(self, a: datetime, b: datetime, counts: Counting) -> timedelta:
        """Natural or working time from `a` to `b`."""
        if counts is Counting.NATURAL:
            return as_utc(b) - as_utc(a)
        return self.working_time_between(a, b)

    def advance(self, start: datetime, duration: timedelta, counts: Counting) -> datetime:
        """Apply a configured duration as people read it: in working counting each whole day
        of `duration` is a working day (not 24 working hours) and the rest is working time;
        in natural counting the duration is added as it is."""
        if counts is Counting.NATURAL:
            return self.add(start, duration, counts)
        whole_days = timedelta(days=duration.days)
        return self.add_working_time(start, duration.days * self.day_length + (duration - whole_days))

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def _intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        return _day_intervals(self, day)

    def _working_days_from(self, day: date) -> Iterator[date]:
        days_off = 0
        while True:
            if self.is_working_day(day):
                days_off = 0
                yield day
            else:
                days_off += 1
                if days_off > _MAX_DAYS_OFF:
                    raise ValueError(f"no working day within {_MAX_DAYS_OFF} days after {day.isoformat()}")
            day += timedelta(days=1)


# Deadlines are computed for every ticket event and the same few weeks of days come up again
# and again; the calendar is immutable and hashable, so its days can be cached.
@lru_cache(maxsize=4096)
def _day_intervals(calendar: WorkingCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    if not calendar.is_working_day(day):
        return ()
    return tuple(
        (
            datetime.combine(day, opens, tzinfo=calendar.tz).astimezone(UTC),
            datetime.combine(day, closes, tzinfo=calendar.tz).astimezone(UTC),
        )
        for opens, closes in calendar.hours
    )


def _parse_time(value: str | time) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


def _parse_dates(values: Iterable[str | date]) -> Iterator[date]:
    for value in values:
        if isinstance(value, date):
            yield value
            continue
        first, _, last = value.partition("..")
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
        if end < start:
            raise ValueError(f"date range {value!r} ends before it starts")
        while start <= end:
            yield start
            start += timedelta(days=1)
