"""Tickets as the shell sees them: row → dataclass, and the JSON a given user may see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from dispatch.states import TicketState
from dispatch.ticket_types import TicketType

CHANNEL_LABELS = {"phone": "电话", "web": "网站", "app": "APP/小程序", "api": "接口"}


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


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough for a handler to recognise a call-back, not to collect numbers."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****"


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def ticket_json(ticket: Ticket, *, unit_names: dict[int, str], show_personal: bool) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "type": ticket.type.value,
        "type_label": ticket.type.label,
        "channel": ticket.channel,
        "channel_label": CHANNEL_LABELS[ticket.channel],
        "caller_phone": ticket.caller_phone if show_personal else mask_phone(ticket.caller_phone),
        "caller_name": ticket.caller_name if show_personal else mask_name(ticket.caller_name),
        "personal_data_masked": not show_personal,
        "address": ticket.address,
        "content": ticket.content,
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
