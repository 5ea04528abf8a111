"""Dates in questions: "this week", "last month", "in January", "in 2016", resolved against an as-of date.

News questions are asked at a moment: "Which team did Hamlin play for this week?" means the week before
the question was asked, not the week the analyst happens to read the answer. Retrieval uses the window
to prefer passages from articles published in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_WORDS = "|".join(sorted((m for m in _MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True))
_PATTERNS = [
    ("today", re.compile(r"\btoday\b|\bthis morning\b|\btonight\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
    (
        "this_week",
        re.compile(
            r"\bthis (?:past )?week(?:end)?\b|\bpast (?:few|several) days\b|\bthis (?:"
            + "|".join(_WEEKDAYS)
            + r")\b|\bon (?:"
            + "|".join(_WEEKDAYS)
            + r")\b",
            re.I,
        ),
    ),
    ("last_week", re.compile(r"\blast week(?:end)?\b|\bprevious week\b|\bpast week\b", re.I)),
    ("this_month", re.compile(r"\bthis month\b|\bpast month\b", re.I)),
    ("last_month", re.compile(r"\blast month\b|\bprevious month\b", re.I)),
    ("this_year", re.compile(r"\bthis year\b|\bso far this year\b", re.I)),
    ("last_year", re.compile(r"\blast year\b|\bprevious year\b", re.I)),
    (
        "month",
        re.compile(
            r"\b(?:in|during|since|of|early|late|mid-?)\s*(" + _MONTH_WORDS + r")\b(?!\s+\d{1,2}\b)"
            r"(?:\s+(\d{4}))?",
            re.I,
        ),
    ),
    ("year", re.compile(r"\b(?:in|during|of)\s+((?:19|20)\d{2})\b", re.I)),
]


@dataclass(frozen=True)
class DateWindow:
    """Inclusive range of publication dates a question refers to, and the phrase that said so."""

    start: date
    end: date
    phrase: str


def resolve_dates(question: str, as_of: date) -> DateWindow | None:
    """The publication window that the first date phrase in ``question`` names, counted back from ``as_of``.

    News about an event is published on it and in the days after, so each window runs up to a few days
    past the period it names (never past ``as_of``): "last week" asked on a Thursday covers the 14 days
    before it.
    """
    found = [(m.start(), kind, m) for kind, pattern in _PATTERNS if (m := pattern.search(question))]
    if not found:
        return None
    _, kind, m = min(found, key=lambda f: f[0])
    phrase = m.group(0)
    if kind == "today":
        return DateWindow(as_of - timedelta(days=1), as_of, phrase)
    if kind == "yesterday":
        return DateWindow(as_of - timedelta(days=2), as_of, phrase)
    if kind == "this_week":
        return DateWindow(as_of - timedelta(days=7), as_of, phrase)
    if kind == "last_week":
        return DateWindow(as_of - timedelta(days=14), as_of, phrase)
    if kind == "this_month":
        return DateWindow(min(as_of.replace(day=1), as_of - timedelta(days=7)), as_of, phrase)
    if kind == "last_month":
        first = (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)
        return DateWindow(first, as_of, phrase)
    if kind == "this_year":
        return DateWindow(date(as_of.year, 1, 1), as_of, phrase)
    if kind == "last_year":
        return DateWindow(date(as_of.year - 1, 1, 1), min(as_of, date(as_of.year, 1, 31)), phrase)
    if kind == "month":
        month = _MONTHS[m.group(1).lower()]
        year = int(m.group(2)) if m.group(2) else as_of.year - (month > as_of.month)
        start = date(year, month, 1)
        end = (start + timedelta(days=32)).replace(day=1) + timedelta(days=6)
        return DateWindow(start, min(end, as_of), phrase) if start <= as_of else None
    year = int(m.group(1))
    if year > as_of.year:
        return None
    return DateWindow(date(year, 1, 1), min(date(year + 1, 1, 15), as_of), phrase)
