"""The ticket state machine, defined once.

Every state change of a ticket is an `Action` applied to its `TicketState` through
`next_state`, which consults `TRANSITIONS` and nothing else. The database mirrors the same
table (`transition_pairs()` and `all_state_values()` feed its CHECK constraint and trigger),
so a state the code does not know, or a jump the table does not allow, cannot be stored.

Lifecycle (see docs/dispatch.md for the diagram):

- `create` makes a `new` ticket. The operator may close a consultation on the spot, merge it
  into an open master ticket, or hand it to routing: `route_auto` sends it to the target unit
  (`assigned`), `queue_for_dispatcher` parks it in a dispatcher queue (`pending_dispatch`).
- An `assigned` unit signs for it (`signed`) or returns it (`returned`). A signed unit either
  handles it or passes it one level further down (`assign` again, e.g. a street to a community).
- A return is reviewed by the level above: approved → back in that level's dispatcher queue to
  be re-routed; rejected → `assigned` to the same unit again.
- While `signed`, the handler may suspend (clock paused) and resume, record contacts, and ask
  for extensions; those and their approval do not change the state.
- `submit_completion` → `completed`, reviewed by the level above: accepted → `reviewed`
  (waiting for the callback), sent back → `signed` (the unit keeps handling it).
- Callback: satisfied (or basically satisfied) → `closed`. Dissatisfied reopens the ticket:
  `assigned` to the same unit with a new deadline, so the unit must sign for it again and the
  sign-for clock runs again. Anonymous or unreachable callers: `close_without_callback`.

Appeals, urges and supervision orders never change the ticket state.
"""

from __future__ import annotations

from enum import StrEnum


class TicketState(StrEnum):
    """A ticket's state: stable English value (stored), Chinese label, board colour."""

    NEW = "new", "新建", "#6c757d"
    PENDING_DISPATCH = "pending_dispatch", "待派单", "#fd7e14"
    ASSIGNED = "assigned", "待签收", "#0d6efd"
    SIGNED = "signed", "已签收", "#6610f2"
    SUSPENDED = "suspended", "已挂起", "#6f42c1"
    RETURNED = "returned", "退单待审", "#dc3545"
    COMPLETED = "completed", "办结待审", "#0dcaf0"
    REVIEWED = "reviewed", "待回访", "#20c997"
    CLOSED = "closed", "已办结", "#198754"
    CLOSED_ON_SPOT = "closed_on_spot", "直接办结", "#146c43"
    MERGED = "merged", "已并单", "#adb5bd"

    label: str
    colour: str

    # Defaults only so a type checker accepts a lookup by value, TicketState("new"), as a call.
    def __new__(cls, value: str, label: str = "", colour: str = "") -> TicketState:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.colour = colour
        return member

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


class Action(StrEnum):
    """Something a person (or the system) does to a ticket, with its Chinese label."""

    CREATE = "create", "新建工单"
    ROUTE_AUTO = "route_auto", "自动派单"
    QUEUE_FOR_DISPATCHER = "queue_for_dispatcher", "转人工派单"
    ASSIGN = "assign", "派单"
    SIGN = "sign", "签收"
    RETURN = "return", "退单"
    APPROVE_RETURN = "approve_return", "同意退单"
    REJECT_RETURN = "reject_return", "驳回退单"
    SUSPEND = "suspend", "挂起"
    RESUME = "resume", "恢复办理"
    RECORD_CONTACT = "record_contact", "联系诉求人"
    REQUEST_EXTENSION = "request_extension", "申请延期"
    APPROVE_EXTENSION = "approve_extension", "同意延期"
    REJECT_EXTENSION = "reject_extension", "驳回延期"
    SUBMIT_COMPLETION = "submit_completion", "提交办结"
    ACCEPT_COMPLETION = "accept_completion", "办结审核通过"
    SEND_BACK = "send_back", "办结审核退回"
    CALLBACK_SATISFIED = "callback_satisfied", "回访满意"
    CALLBACK_DISSATISFIED = "callback_dissatisfied", "回访不满意重办"
    CLOSE_WITHOUT_CALLBACK = "close_without_callback", "免回访办结"
    CLOSE_ON_SPOT = "close_on_spot", "直接办结"
    MERGE = "merge", "并单"

    label: str

    def __new__(cls, value: str, label: str = "") -> Action:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


S, A = TicketState, Action

INITIAL_STATE = S.NEW

TERMINAL_STATES = frozenset({S.CLOSED, S.CLOSED_ON_SPOT, S.MERGED})

