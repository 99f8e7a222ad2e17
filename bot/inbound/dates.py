"""The return date in an out-of-office notice, in the six languages. Pure.

A date counts only when it follows a phrase that announces a return ("until",
"jusqu'au", "hasta el", "до", "至", "حتى" ...), within a few words. Month names,
day-month-year and numeric dates are read; a date without a year is taken in
the year that puts it on or after the day the notice was received.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTHS: dict[int, tuple[str, ...]] = {
    1: (
        "january",
        "jan",
        "janvier",
        "janv",
        "enero",
        "января",
        "январь",
        "يناير",
        "كانون الثاني",
        "جانفي",
    ),
    2: (
        "february",
        "feb",
        "février",
        "fevrier",
        "févr",
        "febrero",
        "февраля",
        "февраль",
        "فبراير",
        "شباط",
        "فيفري",
    ),
    3: ("march", "mar", "mars", "marzo", "марта", "март", "مارس", "آذار"),
    4: (
        "april",
        "apr",
        "avril",
        "abril",
        "апреля",
        "апрель",
        "أبريل",
        "ابريل",
        "إبريل",
        "نيسان",
        "أفريل",
    ),
    5: ("may", "mai", "mayo", "мая", "май", "مايو", "أيار", "ماي"),
    6: ("june", "jun", "juin", "junio", "июня", "июнь", "يونيو", "يونيه", "حزيران", "جوان"),
    7: (
        "july",
        "jul",
        "juillet",
        "juil",
        "julio",
        "июля",
        "июль",
        "يوليو",
        "يوليه",
        "تموز",
        "جويلية",
    ),
    8: (
        "august",
        "aug",
        "août",
        "aout",
        "agosto",
        "августа",
        "август",
        "أغسطس",
        "اغسطس",
        "آب",
        "أوت",
    ),
    9: (
        "september",
        "sept",
        "sep",
        "septembre",
        "septiembre",
        "setiembre",
        "сентября",
        "сентябрь",
        "سبتمبر",
        "أيلول",
    ),
    10: (
        "october",
        "oct",
        "octobre",
        "octubre",
        "октября",
        "октябрь",
        "أكتوبر",
        "اكتوبر",
        "تشرين الأول",
    ),
    11: ("november", "nov", "novembre", "noviembre", "ноября", "ноябрь", "نوفمبر", "تشرين الثاني"),
    12: (
        "december",
        "dec",
        "décembre",
        "decembre",
        "déc",
        "diciembre",
        "декабря",
        "декабрь",
        "ديسمبر",
        "كانون الأول",
    ),
}
_MONTH_OF = {name: number for number, names in _MONTHS.items() for name in names}
_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|ᵉʳ|-?го|-?е)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_TRIGGERS = [
    r"until",
    r"till",
    r"through",
    r"thru",
    r"back (?:in the office )?on",
    r"back",
    r"returning(?: on)?",
    r"return(?:ing)? to the office on",
    r"will return on",
    r"i return on",
    r"re-?open(?:s|ing)? on",
    r"jusqu['’ ]?(?:au|à)",
    r"retour (?:au bureau )?le",
    r"de retour le",
    r"de retour",
    r"à partir du",
    r"au",
    r"hasta el",
    r"hasta",
    r"regreso el",
    r"regresaré el",
    r"de vuelta el",
    r"volveré el",
    r"a partir del",
    r"al",
    r"до",
    r"по",
    r"вернусь",
    r"буду на работе с",
    r"с",
    r"حتى(?: تاريخ)?",
    r"لغاية",
    r"إلى غاية",
    r"إلى",
    r"الى",
    r"بعد",
    r"العودة في",
    r"سأعود في",
    r"سأعود",
]
_CJK_TRIGGERS = [r"直到", r"至", r"到", r"返回", r"回来"]
_TRIGGER = re.compile(
    r"(?:(?:(?<=\W)|^)(?:"
    + "|".join(_TRIGGERS)
    + r")(?=\W|\d|$))|(?:"
    + "|".join(_CJK_TRIGGERS)
    + ")",
    re.IGNORECASE,
)
_CJK_AFTER = re.compile(r"\s*(?:返回|回来|回到|上班|返岗|回国)")
_WINDOW = 45

_FORMS = [
    re.compile(rf"(?<!\d){_YEAR}[-/.](?P<m>[01]?\d)[-/.](?P<d>[0-3]?\d)(?!\d)"),
    re.compile(rf"(?<!\d)(?P<d>[0-3]?\d)[/.](?P<m>[01]?\d)[/.]{_YEAR}(?!\d)"),
    re.compile(rf"(?:{_YEAR}\s*年\s*)?(?P<m>[01]?\d)\s*月\s*(?P<d>[0-3]?\d)\s*[日号]"),
    re.compile(
        rf"(?<!\d){_DAY}\s*(?:de\s+)?{_MONTH}(?:,?\s*(?:de(?:l)?\s+)?{_YEAR})?", re.IGNORECASE
    ),
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s*{_YEAR})?(?!\d)", re.IGNORECASE),
]
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _date_at(text: str, received: date) -> tuple[int, date] | None:
    """The first date in ``text``: its offset and value."""
    best: tuple[int, date] | None = None
    for form in _FORMS:
        for m in form.finditer(text):
            if best is not None and m.start() >= best[0]:
                break
            found = _value(m.groupdict(), received)
            if found is not None:
                best = (m.start(), found)
                break
    return best


def _value(groups: dict[str, str | None], received: date) -> date | None:
    day = int(groups.get("d") or groups.get("day") or 0)
    month_name = groups.get("month")
    month = _MONTH_OF.get(month_name.casefold()) if month_name else int(groups.get("m") or 0)
    year = int(year_text) if (year_text := groups.get("year")) else None
    if not month:
        return None
    for candidate_year in ([year] if year else [received.year, received.year + 1]):
        try:
            value = date(candidate_year, month, day)
        except ValueError:
            return None
        if value >= received - timedelta(days=1):
            return value
    return None


def return_date(text: str, received: date) -> date | None:
    """The day the sender says they are back (or away until), or None."""
    text = text.translate(_ARABIC_DIGITS)
    for trigger in _TRIGGER.finditer(text):
        window = text[trigger.end():trigger.end() + _WINDOW]
        found = _date_at(window, received)
        if found is None:
            continue
        offset, value = found
        if offset > 25 or value > received + timedelta(days=366):
            continue
        return value
    for form in _FORMS[:3]:
        for m in form.finditer(text):
            if _CJK_AFTER.match(text, m.end()):
                day = _value(m.groupdict(), received)
                if day is not None and day <= received + timedelta(days=366):
                    return day
    return None
