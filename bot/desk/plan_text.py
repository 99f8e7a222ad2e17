"""How a request's next date was computed, in sentences for the request page.

The input is ``Request.plan_note``, in the JSON format described in
``bot.policy.calendar``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_datetime_format, get_day_names
from babel.lists import format_list
from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ..policy.calendar import DAYS
from ..policy.ladder import Policy, PolicyError, cached_policy


def step_label(name: str | None, policy: Policy | None = None) -> str:
    """The desk's label of a step, from the policy file (the app's unless given),
    in the page's language; the step's name when the policy cannot say."""
    if not name:
        return ""
    if policy is None:
        try:
            policy = cached_policy(current_app.config["FOCALBOT"].policy_file)
        except PolicyError:
            return name
    label = policy.label(name)
    return _(label) if label else name  # a label may be the step's own name (escalation)


def explain_plan(note_text: str | None, locale: str | None = None) -> list[str]:
    """Sentences explaining ``plan_note``; empty when there is no note."""
    if not note_text:
        return []
    try:
        note = json.loads(note_text)
        if not isinstance(note, dict):
            raise ValueError
        return Explainer(note, locale or str(get_locale() or "en")).sentences()
    except (ValueError, TypeError, KeyError, AttributeError):
        return [_("The planner's note for this request cannot be read.")]


class Explainer:
    def __init__(self, note: dict[str, Any], locale: str) -> None:
        self.note = note
        self.locale = locale
        try:
            self.zone = ZoneInfo(note.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo("UTC")

    def sentences(self) -> list[str]:
        out = []
        held = self.note.get("held")
        if held:
            out.append(self.held(held))
        if self.note.get("step") and self.note.get("step_date"):
            out.append(self.step())
        reasons = [r for r in self.note.get("reasons") or [] if isinstance(r, dict)]
        for reason in reasons:
            if reason.get("code") == "gap":
                params = reason.get("params") or {}
                out.append(self.gap(params.get("until"), params.get("days")))
        moves = [self.move(r) for r in reasons if r.get("code") not in ("gap", "any_time")]
        moves = [m for m in moves if m]
        at = self.note.get("at")
        if at and any(r.get("code") == "any_time" for r in reasons):
            out.append(
                _(
                    "Planned for %(when)s: this policy sends at any hour on any day.",
                    when=self.when(at),
                )
            )
        elif at and moves:
            out.append(
                _(
                    "Moved to %(when)s (%(zone)s time): %(why)s.",
                    when=self.when(at),
                    zone=self.zone.key,
                    why="; ".join(moves),
                )
            )
        elif at and not held:
            out.append(
                _("Planned for %(when)s (%(zone)s time).", when=self.when(at), zone=self.zone.key)
            )
        return out

    def step(self) -> str:
        days = self.note.get("step_days")
        if days is None:
            basis = _("when the request was opened")
        elif days == 0:
            basis = _("the deadline")
        elif days > 0:
            basis = ngettext("deadline + %(num)d day", "deadline + %(num)d days", days)
        else:
            basis = ngettext("deadline − %(num)d day", "deadline − %(num)d days", -days)
        return _(
            "The %(step)s falls due on %(date)s (%(basis)s).",
            step=step_label(self.note["step"]),
            date=self.day(self.note["step_date"]),
            basis=basis,
        )

    def held(self, held: str) -> str:
        until = self.note.get("until")
        if held == "paused":
            return _("Paused by the secretariat.")
        if held == "replied":
            return _("Paused: the focal point replied.")
        if held == "snoozed" and until:
            return _("Snoozed until %(date)s.", date=self.day(until))
        if held == "away" and until:
            return _("Held until %(date)s: the focal point is away.", date=self.day(until))
        if held == "gap" and until:
            return self.gap(until, self.note.get("days"))
        return _("Held: %(reason)s.", reason=held)

    def gap(self, until: str | None, days: Any) -> str:
        if not isinstance(days, int) or days < 1:
            return _(
                "Not before %(when)s: the contact received an automated email recently.",
                when=self.when(until) if until else "—",
            )
        return ngettext(
            "Not before %(when)s: no contact gets more than one automated email a day.",
            "Not before %(when)s: no contact gets more than one automated email "
            "every %(num)d days.",
            days,
            when=self.when(until) if until else "—",
        )

    def move(self, reason: dict[str, Any]) -> str:
        code, params = reason.get("code"), reason.get("params") or {}
        if code == "weekend":
            names = get_day_names("wide", locale=self.locale)
            days = [str(names[DAYS.index(d)]) for d in params.get("weekend", []) if d in DAYS]
            return ngettext(
                "%(days)s is the weekend in this State",
                "%(days)s are the weekend in this State",
                len(days),
                days=format_list(days, locale=self.locale),
            )
        if code == "holiday":
            dates = [self.day(d) for d in params.get("dates", [])]
            return ngettext(
                "%(dates)s is a holiday of the secretariat",
                "%(dates)s are holidays of the secretariat",
                len(dates),
                dates=format_list(dates, locale=self.locale),
            )
        if code == "before_hours":
            return _("working hours start at %(time)s", time=self.clock(params.get("start")))
        if code == "after_hours":
            return _("working hours end at %(time)s", time=self.clock(params.get("end")))
        return ""

    def day(self, value: str) -> str:
        moment = date.fromisoformat(value[:10])
        return format_date(moment, "long", locale=self.locale)

    def clock(self, value: str | None) -> str:
        if not value:
            return "—"
        return format_time(datetime.strptime(value, "%H:%M").time(), "short", locale=self.locale)

    def when(self, value: str) -> str:
        """A UTC moment as the recipient's local weekday, date and time."""
        if len(value) <= 10:
            return self.day(value)
        local = datetime.fromisoformat(value).astimezone(self.zone)
        pattern = str(get_datetime_format("medium", locale=self.locale)).replace("'", "")
        return pattern.replace(
            "{1}", format_date(local.date(), "full", locale=self.locale)
        ).replace("{0}", format_time(local.time(), "short", locale=self.locale))
