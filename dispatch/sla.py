"""SLA rules and deadlines.

A deadline is a clock that starts at `start`, runs for the rule's duration (natural or working
time), stops while the ticket is suspended and is moved by approved extensions. Everything is
recomputed from those facts, so the shell stores facts (assignment time, suspensions,
extensions), never a mutable due date, and the timer worker and the sweep agree by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.calendar import Counting, WorkingCalendar, as_utc
from dispatch.ticket_types import TicketType


class Track(StrEnum):
    """Which clock: reply (ordinary ticket), accept (complex ticket), complete (办结) run against the unit
    handling the ticket; callback (回访, the hotline centre's) and order (a supervised unit's answer to a
    督办单) are clocks of their own, in natural time, that no suspension or extension moves."""

    REPLY = "reply", "回复"
    ACCEPT = "accept", "甄别受理"
    COMPLETE = "complete", "办结"
    CALLBACK = "callback", "回访"
    ORDER = "order", "督办答复"

    label: str

    def __new__(cls, value: str, label: str = "") -> Track:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


# The clocks of the ticket's handling: suspensions pause them, rule changes recompute them.
HANDLING_TRACKS = (Track.REPLY, Track.ACCEPT, Track.COMPLETE)


class SlaStatus(StrEnum):
    OK = "ok", "正常"
    WARNING = "warning", "即将超期"
    OVERDUE = "overdue", "已超期"

    label: str

    def __new__(cls, value: str, label: str = "") -> SlaStatus:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class SlaConfigError(ValueError):
    """The SLA policy is incomplete or inconsistent."""


@dataclass(frozen=True)
class SlaRule:
    """A time limit. In working counting a whole day of `duration` means a working day
    (`timedelta(days=3)` is "3 个工作日"), see `WorkingCalendar.advance`."""

    name: str
    track: Track
    duration: timedelta
    counts: Counting = Counting.WORKING
    warn_fraction: float = 0.8

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError(f"SLA rule {self.name!r}: duration must be positive")
        if not 0 < self.warn_fraction <= 1:
            raise ValueError(f"SLA rule {self.name!r}: warn_fraction must be in (0, 1]")


@dataclass(frozen=True)
class Extension:
    """An approved extension (延期): either `by` more time (read like a rule duration) or a new
    due moment `until`. `until` was chosen by the approver knowing the suspensions so far, so
    only suspensions that start after `approved_at` move it further."""

    approved_at: datetime
    by: timedelta | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        as_utc(self.approved_at)
        if (self.by is None) == (self.until is None):
            raise ValueError("an extension gives exactly one of `by` and `until`")
        if self.by is not None and self.by <= timedelta(0):
            raise ValueError("an extension must add a positive duration")
        if self.until is not None:
            as_utc(self.until)


@dataclass(frozen=True)
class Deadline:
    kind: Track
    rule_name: str
    counts: Counting
    start: datetime
    due_at: datetime
    warn_at: datetime


Pause = tuple[datetime, datetime]


def compute_deadline(
    rule: SlaRule,
    start: datetime,
    calendar: WorkingCalendar,
    *,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> Deadline:
    """The deadline of `rule` for a clock started at `start`.

    `pauses` are closed suspensions (start, end); for a ticket suspended right now pass
    (suspended_at, now) to get the due date as if it resumed now. Pauses and extensions are
    applied in time order: a pause moves the due by the counted time it lasted, unless it began
    after the clock had already run out (suspending an overdue ticket does not rescue it).
    `warn_at` is when `rule.warn_fraction` of the allowed running time has been used.
    """
    start = as_utc(start)
    counts = rule.counts
    due = calendar.advance(start, rule.duration, counts)
    merged = _merge_pauses(start, pauses)
    events: list[tuple[datetime, int, Pause | Extension]] = [(p[0], 0, p) for p in merged]
    events += [(as_utc(e.approved_at), 1, e) for e in extensions]
    counted: list[Pause] = []
    for _, _, event in sorted(events, key=lambda item: (item[0], item[1])):
        if isinstance(event, Extension):
            if event.until is not None:
                due = as_utc(event.until)
            elif event.by is not None:
                due = calendar.advance(due, event.by, counts)
        elif event[0] < due:
            due = calendar.add(due, calendar.elapsed(event[0], event[1], counts), counts)
            counted.append(event)
    return Deadline(
        kind=rule.track,
        rule_name=rule.name,
        counts=counts,
        start=start,
        due_at=due,
        warn_at=_warn_at(rule, start, due, counted, calendar),
    )


def _merge_pauses(start: datetime, pauses: Sequence[Pause]) -> list[Pause]:
    """Pauses clipped to the clock's start, sorted, overlaps joined."""
    merged: list[Pause] = []
    for begin, end in sorted((as_utc(b), as_utc(e)) for b, e in pauses):
        if end < begin:
            raise ValueError(f"suspension ends ({end.isoformat()}) before it begins ({begin.isoformat()})")
        begin = max(begin, start)
        if end <= begin:
            continue
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def _warn_at(rule: SlaRule, start: datetime, due: datetime, pauses: list[Pause], calendar: WorkingCalendar) -> datetime:
    counts = rule.counts
    paused = sum((calendar.elapsed(b, e, counts) for b, e in pauses), timedelta(0))
    running = calendar.elapsed(start, due, counts) - paused
    if running <= timedelta(0):
        return due
    need, cursor = running * rule.warn_fraction, start
    for begin, end in pauses:
        if begin > cursor:
            gap = calendar.elapsed(cursor, begin, counts)
            if need <= gap:
                return min(calendar.add(cursor, need, counts), due)
            need -= gap
        cursor = max(cursor, end)
    return min(calendar.add(cursor, need, counts), due)


