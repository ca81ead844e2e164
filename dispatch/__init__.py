"""The domain core: org tree, routing, ticket state machine, SLA deadlines, working calendar and
focused supervision. Pure functions over frozen dataclasses; `now` is always a parameter."""

from dispatch.calendar import Counting, WorkingCalendar, as_utc
from dispatch.org import Level, OrgError, OrgTree, Unit
from dispatch.routing import (
    Place,
    ResponsibilityRule,
    RoutingDecision,
    RoutingError,
    check_rules,
    route,
)
from dispatch.sla import (
    Deadline,
    Extension,
    SlaConfigError,
    SlaPolicy,
    SlaRule,
    SlaStatus,
    Track,
    compute_deadline,
    deadline_status,
    default_policy,
    remaining,
)
from dispatch.states import (
    INITIAL_STATE,
    TERMINAL_STATES,
    TRANSITIONS,
    UNFINISHED_STATES,
    Action,
    InvalidTransition,
    TicketState,
    all_state_values,
    allowed_actions,
    next_state,
    transition_pairs,
)
from dispatch.supervision import (
    SupervisionKind,
    SupervisionThresholds,
    TicketFacts,
    supervision_kinds,
)
from dispatch.ticket_types import TicketType

__all__ = [
    "INITIAL_STATE",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "UNFINISHED_STATES",
    "Action",
    "Counting",
    "Deadline",
    "Extension",
    "InvalidTransition",
    "Level",
    "OrgError",
    "OrgTree",
    "Place",
    "ResponsibilityRule",
    "RoutingDecision",
    "RoutingError",
    "SlaConfigError",
    "SlaPolicy",
    "SlaRule",
    "SlaStatus",
    "SupervisionKind",
    "SupervisionThresholds",
    "TicketFacts",
    "TicketState",
    "TicketType",
    "Track",
    "Unit",
    "WorkingCalendar",
    "all_state_values",
    "allowed_actions",
    "as_utc",
    "check_rules",
    "compute_deadline",
    "deadline_status",
    "default_policy",
    "next_state",
    "remaining",
    "route",
    "supervision_kinds",
    "transition_pairs",
]
