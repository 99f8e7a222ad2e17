"""The recipient's calendar: working hours, weekends, holidays and clock changes."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.policy.calendar import Calendar, calendar_for, next_send_time, parse_weekend
from bot.policy.ladder import Sending

NINE_TO_FIVE = Sending(start=time(9), end=time(17))


def utc(*args) -> datetime:
    return datetime(*args).replace(tzinfo=UTC)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def test_weekends_are_parsed():
    assert parse_weekend("sat,sun") == {5, 6}
    assert parse_weekend("fri,sat") == {4, 5}
    assert parse_weekend(" Fri ") == {4}
    assert parse_weekend("friday,sunday") == {4, 6}
    assert parse_weekend("") == {5, 6}
    with pytest.raises(ValueError, match="not a day"):
        parse_weekend("fri,sabbath")


def test_friday_in_riyadh_moves_to_sunday_but_stays_in_paris():
    friday = utc(2027, 3, 5, 8, 0)  # 11:00 in Riyadh, 09:00 in Paris
    riyadh = calendar_for("Asia/Riyadh", "fri,sat", NINE_TO_FIVE)
    at, reasons = next_send_time(riyadh, friday)
    assert local(at, "Asia/Riyadh") == datetime(2027, 3, 7, 9, 0, tzinfo=ZoneInfo("Asia/Riyadh"))
    assert at == utc(2027, 3, 7, 6, 0)
    assert codes(reasons) == ["weekend"]
    assert reasons[0].params == {"date": "2027-03-05", "weekend": ["fri", "sat"]}
    paris = calendar_for("Europe/Paris", "sat,sun", NINE_TO_FIVE)
    assert next_send_time(paris, friday) == (friday, [])


def test_saturday_in_paris_moves_to_monday_but_stays_in_riyadh():
    saturday = utc(2027, 3, 6, 8, 0)
    paris = calendar_for("Europe/Paris", "sat,sun", NINE_TO_FIVE)
    at, reasons = next_send_time(paris, saturday)
    assert local(at, "Europe/Paris").replace(tzinfo=None) == datetime(2027, 3, 8, 9, 0)
    assert codes(reasons) == ["weekend"]
    riyadh = calendar_for("Asia/Riyadh", "fri,sat", NINE_TO_FIVE)
    at, reasons = next_send_time(riyadh, saturday)
    assert local(at, "Asia/Riyadh").replace(tzinfo=None) == datetime(2027, 3, 7, 9, 0)


def test_before_hours_waits_for_the_start_of_the_day():
    cal = calendar_for("Asia/Tokyo", "sat,sun", NINE_TO_FIVE)
    at, reasons = next_send_time(cal, utc(2027, 3, 2, 22, 30))  # Wednesday 07:30 in Tokyo
    assert at == utc(2027, 3, 3, 0, 0)
    assert [(r.code, r.params) for r in reasons] == [
        ("before_hours", {"local": "2027-03-03T07:30", "start": "09:00"})
    ]


def test_after_hours_goes_to_the_next_working_morning():
    cal = calendar_for("America/New_York", "sat,sun", NINE_TO_FIVE)
    at, reasons = next_send_time(cal, utc(2027, 3, 5, 23, 0))  # Friday 18:00 in New York
    assert local(at, "America/New_York").replace(tzinfo=None) == datetime(2027, 3, 8, 9, 0)
    assert codes(reasons) == ["after_hours", "weekend"]
    assert reasons[0].params == {"local": "2027-03-05T18:00", "end": "17:00"}


def test_the_end_of_the_day_is_not_inside_hours():
    cal = calendar_for("UTC", "sat,sun", NINE_TO_FIVE)
    at, reasons = next_send_time(cal, utc(2027, 3, 3, 17, 0))
    assert at == utc(2027, 3, 4, 9, 0) and codes(reasons) == ["after_hours"]
    assert next_send_time(cal, utc(2027, 3, 3, 16, 59, 59)) == (utc(2027, 3, 3, 16, 59, 59), [])


def test_holidays_are_skipped_and_named_together():
    sending = Sending(
        start=time(9), end=time(17), holidays=frozenset({date(2027, 12, 24), date(2027, 12, 31)})
    )
    cal = calendar_for("Europe/Vienna", "sat,sun", sending)
    at, reasons = next_send_time(cal, utc(2027, 12, 24, 10, 0))  # Friday, a holiday
    assert local(at, "Europe/Vienna").replace(tzinfo=None) == datetime(2027, 12, 27, 9, 0)
    assert [(r.code, r.params) for r in reasons] == [
        ("holiday", {"dates": ["2027-12-24"]}),
        ("weekend", {"date": "2027-12-25", "weekend": ["sat", "sun"]}),
    ]
    cal = Calendar(
        "UTC", frozenset(), time(9), time(17), frozenset({date(2027, 1, 1), date(2027, 1, 2)})
    )
    at, reasons = next_send_time(cal, utc(2027, 1, 1, 12))
    assert at == utc(2027, 1, 3, 9) and reasons[0].params == {"dates": ["2027-01-01", "2027-01-02"]}


def test_the_holiday_is_the_recipients_local_date():
    sending = Sending(start=time(9), end=time(17), holidays=frozenset({date(2027, 5, 3)}))
    cal = calendar_for("Pacific/Auckland", "sat,sun", sending)
    at, reasons = next_send_time(cal, utc(2027, 5, 2, 22, 0))  # Monday 10:00 on 3 May in Auckland
    assert local(at, "Pacific/Auckland").date() == date(2027, 5, 4)
    assert codes(reasons) == ["holiday"]


def test_clock_changes_in_paris():
    cal = calendar_for("Europe/Paris", "sat,sun", NINE_TO_FIVE)
    # Clocks go forward on Sunday 28 March 2027: Monday 09:00 is 07:00 UTC, not 08:00.
    at, _ = next_send_time(cal, utc(2027, 3, 26, 17, 0))
    assert at == utc(2027, 3, 29, 7, 0)
    # Clocks go back on Sunday 31 October 2027: Monday 09:00 is 08:00 UTC again.
    at, _ = next_send_time(cal, utc(2027, 10, 29, 16, 30))
    assert at == utc(2027, 11, 1, 8, 0)
    # Hours that start inside the skipped hour begin when the clocks jump.
    early = Calendar("Europe/Paris", frozenset(), time(2, 30), time(17), frozenset())
    at, reasons = next_send_time(early, utc(2027, 3, 28, 0, 15))  # 01:15 local
    assert at == utc(2027, 3, 28, 1, 0) and local(at, "Europe/Paris").hour == 3
    assert codes(reasons) == ["before_hours"]
    # A start in the repeated hour is the first 02:30.
    at, _ = next_send_time(early, utc(2027, 10, 30, 23, 0))  # 01:00 local, 31 October
    assert at == utc(2027, 10, 31, 0, 30)


def test_any_time_returns_the_moment_unchanged():
    cal = calendar_for(
        "Asia/Riyadh", "fri,sat", Sending(any_time=True, holidays=frozenset({date(2027, 3, 5)}))
    )
    friday_night = utc(2027, 3, 5, 23, 59)
    at, reasons = next_send_time(cal, friday_night)
    assert at == friday_night and codes(reasons) == ["any_time"]


def test_bad_calendars_are_refused_clearly():
    with pytest.raises(ValueError, match="no working day"):
        calendar_for("UTC", "mon,tue,wed,thu,fri,sat,sun", NINE_TO_FIVE)
    with pytest.raises(ValueError, match="every day"):
        next_send_time(
            Calendar("UTC", frozenset(range(7)), time(9), time(17), frozenset()), utc(2027, 1, 1)
        )
    with pytest.raises(ValueError, match="unknown time zone"):
        calendar_for("Mars/Olympus", "sat,sun", NINE_TO_FIVE)
    with pytest.raises(ValueError, match="aware"):
        next_send_time(calendar_for("UTC", "sat,sun", NINE_TO_FIVE), datetime(2027, 1, 1))
    every_day = frozenset(date(2027, 1, 1) + timedelta(days=n) for n in range(5000))
    with pytest.raises(ValueError, match="holidays"):
        next_send_time(Calendar("UTC", frozenset(), time(9), time(17), every_day), utc(2027, 1, 1))


def test_reasons_are_json():
    cal = calendar_for("Asia/Riyadh", "fri,sat", NINE_TO_FIVE)
    _, reasons = next_send_time(cal, utc(2027, 3, 4, 20, 0))
    assert json.loads(json.dumps([r.as_json() for r in reasons])) == [r.as_json() for r in reasons]


ZONES = [
    "Europe/Paris",
    "Asia/Riyadh",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "Asia/Tehran",
    "Africa/Cairo",
    "UTC",
]
WEEKENDS = ["sat,sun", "fri,sat", "fri", "sat", "fri,sun", "thu,fri", "sun"]


def test_a_thousand_random_moments_land_inside_the_calendar():
    rng = random.Random(20270305)
    holidays = frozenset(date(2026, 1, 1) + timedelta(days=rng.randrange(1200)) for _ in range(120))
    for _ in range(1000):
        start = time(rng.randrange(0, 12), rng.choice([0, 15, 30]))
        end = time(rng.randrange(start.hour + 1, 24), rng.choice([0, 30]))
        sending = Sending(start=start, end=end, holidays=holidays)
        cal = calendar_for(rng.choice(ZONES), rng.choice(WEEKENDS), sending)
        earliest = utc(2026, 1, 1) + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        at, reasons = next_send_time(cal, earliest)
        seen = at.astimezone(ZoneInfo(cal.timezone))
        assert at >= earliest, (cal, earliest, at)
        assert at.tzinfo is UTC
        assert seen.weekday() not in cal.weekend, (cal, earliest, at)
        assert seen.date() not in cal.holidays, (cal, earliest, at)
        assert cal.start <= seen.time().replace(tzinfo=None) < cal.end, (cal, earliest, at)
        assert (at == earliest) == (reasons == []), (cal, earliest, at, reasons)
        if (
            at > earliest
        ):  # nothing earlier would do: the minute before is outside the calendar or before earliest
            before = (at - timedelta(minutes=1)).astimezone(ZoneInfo(cal.timezone))
            assert (
                at - timedelta(minutes=1) < earliest
                or before.weekday() in cal.weekend
                or before.date() in cal.holidays
                or not cal.start <= before.time().replace(tzinfo=None) < cal.end
            ), (cal, earliest, at)
