"""The recipient's calendar: when an automated email may go out, computed without I/O.

``next_send_time`` moves a moment forward to the first one inside the
recipient's working hours, in the time zone of their State, not on the
State's weekend and not on a holiday of the secretariat (compared with the
recipient's local date). It returns the moment in UTC with the reasons for
each move, so that the desk can say how a date was computed.

The planner stores that explanation in ``Request.plan_note`` as JSON::

    {
      "step": "reminder1",                     # the ladder step planned next
      "step_date": "2027-03-03",               # the date the step falls due (ISO)
      "step_days": 7,                          # optional: days from the due date; null = at opening
      "earliest": "2027-03-05T08:00:00+00:00", # when it could go out before the calendar (ISO, UTC)
      "at": "2027-03-07T06:00:00+00:00",       # when it is planned to go out (ISO, UTC)
      "timezone": "Asia/Riyadh",               # the recipient's time zone
      "reasons": [                             # each move from "earliest" to "at", in order
        {"code": "weekend", "params": {"date": "2027-03-05", "weekend": ["fri", "sat"]}}
      ],
      "held": "away",                          # optional: paused, snoozed, away, gap or replied
      "until": "2027-12-12",                   # optional, with "held": ISO date or UTC datetime
      "days": 3                                # optional, with "held": "gap": the minimum interval
    }

Reason codes and their params:

``before_hours``  {"local": "2027-03-01T07:12", "start": "09:00"}
``after_hours``   {"local": "2027-03-01T18:40", "end": "17:00"}
``weekend``       {"date": "2027-03-05", "weekend": ["fri", "sat"]}
``holiday``       {"dates": ["2027-12-24", "2027-12-25"]}
``any_time``      {} (the policy sends at any hour on any day)
``gap``           {"days": 3, "until": ISO UTC} (written by the planner: the contact's
                  minimum interval between automated emails)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .ladder import Sending

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WEEKEND = "sat,sun"
_LONG = {
    name: i
    for i, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
MAX_DAYS = 3660  # ten years of holidays in a row is a broken list, not a calendar


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class Calendar:
    timezone: str
    weekend: frozenset[int]  # 0 = Monday … 6 = Sunday
    start: time
    end: time
    holidays: frozenset[date]
    any_time: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def weekend_names(self) -> list[str]:
        return [DAYS[d] for d in sorted(self.weekend)]


def parse_weekend(text: str | None) -> frozenset[int]:
    """'fri,sat' -> {4, 5}; blank means the usual Saturday and Sunday."""
    text = (text or "").strip() or DEFAULT_WEEKEND
    days: set[int] = set()
    for part in text.replace(";", ",").split(","):
        word = part.strip().lower()
        if not word:
            continue
        if word in DAYS:
            days.add(DAYS.index(word))
        elif word in _LONG:
            days.add(_LONG[word])
        else:
            raise ValueError(
                f"weekend {text!r}: {part.strip()!r} is not a day (use mon, tue, … sun)"
            )
    return frozenset(days)


def calendar_for(state_timezone: str, state_weekend: str | None, sending: Sending) -> Calendar:
    """The calendar of a State's recipients under the policy's sending rules."""
    try:
        ZoneInfo(state_timezone or "")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {state_timezone!r}") from None
    weekend = parse_weekend(state_weekend)
    if not sending.any_time:
        if len(weekend) >= 7:
            raise ValueError(f"weekend {state_weekend!r} leaves no working day")
        if sending.start >= sending.end:
            raise ValueError("working hours must start before they end")
    return Calendar(
        state_timezone, weekend, sending.start, sending.end, sending.holidays, sending.any_time
    )


def next_send_time(cal: Calendar, earliest: datetime) -> tuple[datetime, list[Reason]]:
    """The first moment at or after ``earliest`` when ``cal`` allows sending, in UTC, and why it
    moved."""
    if earliest.tzinfo is None or earliest.utcoffset() is None:
        raise ValueError("earliest must be an aware datetime")
    earliest = earliest.astimezone(UTC)
    if cal.any_time:
        return earliest, [Reason("any_time")]
    if len(cal.weekend) >= 7:
        raise ValueError("the weekend covers every day: there is no day to send on")
    if cal.start >= cal.end:
        raise ValueError("working hours must start before they end")
    zone = cal.zone
    reasons: list[Reason] = []
    moment = earliest
    last_day = earliest.astimezone(zone).date() + timedelta(days=MAX_DAYS)
    for _ in range(
        4 * MAX_DAYS
    ):  # at most two moves a day; the bound only guards against a bad zone
        local = moment.astimezone(zone)
        day, wall = local.date(), local.time().replace(tzinfo=None)
        if day > last_day:
            raise ValueError(
                f"no day to send on within {MAX_DAYS} days of {earliest.isoformat()}: "
                "check the holidays"
            )
        if day.weekday() in cal.weekend:
            _add(
                reasons,
                Reason("weekend", {"date": day.isoformat(), "weekend": cal.weekend_names()}),
            )
            moment = _opening(day + timedelta(days=1), cal.start, zone, moment)
        elif day in cal.holidays:
            _add(reasons, Reason("holiday", {"dates": [day.isoformat()]}))
            moment = _opening(day + timedelta(days=1), cal.start, zone, moment)
        elif wall < cal.start:
            reasons.append(
                Reason(
                    "before_hours", {"local": _minute(local), "start": cal.start.strftime("%H:%M")}
                )
            )
            moment = _opening(day, cal.start, zone, moment)
        elif wall >= cal.end:
            reasons.append(
                Reason("after_hours", {"local": _minute(local), "end": cal.end.strftime("%H:%M")})
            )
            moment = _opening(day + timedelta(days=1), cal.start, zone, moment)
        else:
            return moment, reasons
    raise ValueError(f"no time to send found after {earliest.isoformat()} in {cal.timezone}")


def _add(reasons: list[Reason], reason: Reason) -> None:
    """Consecutive days of one weekend, or of holidays, make one reason."""
    last = reasons[-1] if reasons else None
    if last is not None and last.code == reason.code == "weekend":
        return
    if last is not None and last.code == reason.code == "holiday":
        last.params["dates"].extend(reason.params["dates"])
        return
    reasons.append(reason)


def _minute(local: datetime) -> str:
    return local.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")


def _opening(day: date, start: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first instant (UTC), not before ``after``, when the wall clock on ``day`` shows
    ``start``.

    A time repeated when the clocks go back gives two instants; a time that a
    change skips gives the instant the clocks jump.
    """
    found = []
    for fold in (0, 1):
        moment = datetime.combine(day, start, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        back = moment.astimezone(zone)
        if (back.date(), back.time().replace(tzinfo=None)) == (day, start):
            found.append(moment)
    if not found:
        found.append(_jump(day, start, zone))
    later = sorted(m for m in found if m >= after)
    return later[0] if later else max(found)


def _jump(day: date, start: time, zone: ZoneInfo) -> datetime:
    """The first instant whose wall time is at or after ``start`` on ``day``, when ``start`` is
    skipped."""
    ends = [
        datetime.combine(day, start, tzinfo=zone).replace(fold=f).astimezone(UTC) for f in (0, 1)
    ]
    low, high = min(ends), max(ends)
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if _at_or_after(mid, day, start, zone):
            high = mid
        else:
            low = mid
    exact = high.replace(microsecond=0)
    return exact if _at_or_after(exact, day, start, zone) else high


def _at_or_after(moment: datetime, day: date, start: time, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    return (local.date(), local.time().replace(tzinfo=None)) >= (day, start)


HELD = ("paused", "snoozed", "away", "gap", "replied")


def plan_note(
    *,
    step: str | None,
    step_date: date | None = None,
    step_days: int | None = None,
    earliest: datetime | None = None,
    at: datetime | None = None,
    timezone: str | None = None,
    reasons: Sequence[Reason] = (),
    held: str | None = None,
    until: date | datetime | None = None,
    days: int | None = None,
) -> str:
    """The JSON text for ``Request.plan_note`` in the format described above."""
    if held is not None and held not in HELD:
        raise ValueError(f"held must be one of {', '.join(HELD)}")
    note: dict[str, Any] = {
        "step": step,
        "step_date": step_date.isoformat() if step_date else None,
        "step_days": step_days,
        "earliest": earliest.astimezone(UTC).isoformat() if earliest else None,
        "at": at.astimezone(UTC).isoformat() if at else None,
        "timezone": timezone,
        "reasons": [r.as_json() for r in reasons],
    }
    if held is not None:
        note["held"] = held
        if until is not None:
            note["until"] = (
                until.astimezone(UTC).isoformat()
                if isinstance(until, datetime)
                else until.isoformat()
            )
        if days is not None:
            note["days"] = days
    return json.dumps(note, ensure_ascii=False, sort_keys=True)
