from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.calendar import Counting, WorkingCalendar
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
from dispatch.ticket_types import TicketType

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.from_config({"holidays": ["2026-10-01..2026-10-07"], "workdays": ["2026-09-20", "2026-10-10"]})
REPLY = SlaRule("普通工单1小时回复", Track.REPLY, timedelta(hours=1))
ACCEPT = SlaRule("复杂工单1天甄别受理", Track.ACCEPT, timedelta(days=1))
CONSULT = SlaRule("咨询3个工作日", Track.COMPLETE, timedelta(days=3))
COMPLAIN = SlaRule("投诉15个工作日", Track.COMPLETE, timedelta(days=15))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH).astimezone(UTC)


def test_reply_within_one_working_hour():
    deadline = compute_deadline(REPLY, local(2026, 9, 16, 17, 10), CAL)
    assert deadline == Deadline(
        kind=Track.REPLY,
        rule_name="普通工单1小时回复",
        counts=Counting.WORKING,
        start=local(2026, 9, 16, 17, 10),
        due_at=local(2026, 9, 17, 9, 40),
        warn_at=local(2026, 9, 17, 9, 28),  # 80% of 60 minutes = 48 working minutes
    )


def test_natural_time_rule():
    rule = SlaRule("1小时（自然时间）", Track.REPLY, timedelta(hours=1), counts=Counting.NATURAL)
    deadline = compute_deadline(rule, local(2026, 9, 16, 17, 10), CAL)
    assert (deadline.due_at, deadline.warn_at) == (local(2026, 9, 16, 18, 10), local(2026, 9, 16, 17, 58))


def test_complex_ticket_accepted_within_one_working_day():
    assert compute_deadline(ACCEPT, local(2026, 9, 16, 10, 0), CAL).due_at == local(2026, 9, 17, 10, 0)
    assert compute_deadline(ACCEPT, local(2026, 9, 30, 10, 0), CAL).due_at == local(2026, 10, 8, 10, 0)


def test_completion_in_working_days():
    assert compute_deadline(CONSULT, local(2026, 9, 14, 10, 0), CAL).due_at == local(2026, 9, 17, 10, 0)
    # 15 working days from 09-15 count the make-up Sunday 09-20 and Saturday 10-10, skip 10-01..07
    assert compute_deadline(COMPLAIN, local(2026, 9, 15, 10, 0), CAL).due_at == local(2026, 10, 10, 10, 0)


def test_suspension_pauses_the_clock():
    start = local(2026, 9, 14, 10, 0)
    pause = (local(2026, 9, 15, 10, 0), local(2026, 9, 16, 10, 0))  # one working day suspended
    deadline = compute_deadline(CONSULT, start, CAL, pauses=[pause])
    assert deadline.due_at == local(2026, 9, 18, 10, 0)
    # 80% of 21 working hours = 16h48m of running clock: 7h before the pause, 9h48m after it
    assert deadline.warn_at == local(2026, 9, 17, 14, 18)


def test_suspension_over_a_weekend_costs_only_working_time():
    start = local(2026, 9, 16, 10, 0)  # due on the make-up Sunday 09-20 at 10:00 without the pause
    pause = (local(2026, 9, 18, 17, 0), local(2026, 9, 19, 12, 0))  # Fri 17:00 → Sat noon: 30 minutes
    assert compute_deadline(CONSULT, start, CAL, pauses=[pause]).due_at == local(2026, 9, 20, 10, 30)


def test_suspension_in_natural_time():
    rule = SlaRule("24小时", Track.COMPLETE, timedelta(hours=24), counts=Counting.NATURAL)
    start = local(2026, 9, 14, 10, 0)
    pauses = [
        (local(2026, 9, 14, 12, 0), local(2026, 9, 14, 13, 0)),
        (local(2026, 9, 14, 15, 0), local(2026, 9, 14, 16, 0)),
    ]
    assert compute_deadline(rule, start, CAL, pauses=pauses).due_at == local(2026, 9, 15, 12, 0)


def test_overlapping_and_early_pauses_count_once():
    rule = SlaRule("24小时", Track.COMPLETE, timedelta(hours=24), counts=Counting.NATURAL)
    start = local(2026, 9, 14, 10, 0)
    pauses = [
        (local(2026, 9, 14, 8, 0), local(2026, 9, 14, 11, 0)),  # began before the clock: 1h counts
        (local(2026, 9, 14, 12, 0), local(2026, 9, 14, 14, 0)),
        (local(2026, 9, 14, 13, 0), local(2026, 9, 14, 15, 0)),  # overlaps the previous: 3h in all
    ]
    assert compute_deadline(rule, start, CAL, pauses=pauses).due_at == local(2026, 9, 15, 14, 0)


def test_suspension_after_the_deadline_does_not_rescue_it():
    start = local(2026, 9, 14, 10, 0)
    late = (local(2026, 9, 17, 11, 0), local(2026, 9, 18, 11, 0))
    assert compute_deadline(CONSULT, start, CAL, pauses=[late]).due_at == local(2026, 9, 17, 10, 0)


def test_extension_by_working_days():
    start = local(2026, 9, 14, 10, 0)
    extension = Extension(approved_at=local(2026, 9, 16, 9, 0), by=timedelta(days=2))
    # Thu 09-17 10:00 + 2 working days: Fri 09-18, then the make-up Sunday 09-20
    assert compute_deadline(CONSULT, start, CAL, extensions=[extension]).due_at == local(2026, 9, 20, 10, 0)


