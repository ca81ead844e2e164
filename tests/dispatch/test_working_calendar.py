from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.calendar import Counting, WorkingCalendar

SH = ZoneInfo("Asia/Shanghai")

# 2026 National Day as announced: 10-01 (Thu) to 10-07 off; Sun 09-20 and Sat 10-10 are worked.
NATIONAL_DAY = {
    "timezone": "Asia/Shanghai",
    "hours": [["09:00", "12:00"], ["13:30", "17:30"]],
    "weekdays": [1, 2, 3, 4, 5],
    "holidays": ["2026-10-01..2026-10-07"],
    "workdays": ["2026-09-20", "2026-10-10"],
}


def local(*args: int, tz: ZoneInfo = SH) -> datetime:
    """A wall-clock time, returned in UTC as the API expects."""
    return datetime(*args, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar.from_config(NATIONAL_DAY)


def test_config_is_read(cal):
    assert cal.hours == ((time(9), time(12)), (time(13, 30), time(17, 30)))
    assert date(2026, 10, 4) in cal.holidays and len(cal.holidays) == 7
    assert cal.workdays == {date(2026, 9, 20), date(2026, 10, 10)}
    assert cal.day_length == timedelta(hours=7)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (local(2026, 9, 16, 9, 0), True),  # Wednesday opening
        (local(2026, 9, 16, 12, 30), False),  # lunch
        (local(2026, 9, 16, 17, 30), False),  # closing time itself is out
        (local(2026, 9, 19, 10, 0), False),  # Saturday
        (local(2026, 9, 20, 10, 0), True),  # make-up Sunday
        (local(2026, 10, 1, 10, 0), False),  # holiday
        (local(2026, 10, 10, 10, 0), True),  # make-up Saturday
    ],
)
def test_is_working_time(cal, moment, working):
    assert cal.is_working_time(moment) is working


@pytest.mark.parametrize(
    ("start", "delta", "due"),
    [
        # the product example: 1 working hour at 17:10 lands the next working morning
        (local(2026, 9, 16, 17, 10), timedelta(hours=1), local(2026, 9, 17, 9, 40)),
        # landing exactly on closing time stays on the same day
        (local(2026, 9, 16, 16, 30), timedelta(hours=1), local(2026, 9, 16, 17, 30)),
        # Friday evening → Monday
        (local(2026, 9, 11, 17, 10), timedelta(hours=1), local(2026, 9, 14, 9, 40)),
        # eve of National Day → first day back, 10-08
        (local(2026, 9, 30, 17, 10), timedelta(hours=1), local(2026, 10, 8, 9, 40)),
        # Friday 10-09 → make-up Saturday 10-10
        (local(2026, 10, 9, 17, 10), timedelta(hours=1), local(2026, 10, 10, 9, 40)),
        # Friday 09-18 → make-up Sunday 09-20, skipping Saturday
        (local(2026, 9, 18, 17, 10), timedelta(hours=1), local(2026, 9, 20, 9, 40)),
        # assigned after hours, before hours, on a holiday
        (local(2026, 9, 16, 20, 0), timedelta(hours=1), local(2026, 9, 17, 10, 0)),
        (local(2026, 9, 16, 7, 0), timedelta(hours=1), local(2026, 9, 16, 10, 0)),
        (local(2026, 10, 3, 11, 0), timedelta(minutes=30), local(2026, 10, 8, 9, 30)),
        # the lunch break does not count
        (local(2026, 9, 16, 11, 30), timedelta(hours=1), local(2026, 9, 16, 14, 0)),
        (local(2026, 9, 16, 12, 15), timedelta(hours=1), local(2026, 9, 16, 14, 30)),
        # several days
        (local(2026, 9, 14, 10, 0), timedelta(hours=15), local(2026, 9, 16, 11, 0)),
        (local(2026, 9, 16, 20, 0), timedelta(0), local(2026, 9, 16, 20, 0)),
    ],
)
def test_add_working_time(cal, start, delta, due):
    assert cal.add_working_time(start, delta) == due
    assert cal.add_working_time(start, delta).tzinfo is UTC


def test_single_interval_day_has_no_lunch_break():
    plain = WorkingCalendar.from_config({**NATIONAL_DAY, "hours": [["09:00", "17:30"]]})
    hour = timedelta(hours=1)
    assert plain.add_working_time(local(2026, 9, 16, 11, 30), hour) == local(2026, 9, 16, 12, 30)
    assert plain.add_working_time(local(2026, 9, 16, 17, 10), hour) == local(2026, 9, 17, 9, 40)


