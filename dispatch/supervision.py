"""The four kinds of focused supervision (重点督办): which a ticket belongs to, from facts the
shell gathers and thresholds from config."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.calendar import as_utc
from dispatch.states import UNFINISHED_STATES, TicketState


class SupervisionKind(StrEnum):
    """Declared in the order the board and the report list them: overdue first."""

    OVERDUE = "overdue", "超期未办结"
    DISSATISFIED = "dissatisfied", "回访不满意"
    REPEAT = "repeat", "重复诉求"
    DISPUTED = "disputed", "多次退单、争议"

    label: str

    def __new__(cls, value: str, label: str = "") -> SupervisionKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


@dataclass(frozen=True)
class SupervisionThresholds:
    """A ticket is a repeat when it is at least the `repeat_count`-th from the same caller, or
    about the same place and category, within `repeat_window`; disputed when returned at least
    `return_count` times (or flagged); dissatisfied after `dissatisfied_count` such callbacks."""

    repeat_count: int = 3
    repeat_window: timedelta = timedelta(days=30)
    return_count: int = 2
    dissatisfied_count: int = 1

    def __post_init__(self) -> None:
        if self.repeat_count < 2:
            raise ValueError("repeat_count must be at least 2: one ticket does not repeat itself")
        if self.return_count < 1:
            raise ValueError("return_count must be at least 1")
        if self.dissatisfied_count < 1:
            raise ValueError("dissatisfied_count must be at least 1")
        if self.repeat_window <= timedelta(0):
            raise ValueError("repeat_window must be positive")


@dataclass(frozen=True)
class TicketFacts:
    """What the shell knows about one ticket. `completion_due` is the completion deadline as
    computed by `dispatch.sla.compute_deadline`. The `same_*_created` tuples hold the creation
    times of the caller's other tickets and of other tickets with the same place and category
    (merged ones included or not, as the shell decides); only those before this one count."""

    state: TicketState
    created_at: datetime
    completion_due: datetime | None = None
    dissatisfied_callbacks: int = 0
    return_count: int = 0
    disputed: bool = False
    same_caller_created: tuple[datetime, ...] = ()
    same_place_category_created: tuple[datetime, ...] = ()


def is_overdue(facts: TicketFacts, now: datetime) -> bool:
    """Past the completion deadline with the result still owed (超期未办结)."""
    if facts.completion_due is None or facts.state not in UNFINISHED_STATES:
        return False
    return as_utc(now) >= as_utc(facts.completion_due)


def is_dissatisfied(facts: TicketFacts, thresholds: SupervisionThresholds) -> bool:
    return facts.dissatisfied_callbacks >= thresholds.dissatisfied_count


def is_repeat(facts: TicketFacts, thresholds: SupervisionThresholds) -> bool:
    """Anchored on the ticket itself, so the answer does not change as time passes: the third
    call in 30 days is a repeat, the first two are what it repeats."""
    created = as_utc(facts.created_at)
    since = created - thresholds.repeat_window
    for history in (facts.same_caller_created, facts.same_place_category_created):
        earlier = sum(1 for moment in history if since <= as_utc(moment) <= created)
        if earlier + 1 >= thresholds.repeat_count:
            return True
    return False


def is_disputed(facts: TicketFacts, thresholds: SupervisionThresholds) -> bool:
    return facts.disputed or facts.return_count >= thresholds.return_count


def supervision_kinds(
    facts: TicketFacts, thresholds: SupervisionThresholds, now: datetime
) -> tuple[SupervisionKind, ...]:
    """The kinds the ticket belongs to, in `SupervisionKind` order. A merged ticket belongs to
    none: its master carries the case."""
    as_utc(now)
    if facts.state is TicketState.MERGED:
        return ()
    checks = {
        SupervisionKind.OVERDUE: is_overdue(facts, now),
        SupervisionKind.DISSATISFIED: is_dissatisfied(facts, thresholds),
        SupervisionKind.REPEAT: is_repeat(facts, thresholds),
        SupervisionKind.DISPUTED: is_disputed(facts, thresholds),
    }
    return tuple(kind for kind in SupervisionKind if checks[kind])