def test_extension_to_a_date_then_a_later_suspension():
    start = local(2026, 9, 14, 10, 0)
    extension = Extension(approved_at=local(2026, 9, 16, 9, 0), until=local(2026, 9, 22, 17, 30))
    pause = (local(2026, 9, 21, 9, 0), local(2026, 9, 21, 12, 0))
    deadline = compute_deadline(CONSULT, start, CAL, pauses=[pause], extensions=[extension])
    assert deadline.due_at == local(2026, 9, 23, 12, 0)


def test_pause_before_an_absolute_extension_is_already_in_it():
    start = local(2026, 9, 14, 10, 0)
    pause = (local(2026, 9, 15, 9, 0), local(2026, 9, 15, 12, 0))
    extension = Extension(approved_at=local(2026, 9, 16, 9, 0), until=local(2026, 9, 22, 17, 30))
    deadline = compute_deadline(CONSULT, start, CAL, pauses=[pause], extensions=[extension])
    assert deadline.due_at == local(2026, 9, 22, 17, 30)


def test_status_and_remaining():
    deadline = compute_deadline(REPLY, local(2026, 9, 16, 17, 10), CAL)
    assert deadline_status(deadline, local(2026, 9, 16, 17, 20)) is SlaStatus.OK
    assert deadline_status(deadline, local(2026, 9, 17, 9, 28)) is SlaStatus.WARNING
    assert deadline_status(deadline, local(2026, 9, 17, 9, 40)) is SlaStatus.OVERDUE
    assert SlaStatus.OVERDUE.label == "已超期"
    assert remaining(deadline, local(2026, 9, 16, 17, 20), CAL) == timedelta(minutes=50)
    assert remaining(deadline, local(2026, 9, 17, 10, 0), CAL) == timedelta(minutes=-20)


def test_policy_picks_rules():
    special = SlaRule("私搭乱建10个工作日", Track.COMPLETE, timedelta(days=10))
    complaint_special = SlaRule("私搭乱建投诉20个工作日", Track.COMPLETE, timedelta(days=20))
    default = SlaRule("默认15个工作日", Track.COMPLETE, timedelta(days=15))
    policy = SlaPolicy(
        reply=REPLY,
        accept=ACCEPT,
        completion={
            (TicketType.CONSULTATION, None): CONSULT,
            (None, "illegal_building"): special,
            (TicketType.COMPLAINT, "illegal_building"): complaint_special,
            (None, None): default,
        },
    )
    assert policy.completion_rule(TicketType.CONSULTATION, "water") is CONSULT
    assert policy.completion_rule(TicketType.CONSULTATION, "illegal_building") is special
    assert policy.completion_rule(TicketType.COMPLAINT, "illegal_building") is complaint_special
    assert policy.completion_rule(TicketType.HELP_REQUEST, "water") is default
    assert policy.rules_for(TicketType.COMPLAINT, "water", is_complex=False) == (REPLY, default)
    assert policy.rules_for(TicketType.COMPLAINT, "water", is_complex=True) == (ACCEPT, default)


def test_policy_without_a_matching_rule_fails_loudly():
    policy = SlaPolicy(reply=REPLY, accept=ACCEPT, completion={(TicketType.CONSULTATION, None): CONSULT})
    with pytest.raises(SlaConfigError, match="complaint"):
        policy.completion_rule(TicketType.COMPLAINT, "water")


def test_policy_checks_tracks():
    with pytest.raises(SlaConfigError, match="reply"):
        SlaPolicy(reply=ACCEPT, accept=ACCEPT, completion={})
    with pytest.raises(SlaConfigError, match="complete"):
        SlaPolicy(reply=REPLY, accept=ACCEPT, completion={(None, None): REPLY})


def test_default_policy_matches_the_product():
    policy = default_policy()
    assert policy.reply.duration == timedelta(hours=1) and policy.reply.counts is Counting.WORKING
    assert policy.accept.duration == timedelta(days=1)
    assert policy.completion_rule(TicketType.CONSULTATION, "any").duration == timedelta(days=3)
    assert policy.completion_rule(TicketType.COMPLAINT, "any").duration == timedelta(days=15)
    for ticket_type in TicketType:
        assert policy.completion_rule(ticket_type, "any").track is Track.COMPLETE


APPROVED = local(2026, 9, 16, 9, 0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SlaRule("x", Track.REPLY, timedelta(0)),
        lambda: SlaRule("x", Track.REPLY, timedelta(hours=1), warn_fraction=0),
        lambda: SlaRule("x", Track.REPLY, timedelta(hours=1), warn_fraction=1.5),
        lambda: Extension(approved_at=APPROVED),
        lambda: Extension(approved_at=APPROVED, by=timedelta(days=1), until=local(2026, 9, 20)),
        lambda: Extension(approved_at=APPROVED, by=timedelta(0)),
        lambda: compute_deadline(CONSULT, local(2026, 9, 14), CAL, pauses=[(APPROVED, local(2026, 9, 14))]),
        lambda: compute_deadline(CONSULT, datetime(2026, 9, 14), CAL),  # noqa: DTZ001 - refused on purpose
    ],
)
def test_bad_input_is_refused(make):
    with pytest.raises(ValueError):
        make()
