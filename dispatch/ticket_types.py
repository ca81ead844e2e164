"""Ticket types (工单类型): stable English values, Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class TicketType(StrEnum):
    CONSULTATION = "consultation", "咨询"
    HELP_REQUEST = "help_request", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"
    PRAISE = "praise", "表扬"

    label: str

    def __new__(cls, value: str, label: str = "") -> TicketType:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member
