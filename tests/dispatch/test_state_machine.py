import pytest

from dispatch.states import (
    INITIAL_STATE,
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    InvalidTransition,
    TicketState,
    all_state_values,
    allowed_actions,
    next_state,
    transition_pairs,
)

S, A = TicketState, Action

# Written out by hand on purpose: a change to the table must be a change to this list too.
EXPECTED = {
    (S.NEW, A.ROUTE_AUTO): S.ASSIGNED,
    (S.NEW, A.QUEUE_FOR_DISPATCHER): S.PENDING_DISPATCH,
    (S.NEW, A.ASSIGN): S.ASSIGNED,
    (S.NEW, A.CLOSE_ON_SPOT): S.CLOSED_ON_SPOT,
    (S.NEW, A.MERGE): S.MERGED,
    (S.PENDING_DISPATCH, A.ASSIGN): S.ASSIGNED,
    (S.PENDING_DISPATCH, A.MERGE): S.MERGED,
    (S.ASSIGNED, A.SIGN): S.SIGNED,
    (S.ASSIGNED, A.RETURN): S.RETURNED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,
    (S.SIGNED, A.ASSIGN): S.ASSIGNED,
    (S.SIGNED, A.RETURN): S.RETURNED,
    (S.SIGNED, A.RECORD_CONTACT): S.SIGNED,
    (S.SIGNED, A.REQUEST_EXTENSION): S.SIGNED,
    (S.SIGNED, A.APPROVE_EXTENSION): S.SIGNED,
    (S.SIGNED, A.REJECT_EXTENSION): S.SIGNED,
    (S.SIGNED, A.SUSPEND): S.SUSPENDED,
    (S.SIGNED, A.SUBMIT_COMPLETION): S.COMPLETED,
    (S.SUSPENDED, A.RESUME): S.SIGNED,
    (S.SUSPENDED, A.RECORD_CONTACT): S.SUSPENDED,
    (S.SUSPENDED, A.REQUEST_EXTENSION): S.SUSPENDED,
    (S.SUSPENDED, A.APPROVE_EXTENSION): S.SUSPENDED,
    (S.SUSPENDED, A.REJECT_EXTENSION): S.SUSPENDED,
    (S.RETURNED, A.APPROVE_RETURN): S.PENDING_DISPATCH,
    (S.RETURNED, A.REJECT_RETURN): S.ASSIGNED,
    (S.RETURNED, A.MERGE): S.MERGED,
    (S.COMPLETED, A.ACCEPT_COMPLETION): S.REVIEWED,
    (S.COMPLETED, A.SEND_BACK): S.SIGNED,
    (S.REVIEWED, A.CALLBACK_SATISFIED): S.CLOSED,
    (S.REVIEWED, A.CALLBACK_DISSATISFIED): S.ASSIGNED,
    (S.REVIEWED, A.CLOSE_WITHOUT_CALLBACK): S.CLOSED,
}


def test_table_is_exactly_the_documented_one():
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("state", "action"), sorted(EXPECTED))
def test_every_valid_transition(state, action):
    assert next_state(state, action) is EXPECTED[state, action]
    assert action in allowed_actions(state)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.SIGNED, A.SIGN),
        (S.NEW, A.SIGN),
        (S.ASSIGNED, A.SUBMIT_COMPLETION),
        (S.COMPLETED, A.SUSPEND),
        (S.SUSPENDED, A.SUBMIT_COMPLETION),
        (S.REVIEWED, A.SEND_BACK),
        (S.CLOSED, A.CALLBACK_DISSATISFIED),
        (S.MERGED, A.ASSIGN),
        (S.CLOSED_ON_SPOT, A.ASSIGN),
        (S.RETURNED, A.SIGN),
        (S.PENDING_DISPATCH, A.ROUTE_AUTO),
        (S.NEW, A.CREATE),
    ],
)
def test_invalid_transitions_raise(state, action):
    with pytest.raises(InvalidTransition):
        next_state(state, action)


def test_invalid_transition_message_is_chinese():
    with pytest.raises(InvalidTransition) as caught:
        next_state(S.SIGNED, A.SIGN)
    assert str(caught.value) == "工单当前状态为「已签收」，不能执行「签收」"
    assert caught.value.state is S.SIGNED
    assert caught.value.action is A.SIGN


def test_creation_is_the_only_way_in():
    assert next_state(None, A.CREATE) is INITIAL_STATE is S.NEW
    with pytest.raises(InvalidTransition, match="新建工单"):
        next_state(None, A.ASSIGN)


def test_every_state_is_reachable_and_can_finish():
    reachable, frontier = {INITIAL_STATE}, [INITIAL_STATE]
    while frontier:
        state = frontier.pop()
        for action in allowed_actions(state):
            target = next_state(state, action)
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(TicketState)

    finishing = set(TERMINAL_STATES)
    changed = True
    while changed:
        changed = False
        for (state, _), target in TRANSITIONS.items():
            if target in finishing and state not in finishing:
                finishing.add(state)
                changed = True
    assert finishing == set(TicketState)


def test_terminal_states_allow_nothing():
    assert TERMINAL_STATES == {S.CLOSED, S.CLOSED_ON_SPOT, S.MERGED}
    for state in TERMINAL_STATES:
        assert allowed_actions(state) == ()
        assert state.is_terminal
    assert not S.SIGNED.is_terminal


def test_extensions_and_contacts_do_not_change_state():
    for state in (S.SIGNED, S.SUSPENDED):
        for action in (A.REQUEST_EXTENSION, A.APPROVE_EXTENSION, A.REJECT_EXTENSION, A.RECORD_CONTACT):
            assert next_state(state, action) is state


def test_values_labels_and_colours_are_defined_once():
    assert all_state_values() == (
        "new",
        "pending_dispatch",
        "assigned",
        "signed",
        "suspended",
        "returned",
        "completed",
        "reviewed",
        "closed",
        "closed_on_spot",
        "merged",
    )
    assert len({s.label for s in TicketState}) == len(TicketState)
    assert all(s.colour.startswith("#") and len(s.colour) == 7 for s in TicketState)
    assert len({a.label for a in Action}) == len(Action)
    assert A.RETURN == "return"
    assert S("signed") is S.SIGNED


def test_pairs_for_the_database():
    pairs = transition_pairs()
    assert ("new", "assigned") in pairs
    assert ("signed", "signed") in pairs
    assert ("closed", "signed") not in pairs
    assert pairs == sorted({(s.value, t.value) for (s, _), t in TRANSITIONS.items()})
    assert all(isinstance(a, str) and type(a) is str for pair in pairs for a in pair)