# The result is still owed: the completion clock runs (or is paused) in these states.
UNFINISHED_STATES = frozenset({S.NEW, S.PENDING_DISPATCH, S.ASSIGNED, S.SIGNED, S.SUSPENDED, S.RETURNED})

# The actions that leave the state as it is, allowed while the unit is handling the ticket.
_WHILE_HANDLING = (A.RECORD_CONTACT, A.REQUEST_EXTENSION, A.APPROVE_EXTENSION, A.REJECT_EXTENSION)

TRANSITIONS: dict[tuple[TicketState, Action], TicketState] = {
    (S.NEW, A.ROUTE_AUTO): S.ASSIGNED,
    (S.NEW, A.QUEUE_FOR_DISPATCHER): S.PENDING_DISPATCH,
    (S.NEW, A.ASSIGN): S.ASSIGNED,
    (S.NEW, A.CLOSE_ON_SPOT): S.CLOSED_ON_SPOT,
    (S.NEW, A.MERGE): S.MERGED,
    (S.PENDING_DISPATCH, A.ASSIGN): S.ASSIGNED,
    (S.PENDING_DISPATCH, A.MERGE): S.MERGED,
    # Re-assigning before sign-for corrects a dispatch without a return round-trip.
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.SIGN): S.SIGNED,
    (S.ASSIGNED, A.RETURN): S.RETURNED,
    # A signed unit passes the ticket one level down (district → street → community).
    (S.SIGNED, A.ASSIGN): S.ASSIGNED,
    (S.SIGNED, A.RETURN): S.RETURNED,
    (S.SIGNED, A.SUSPEND): S.SUSPENDED,
    (S.SIGNED, A.SUBMIT_COMPLETION): S.COMPLETED,
    **{(S.SIGNED, action): S.SIGNED for action in _WHILE_HANDLING},
    (S.SUSPENDED, A.RESUME): S.SIGNED,
    **{(S.SUSPENDED, action): S.SUSPENDED for action in _WHILE_HANDLING},
    (S.RETURNED, A.APPROVE_RETURN): S.PENDING_DISPATCH,
    (S.RETURNED, A.REJECT_RETURN): S.ASSIGNED,
    (S.RETURNED, A.MERGE): S.MERGED,
    (S.COMPLETED, A.ACCEPT_COMPLETION): S.REVIEWED,
    (S.COMPLETED, A.SEND_BACK): S.SIGNED,
    (S.REVIEWED, A.CALLBACK_SATISFIED): S.CLOSED,
    (S.REVIEWED, A.CALLBACK_DISSATISFIED): S.ASSIGNED,
    (S.REVIEWED, A.CLOSE_WITHOUT_CALLBACK): S.CLOSED,
}


class InvalidTransition(Exception):
    """The action is not allowed in the ticket's current state (the shell answers 409)."""

    def __init__(self, state: TicketState | None, action: Action) -> None:
        self.state = state
        self.action = action
        if state is None:
            message = f"只能以「{Action.CREATE.label}」开始，不能执行「{action.label}」"
        else:
            message = f"工单当前状态为「{state.label}」，不能执行「{action.label}」"
        super().__init__(message)


def next_state(state: TicketState | None, action: Action) -> TicketState:
    """The state after `action`; `state` is None only for a ticket being created."""
    if state is None:
        if action is Action.CREATE:
            return INITIAL_STATE
        raise InvalidTransition(None, action)
    try:
        return TRANSITIONS[state, action]
    except KeyError:
        raise InvalidTransition(state, action) from None


def allowed_actions(state: TicketState) -> tuple[Action, ...]:
    """The actions allowed in `state`, in the order `Action` declares them (for buttons)."""
    return tuple(action for action in Action if (state, action) in TRANSITIONS)


def all_state_values() -> tuple[str, ...]:
    """Every stored state value, for the database CHECK constraint."""
    return tuple(state.value for state in TicketState)


def transition_pairs() -> list[tuple[str, str]]:
    """The distinct (from, to) state values the table allows, sorted, for the database
    trigger. Same-state pairs are included: they are the non-state-changing actions. The
    insert of a new ticket is not a pair: it must be in `INITIAL_STATE`."""
    return sorted({(source.value, target.value) for (source, _), target in TRANSITIONS.items()})


def mermaid_diagram() -> str:
    """The state diagram in mermaid syntax; docs/dispatch.md embeds it and a test keeps them equal."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_STATE.value}: {Action.CREATE.label}"]
    for (source, action), target in TRANSITIONS.items():
        if action not in _WHILE_HANDLING:
            lines.append(f"    {source.value} --> {target.value}: {action.label}")
    lines.extend(f"    {state.value} --> [*]" for state in TicketState if state in TERMINAL_STATES)
    return "\n".join(lines)
