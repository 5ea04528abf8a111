"""When a reported event happened: the date a report's sentence gives for it ("on Wednesday", "Feb. 1",
"14 December 2022", "yesterday"), read against the report's own date, else the report's date.

A stated date after the report (a meeting "on March 22" announced in February), or one the sentence says is to
come ("until Monday", "will vote on Tuesday", "set for Feb. 1"), is no date of the event reported, nor one more than ``LOOK_BACK`` days before it (an anniversary, a background fact): both fall back
to the report's date.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

LOOK_BACK = 45  # days before its report that a stated date may name

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b{_DAY}\s+{_MONTH}\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(?:(on|last|this|early|late)\s+)?(" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)
_AHEAD = re.compile(
    r"\b(?:until|till|next|by|before|starting|from|coming|will\s+\w+(?:\s+\w+)?\s+on|due(?:\s+on)?|set\s+for|scheduled\s+for)\s*$",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"\b(yesterday|today|this morning|tonight|last night)\b", re.IGNORECASE)


def event_date(sentence: str, published: date) -> tuple[date, str]:
    """The date ``sentence`` gives for what it reports, and "text"; else ``published`` and "report"."""
    found: list[tuple[int, date]] = []
    for pattern, month_at, day_at in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        for m in pattern.finditer(sentence):
            day = _calendar(m.group(month_at), m.group(day_at), m.group(3), published)
            if day is not None and not _ahead(sentence, m.start()):
                found.append((m.start(), day))
    for m in _WEEKDAY.finditer(sentence):
        if _ahead(sentence, m.start(2)):
            continue  # "until Monday", "next Tuesday": a day to come, not the day of the event
        back = (published.weekday() - _WEEKDAYS.index(m.group(2).lower())) % 7
        if (m.group(1) or "").lower() == "last":
            back = back or 7  # "last Friday" in a Friday report: a week before
        elif back == 6:
            back = -1  # the day after its date: a report filed late at night, dated before the news it gives
        found.append((m.start(), published - timedelta(days=back)))
    for m in _RELATIVE.finditer(sentence):
        back = 1 if m.group(1).lower() in ("yesterday", "last night") else 0
        found.append((m.start(), published - timedelta(days=back)))
    fitting = [
        (at, day)
        for at, day in found
        if published - timedelta(days=LOOK_BACK) <= day <= published + timedelta(days=1)
    ]
    if not fitting:
        return published, "report"
    return min(fitting)[1], "text"


def _ahead(sentence: str, at: int) -> bool:
    """Whether the date at ``at`` is one to come ("until", "next", "will ... on", "set for")."""
    return bool(_AHEAD.search(sentence[max(0, at - 24) : at]))


def _calendar(month: str, day: str, year: str | None, published: date) -> date | None:
    number = _MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    try:
        stated = date(int(year) if year else published.year, number, int(day))
    except ValueError:
        return None
    if not year and stated > published + timedelta(days=1):  # "Dec. 14" in a January report
        try:
            stated = stated.replace(year=stated.year - 1)
        except ValueError:
            return None
    return stated


def day_words(day: date | str) -> str:
    """2023-02-01 -> '1 Feb 2023', as the notes and changes say a date."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.day} {d:%b %Y}"


def published_day(value: str) -> date | None:
    """A report's published date (YYYY-MM-DD, possibly with a time after it), or None."""
    try:
        return date.fromisoformat(value[:10])
    except (ValueError, TypeError):
        return None
