"""Which board events a webhook hears of, whom each is for, and what its JSON says (no personal data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch.org import OrgTree
from dispatch.ticket_types import TicketType
from realtime.events import Event, EventType

# The webhook events, in the order the admin page offers them.
EVENTS: dict[str, str] = {
    "assigned": "派单",
    "urged": "催办",
    "order_issued": "督办单",
    "warning": "即将超时",
    "overdue": "超时",
    "returned": "退单",
    "reopened": "重办",
}
FROM_BOARD: dict[str, str] = {
    EventType.TICKET_DISPATCHED: "assigned",
    EventType.TICKET_URGED: "urged",
    EventType.SUPERVISION_ORDER: "order_issued",
    EventType.SLA_WARNING: "warning",
    EventType.SLA_OVERDUE: "overdue",
    EventType.TICKET_RETURNED: "returned",
    EventType.TICKET_SENT_BACK: "returned",
    EventType.TICKET_REOPENED: "reopened",
}


def addressee(event: Event, tree: OrgTree) -> int | None:
    """The unit that must act on the event: the one an order or an alert's clock names, else the holder; a
    unit's return (退单) is for the level above, which reviews it."""
    payload = event.payload
    unit = payload.get("unit_id") or payload.get("holder_unit_id")
    if not isinstance(unit, int) or unit not in tree:
        return None
    if event.type == EventType.TICKET_RETURNED:
        parent = tree.parent(unit)
        return parent.id if parent is not None else None
    return unit


def payload(event: Event, name: str, unit_id: int, tree: OrgTree, ticket: Mapping[str, Any] | None) -> dict[str, Any]:
    """The JSON a receiver gets. The caller's words, name, phone and address never leave: free text can hold any
    of them and no masking finds them all, so the summary is built from the ticket's type, category and unit."""
    body: dict[str, Any] = {
        "event": name,
        "event_label": EVENTS[name],
        "event_id": event.id,
        "at": event.at,
        "unit": {"id": unit_id, "name": tree.unit(unit_id).name},
    }
    p = event.payload
    if ticket is not None:
        kind = TicketType(ticket["type"]).label
        category = ticket["category_name"] or "未分类"
        body["ticket"] = {
            "id": ticket["id"],
            "number": ticket["number"],
            "state": p.get("state"),
            "state_label": p.get("state_label"),
            "category": category,
            "summary": f"{kind}·{category}·{tree.unit(unit_id).name}",
        }
    for key in ("due_at", "rule_name", "order_id"):
        if key in p:
            body[key] = p[key]
    return body