def deadline_status(deadline: Deadline, now: datetime) -> SlaStatus:
    """Overdue from the due moment itself, so the timer that fires at `due_at` sees it."""
    now = as_utc(now)
    if now >= deadline.due_at:
        return SlaStatus.OVERDUE
    if now >= deadline.warn_at:
        return SlaStatus.WARNING
    return SlaStatus.OK


def remaining(deadline: Deadline, now: datetime, calendar: WorkingCalendar) -> timedelta:
    """Time left, counted the way the rule counts; negative once overdue."""
    return calendar.elapsed(now, deadline.due_at, deadline.counts)


CompletionKey = tuple[str | None, str | None]


@dataclass(frozen=True)
class SlaPolicy:
    """Which rules apply to a ticket. `completion` is keyed by (ticket type, category code),
    either part None for "any"; the most specific key wins: (type, category), then
    (None, category), then (type, None), then (None, None)."""

    reply: SlaRule
    accept: SlaRule
    completion: Mapping[CompletionKey, SlaRule]

    def __post_init__(self) -> None:
        expected = [(self.reply, Track.REPLY), (self.accept, Track.ACCEPT)]
        expected += [(rule, Track.COMPLETE) for rule in self.completion.values()]
        for rule, track in expected:
            if rule.track is not track:
                raise SlaConfigError(f"SLA rule {rule.name!r} is on track {rule.track}, expected {track}")

    def response_rule(self, is_complex: bool) -> SlaRule:
        """Ordinary tickets get the reply clock, complex ones the accept clock."""
        return self.accept if is_complex else self.reply

    def completion_rule(self, ticket_type: str, category_code: str) -> SlaRule:
        for key in ((ticket_type, category_code), (None, category_code), (ticket_type, None), (None, None)):
            if key in self.completion:
                return self.completion[key]
        raise SlaConfigError(f"no completion rule for ticket type {ticket_type!s}, category {category_code}")

    def rules_for(self, ticket_type: str, category_code: str, is_complex: bool) -> tuple[SlaRule, SlaRule]:
        """(first-response rule, completion rule) for a ticket."""
        return self.response_rule(is_complex), self.completion_rule(ticket_type, category_code)


def default_policy() -> SlaPolicy:
    """The product's defaults; config.toml overrides them."""
    days = {
        TicketType.CONSULTATION: 3,
        TicketType.HELP_REQUEST: 5,
        TicketType.COMPLAINT: 15,
        TicketType.REPORT: 15,
        TicketType.SUGGESTION: 15,
        TicketType.PRAISE: 3,
    }
    return SlaPolicy(
        reply=SlaRule("普通工单1小时回复", Track.REPLY, timedelta(hours=1)),
        accept=SlaRule("复杂工单1天内甄别受理", Track.ACCEPT, timedelta(days=1)),
        completion={
            (ticket_type, None): SlaRule(f"{ticket_type.label}{n}个工作日办结", Track.COMPLETE, timedelta(days=n))
            for ticket_type, n in days.items()
        },
    )
