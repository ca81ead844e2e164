"""Tickets as the shell sees them: row → dataclass, and the JSON a given user may see (masking)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from classifier.text import mask_personal_numbers
from dispatch.states import TicketState
from dispatch.ticket_types import TicketType

CHANNEL_LABELS = {"phone": "电话", "web": "网站", "app": "APP/小程序", "api": "接口"}
SUMMARY_LENGTH = 60


@dataclass(frozen=True)
class Ticket:
    """A whole ticket row: its fields are the ticket_columns fragment of sql/queries/tickets.sql, in order."""

    id: int
    number: str
    type: TicketType
    channel: str
    caller_phone: str | None
    caller_name: str | None
    address: str
    content: str
    category_code: str | None
    category_confidence: float | None
    category_source: str | None
    urgency: str
    is_complex: bool
    complexity: dict[str, Any]
    place: dict[str, Any]
    state: TicketState
    holder_unit_id: int | None
    lead_unit_id: int | None
    co_unit_ids: list[int]
    master_ticket_id: int | None
    kb_entry_id: int | None
    routing: dict[str, Any] | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None
    signed_at: datetime | None
    first_contact_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    satisfaction: str | None
    resolved: bool | None
    return_count: int
    reroute_count: int
    reopen_count: int
    version: int
    confidential: bool
    repeats: int | None  # 重复诉求 counted at intake (sql/queries/tickets.sql insert_ticket); NULL for imported history

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Ticket:
        values = dict(row)
        values["type"] = TicketType(values["type"])
        values["state"] = TicketState(values["state"])
        values["co_unit_ids"] = list(values["co_unit_ids"])
        return cls(**values)


@dataclass(frozen=True)
class TicketHead:
    """What the event log and the board need of a ticket; read in bulk where whole rows are not."""

    id: int
    number: str
    state: TicketState
    holder_unit_id: int | None
    lead_unit_id: int | None
    category_code: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> TicketHead:
        return cls(
            row["ticket_id"],
            row["number"],
            TicketState(row["state"]),
            row["holder_unit_id"],
            row["lead_unit_id"],
            row["category_code"],
        )


def _hidden_digits(digits: str) -> str:
    """The shape every masked number has, in fields and in text: 138****1234 for a mobile (the first three
    and last four digits, as a call-back list shows them), and only the last two of a short number."""
    if digits.startswith("86") and len(digits) == 13:  # +86 before a mobile
        digits = digits[2:]
    if len(digits) >= 11:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    if len(digits) >= 7:
        return f"{'*' * (len(digits) - 2)}{digits[-2:]}"
    return "****"


def _masked_number(number: str) -> str:
    """A number found in text, hidden like a caller's number; a colon or space the pattern took stays."""
    lead = number[: len(number) - len(number.lstrip(": "))]
    return lead + _hidden_digits(re.sub(r"[^\dXx*]", "", number))


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough for a handler to recognise a call-back, not to collect numbers."""
    if not phone:
        return phone
    return _hidden_digits(re.sub(r"\D", "", phone))


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_text(text: str) -> str:
    """Phone and ID numbers inside free text (content, address, notes, summaries) hidden the way the caller's
    own number is: the one function every view of a ticket's text goes through when numbers are masked."""
    return mask_personal_numbers(text, phone=_masked_number, id_number=_masked_number)


def summary(text: str, length: int = SUMMARY_LENGTH) -> str:
    """A list line of a ticket's text: masked before it is cut, so no number is cut into an unmaskable tail.
    Summaries are always masked (boards, reports, suggestions): whoever needs the numbers opens the ticket."""
    return mask_text(text)[:length]


class PersonalView(StrEnum):
    """How a user sees a ticket's personal data (name, phone, address, numbers in the text); decided in
    hotline/access.py `personal_view`."""

    FULL = "full"  # the hotline centre: unmasked, and every read is logged (pii_reads)
    REVEAL = "reveal"  # a unit that needs numbers (sees_phone): masked until it asks (查看号码), logged
    MASKED = "masked"  # other units: masked
    WITHHELD = "withheld"  # a confidential ticket (保密) below the centre: no name, phone or address at all

    @property
    def masked(self) -> bool:
        return self is not PersonalView.FULL


def personal_fields(ticket: Ticket, view: PersonalView) -> dict[str, str | None]:
    """The caller's name and number, the address and the content as `view` shows them."""
    if view is PersonalView.FULL:
        return {
            "caller_phone": ticket.caller_phone,
            "caller_name": ticket.caller_name,
            "address": ticket.address,
            "content": ticket.content,
        }
    withheld = view is PersonalView.WITHHELD
    return {
        "caller_phone": None if withheld else mask_phone(ticket.caller_phone),
        "caller_name": None if withheld else mask_name(ticket.caller_name),
        "address": None if withheld else mask_text(ticket.address),
        "content": mask_text(ticket.content),
    }


def unmasked_fields(ticket: Ticket) -> list[str]:
    """The fields a full view shows that a unit's view of the same ticket would not: what a read logs."""
    restricted = personal_fields(ticket, PersonalView.WITHHELD if ticket.confidential else PersonalView.MASKED)
    full = personal_fields(ticket, PersonalView.FULL)
    return [name for name, value in full.items() if value and value != restricted[name]]


def ticket_json(ticket: Ticket, *, unit_names: dict[int, str], view: PersonalView) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "type": ticket.type.value,
        "type_label": ticket.type.label,
        "channel": ticket.channel,
        "channel_label": CHANNEL_LABELS[ticket.channel],
        **personal_fields(ticket, view),
        "personal_data_masked": view.masked,
        "personal_view": view.value,
        "confidential": ticket.confidential,
        "category_code": ticket.category_code,
        "category_confidence": ticket.category_confidence,
        "category_source": ticket.category_source,
        "urgency": ticket.urgency,
        "is_complex": ticket.is_complex,
        "complexity": ticket.complexity,
        "place": ticket.place,
        "state": ticket.state.value,
        "state_label": ticket.state.label,
        "holder_unit_id": ticket.holder_unit_id,
        "holder_unit_name": unit_names.get(ticket.holder_unit_id) if ticket.holder_unit_id else None,
        "lead_unit_id": ticket.lead_unit_id,
        "co_unit_ids": ticket.co_unit_ids,
        "master_ticket_id": ticket.master_ticket_id,
        "kb_entry_id": ticket.kb_entry_id,
        "routing": ticket.routing,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "assigned_at": _iso(ticket.assigned_at),
        "signed_at": _iso(ticket.signed_at),
        "first_contact_at": _iso(ticket.first_contact_at),
        "completed_at": _iso(ticket.completed_at),
        "closed_at": _iso(ticket.closed_at),
        "satisfaction": ticket.satisfaction,
        "resolved": ticket.resolved,
        "return_count": ticket.return_count,
        "reroute_count": ticket.reroute_count,
        "reopen_count": ticket.reopen_count,
        "version": ticket.version,
    }


def mask_payload(value: Any) -> Any:
    """Every string in a JSON-ready value with its numbers masked: board events reach many viewers."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_payload(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_payload(v) for v in value]
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
