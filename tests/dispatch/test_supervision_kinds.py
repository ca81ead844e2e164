from datetime import UTC, datetime, timedelta

import pytest

from dispatch.states import TicketState
from dispatch.supervision import (
    SupervisionKind,
    SupervisionThresholds,
    TicketFacts,
    supervision_kinds,
)

NOW = datetime(2026, 9, 16, 8, 0, tzinfo=UTC)
CREATED = NOW - timedelta(days=5)
RULES = SupervisionThresholds(repeat_count=3, repeat_window=timedelta(days=30), return_count=2)


def facts(**kwargs) -> TicketFacts:
    return TicketFacts(**{"state": TicketState.SIGNED, "created_at": CREATED, **kwargs})


def kinds(**kwargs) -> tuple[SupervisionKind, ...]:
    return supervision_kinds(facts(**kwargs), RULES, NOW)


def test_labels():
    assert [k.label for k in SupervisionKind] == ["超期未办结", "回访不满意", "重复诉求", "多次退单、争议"]


def test_an_ordinary_ticket_is_not_supervised():
    assert kinds(completion_due=NOW + timedelta(hours=1)) == ()


@pytest.mark.parametrize(
    ("state", "overdue"),
    [
        (TicketState.SIGNED, True),
        (TicketState.ASSIGNED, True),
        (TicketState.SUSPENDED, True),
        (TicketState.RETURNED, True),
        (TicketState.PENDING_DISPATCH, True),
        (TicketState.COMPLETED, False),  # the result is in: no longer "未办结"
        (TicketState.CLOSED, False),
    ],
)
def test_overdue_until_the_result_is_submitted(state, overdue):
    assert (SupervisionKind.OVERDUE in kinds(state=state, completion_due=NOW)) is overdue


def test_not_overdue_before_the_due_moment_or_without_a_deadline():
    assert kinds(completion_due=NOW + timedelta(seconds=1)) == ()
    assert kinds(completion_due=None) == ()


def test_dissatisfied():
    assert kinds(dissatisfied_callbacks=1) == (SupervisionKind.DISSATISFIED,)
    strict = SupervisionThresholds(dissatisfied_count=2)
    assert supervision_kinds(facts(dissatisfied_callbacks=1), strict, NOW) == ()


def test_repeat_from_the_same_caller_within_the_window():
    two_earlier = (CREATED - timedelta(days=3), CREATED - timedelta(days=29))
    assert kinds(same_caller_created=two_earlier) == (SupervisionKind.REPEAT,)
    # one of them fell out of the 30-day window: 2 calls, not 3
    assert kinds(same_caller_created=(CREATED - timedelta(days=3), CREATED - timedelta(days=31))) == ()
    # later tickets do not make this one a repeat; they are repeats of it
    assert kinds(same_caller_created=(CREATED + timedelta(days=1), CREATED + timedelta(days=2))) == ()


def test_repeat_at_the_same_place_and_category():
    others = (CREATED - timedelta(hours=2), CREATED - timedelta(days=1))
    assert kinds(same_place_category_created=others) == (SupervisionKind.REPEAT,)
    # the two sources are counted separately
    assert kinds(same_caller_created=others[:1], same_place_category_created=others[1:]) == ()


def test_disputed_by_returns_or_flag():
    assert kinds(return_count=1) == ()
    assert kinds(return_count=2) == (SupervisionKind.DISPUTED,)
    assert kinds(disputed=True) == (SupervisionKind.DISPUTED,)


def test_several_kinds_in_a_fixed_order():
    result = kinds(
        completion_due=NOW - timedelta(days=1),
        dissatisfied_callbacks=1,
        same_caller_created=(CREATED, CREATED),
        return_count=3,
    )
    assert result == tuple(SupervisionKind)


def test_merged_tickets_are_supervised_through_their_master():
    assert kinds(state=TicketState.MERGED, dissatisfied_callbacks=1, return_count=5) == ()


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match="repeat_count"):
        SupervisionThresholds(repeat_count=1)
    with pytest.raises(ValueError, match="return_count"):
        SupervisionThresholds(return_count=0)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="naive"):
        supervision_kinds(facts(), RULES, datetime(2026, 9, 16))  # noqa: DTZ001 - refused on purpose
