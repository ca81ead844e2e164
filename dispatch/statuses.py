"""The statuses of the things around a ticket, each defined once: deadlines (SLA clocks),
extension requests (延期), appeals (申诉) and supervision orders (督办单).

Stored as their English values; the database's CHECK constraints list the same values
(tests/tickets/test_schema_mirrors_states.py keeps them equal).
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A stored value with its Chinese label."""

    label: str

    # Defaults only so a type checker accepts a lookup by value, DeadlineStatus("met"), as a call.
    def __new__(cls, value: str, label: str = "") -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class DeadlineStatus(Labelled):
    RUNNING = "running", "计时中"
    PAUSED = "paused", "已暂停"
    MET = "met", "已完成"
    CANCELLED = "cancelled", "已取消"

    @property
    def is_open(self) -> bool:
        return self in OPEN_DEADLINE_STATUSES


OPEN_DEADLINE_STATUSES = frozenset({DeadlineStatus.RUNNING, DeadlineStatus.PAUSED})


class ExtensionStatus(Labelled):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已同意"
    REJECTED = "rejected", "已驳回"

    @classmethod
    def decided(cls, approve: bool) -> ExtensionStatus:
        return cls.APPROVED if approve else cls.REJECTED


class AppealStatus(Labelled):
    PENDING = "pending", "待裁定"
    APPROVED = "approved", "申诉成立"
    REJECTED = "rejected", "申诉不成立"

    @classmethod
    def decided(cls, approve: bool) -> AppealStatus:
        return cls.APPROVED if approve else cls.REJECTED


class OrderStatus(Labelled):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复"
    CLOSED = "closed", "已办结"
