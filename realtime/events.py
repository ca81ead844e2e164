"""Board events: what happened, when, to which unit subtree; their ids and JSON forms.

An event id is the id Redis gave its stream entry (`<milliseconds>-<sequence>`): unique and
increasing across every publisher, so clients can resume from the last one they saw.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, Final


class EventType(StrEnum):
    """Every event type the system publishes: the shell announces these, and the pages receive the
    list (hotline/pages.py LABELS), so neither side spells one by hand."""

    TICKET_CREATED = "ticket.created"
    TICKET_DISPATCHED = "ticket.dispatched"
    TICKET_QUEUED = "ticket.queued"
    TICKET_SIGNED = "ticket.signed"
    TICKET_RETURNED = "ticket.returned"
    TICKET_COMPLETED = "ticket.completed"
    TICKET_REVIEWED = "ticket.reviewed"
    TICKET_SENT_BACK = "ticket.sent_back"
    TICKET_CLOSED = "ticket.closed"
    TICKET_REOPENED = "ticket.reopened"
    TICKET_MERGED = "ticket.merged"
    TICKET_SUSPENDED = "ticket.suspended"
    TICKET_RESUMED = "ticket.resumed"
    TICKET_CONTACTED = "ticket.contacted"
    TICKET_EXTENDED = "ticket.extended"
    TICKET_URGED = "ticket.urged"
    TICKET_CO_UNITS = "ticket.co_units_added"
    TICKET_CO_DONE = "ticket.co_done"
    SLA_WARNING = "sla.warning"
    SLA_OVERDUE = "sla.overdue"
    SUPERVISION_ORDER = "supervision.order"
    SUPERVISION_ANSWERED = "supervision.answered"
    SUPERVISION_ESCALATED = "supervision.escalated"
    EARLY_WARNING = "early.warning"


# What a board shows in its alert feed the moment it arrives.
ALERT_EVENTS: Final = frozenset(
    {
        EventType.SLA_WARNING,
        EventType.SLA_OVERDUE,
        EventType.SUPERVISION_ORDER,
        EventType.SUPERVISION_ESCALATED,
        EventType.EARLY_WARNING,
    }
)

# Types under this prefix are the hub's own bookkeeping and never reach a client.
INTERNAL_PREFIX: Final = "realtime."
ORIGIN: Final = "realtime.origin"

_ID = re.compile(r"^(\d{1,20})-(\d{1,20})$")

IdKey = tuple[int, int]


def id_key(event_id: str) -> IdKey:
    """The sortable form of a stream id; raises ValueError for anything else."""
    match = _ID.match(event_id)
    if match is None:
        raise ValueError(f"not an event id: {event_id!r}")
    return int(match[1]), int(match[2])


def is_event_id(value: str) -> bool:
    return _ID.match(value) is not None


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def iso_utc(at: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC; naive datetimes are refused, not guessed."""
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class Event:
    """One board event.

    `unit_path` holds the ids of the units the event concerns plus all their ancestors, so
    "is this in my subtree?" is a membership test.
    """

    id: str
    type: str
    at: str
    unit_path: list[int]
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.type.startswith(INTERNAL_PREFIX)

    @cached_property
    def key(self) -> IdKey:
        return id_key(self.id)

    @cached_property
    def frame(self) -> str:
        """The websocket text frame, encoded once however many clients receive it."""
        return _dumps(
            {
                "type": "event",
                "id": self.id,
                "event_type": self.type,
                "at": self.at,
                "unit_path": self.unit_path,
                "payload": self.payload,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "at": self.at,
            "unit_path": self.unit_path,
            "payload": self.payload,
        }

    def to_json(self) -> str:
        return _dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            at=str(data["at"]),
            unit_path=[int(u) for u in data["unit_path"]],
            payload=dict(data.get("payload") or {}),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_entry(cls, entry_id: str | bytes, fields: dict[Any, Any]) -> Event:
        """Decode a stream entry written by `entry_fields` (bytes or str, as the client returns)."""
        values = {_text(k): _text(v) for k, v in fields.items()}
        return cls(
            id=_text(entry_id),
            type=values["type"],
            at=values["at"],
            unit_path=[int(u) for u in json.loads(values["unit_path"])],
            payload=json.loads(values["payload"]),
        )


def entry_fields(event_type: str, unit_path: list[int], payload: dict[str, Any], at: str) -> dict[str, str]:
    """The stream entry for an event; the id is left to Redis."""
    return {
        "type": event_type,
        "at": at,
        "unit_path": _dumps([int(u) for u in unit_path]),
        "payload": _dumps(payload),
    }