@pytest.mark.parametrize(
    ("a", "b", "working"),
    [
        (local(2026, 9, 11, 17, 0), local(2026, 9, 14, 10, 0), timedelta(hours=1, minutes=30)),
        (local(2026, 9, 16, 11, 0), local(2026, 9, 16, 14, 0), timedelta(hours=1, minutes=30)),
        (local(2026, 9, 30, 17, 10), local(2026, 10, 8, 9, 40), timedelta(hours=1)),
        (local(2026, 10, 2, 9, 0), local(2026, 10, 5, 17, 0), timedelta(0)),
        (local(2026, 9, 14, 9, 0), local(2026, 9, 21, 9, 0), timedelta(hours=7 * 6)),  # with 09-20
    ],
)
def test_working_time_between(cal, a, b, working):
    assert cal.working_time_between(a, b) == working
    assert cal.working_time_between(b, a) == -working


def test_add_and_between_are_inverse(cal):
    start = local(2026, 9, 25, 15, 7)
    for minutes in (1, 59, 60, 61, 7 * 60, 7 * 60 + 1, 30 * 60):
        delta = timedelta(minutes=minutes)
        assert cal.working_time_between(start, cal.add_working_time(start, delta)) == delta


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (local(2026, 9, 14, 10, 0), 3, local(2026, 9, 17, 10, 0)),
        (local(2026, 9, 14, 9, 0), 3, local(2026, 9, 16, 17, 30)),  # end of the third day
        (local(2026, 9, 29, 10, 0), 3, local(2026, 10, 9, 10, 0)),  # across National Day
        (local(2026, 9, 12, 10, 0), 1, local(2026, 9, 14, 17, 30)),  # from a Saturday
        (local(2026, 9, 14, 10, 0), 0, local(2026, 9, 14, 10, 0)),
    ],
)
def test_add_working_days(cal, start, days, due):
    assert cal.add_working_days(start, days) == due


def test_natural_and_working_counting(cal):
    start = local(2026, 9, 16, 17, 10)
    assert cal.add(start, timedelta(hours=1), Counting.NATURAL) == local(2026, 9, 16, 18, 10)
    assert cal.add(start, timedelta(hours=1), Counting.WORKING) == local(2026, 9, 17, 9, 40)
    assert cal.elapsed(start, local(2026, 9, 17, 9, 40), Counting.NATURAL) == timedelta(hours=16, minutes=30)
    assert cal.elapsed(start, local(2026, 9, 17, 9, 40), Counting.WORKING) == timedelta(hours=1)
    # advance() reads a whole day as a working day, not 24 working hours
    assert cal.advance(start, timedelta(days=1), Counting.WORKING) == local(2026, 9, 17, 17, 10)
    assert cal.advance(start, timedelta(days=1, hours=1), Counting.WORKING) == local(2026, 9, 18, 9, 40)
    assert cal.advance(start, timedelta(days=1), Counting.NATURAL) == local(2026, 9, 17, 17, 10)
    assert cal.advance(local(2026, 9, 30, 10), timedelta(days=1), Counting.NATURAL) == local(2026, 10, 1, 10)


def test_another_fixed_offset_zone():
    urumqi = ZoneInfo("Asia/Urumqi")  # UTC+6, no DST
    cal = WorkingCalendar.from_config({**NATIONAL_DAY, "timezone": "Asia/Urumqi"})
    due = cal.add_working_time(local(2026, 9, 16, 17, 10, tz=urumqi), timedelta(hours=1))
    assert due == local(2026, 9, 17, 9, 40, tz=urumqi)
    assert due == datetime(2026, 9, 17, 3, 40, tzinfo=UTC)


def test_naive_datetimes_are_refused(cal):
    naive = datetime(2026, 9, 16, 10, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone"):
        cal.add_working_time(naive, timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone"):
        cal.is_working_time(naive)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"hours": [["09:00", "12:00"], ["11:00", "17:00"]]}, "overlap"),
        ({"hours": [["17:00", "09:00"]]}, "before"),
        ({"hours": []}, "hours"),
        ({"holidays": ["2026-10-10"], "workdays": ["2026-10-10"]}, "2026-10-10"),
        ({"weekdays": [0, 1]}, "weekday"),
        ({"weekdays": [], "workdays": []}, "working day"),
        ({"holidays": ["2026-10-07..2026-10-01"]}, "range"),
    ],
)
def test_bad_config_is_refused(config, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_config({**NATIONAL_DAY, **config})


def test_negative_durations_are_refused(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_time(local(2026, 9, 16, 10, 0), timedelta(minutes=-1))
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(local(2026, 9, 16, 10, 0), -1)


def test_runs_out_of_working_days_loudly():
    cal = WorkingCalendar(weekdays=frozenset(), workdays=frozenset({date(2026, 9, 20)}))
    assert cal.add_working_time(local(2026, 9, 19, 10, 0), timedelta(hours=1)) == local(2026, 9, 20, 10, 0)
    with pytest.raises(ValueError, match="no working day"):
        cal.add_working_time(local(2026, 9, 21, 10, 0), timedelta(hours=1))
