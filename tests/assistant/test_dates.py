"""Relative date phrases in questions, resolved against an as-of date, and the stored day numbers they filter on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant.retrievers.dates import DateWindow, resolve_dates
from core.article import Article
from core.chunks import chunk_metadata, day_number

AS_OF = date(2023, 3, 16)  # a Thursday


@pytest.mark.parametrize(
    ("question", "as_of", "start", "end"),
    [
        ("What did the minister announce today?", AS_OF, date(2023, 3, 15), AS_OF),
        ("What did the minister announce this morning?", AS_OF, date(2023, 3, 15), AS_OF),
        ("Who resigned yesterday?", AS_OF, date(2023, 3, 14), AS_OF),
        ("Which team did Hamlin play for this week?", AS_OF, date(2023, 3, 9), AS_OF),
        ("Which team did Hamlin play for this past week?", AS_OF, date(2023, 3, 9), AS_OF),
        ("What did the court rule on Monday?", AS_OF, date(2023, 3, 9), AS_OF),
        ("What happened at the summit last week?", AS_OF, date(2023, 3, 2), AS_OF),
        ("How much did prices rise this month?", AS_OF, date(2023, 3, 1), AS_OF),
        # Early in a month, "this month" still reaches back a week into the previous one.
        ("How much did prices rise this month?", date(2023, 3, 3), date(2023, 2, 24), date(2023, 3, 3)),
        ("Who won the election last month?", AS_OF, date(2023, 2, 1), AS_OF),
        ("Who won the election last month?", date(2023, 1, 10), date(2022, 12, 1), date(2023, 1, 10)),
        ("How many storms hit the coast this year?", AS_OF, date(2023, 1, 1), AS_OF),
        ("Who won the title last year?", AS_OF, date(2022, 1, 1), date(2023, 1, 31)),
        ("Who won the title last year?", date(2023, 1, 10), date(2022, 1, 1), date(2023, 1, 10)),
        ("What did the bank decide in January?", AS_OF, date(2023, 1, 1), date(2023, 2, 7)),
        # A month later in the year than the as-of date means last year's.
        ("What did the bank decide in November?", AS_OF, date(2022, 11, 1), date(2022, 12, 7)),
        ("What did the bank decide in December?", date(2024, 1, 5), date(2023, 12, 1), date(2024, 1, 5)),
        ("What did the bank decide in March?", AS_OF, date(2023, 3, 1), AS_OF),
        ("What did the bank decide in May 2021?", AS_OF, date(2021, 5, 1), date(2021, 6, 7)),
        ("Who won the cup in 2016?", AS_OF, date(2016, 1, 1), date(2017, 1, 15)),
        ("Who won the cup in 2023?", AS_OF, date(2023, 1, 1), AS_OF),
        ("WHAT HAPPENED LAST WEEK?", AS_OF, date(2023, 3, 2), AS_OF),
    ],
)
def test_phrase_resolves_to_window(question: str, as_of: date, start: date, end: date) -> None:
    window = resolve_dates(question, as_of)
    assert window is not None
    assert (window.start, window.end) == (start, end)
    assert window.phrase and window.phrase.lower() in question.lower()


@pytest.mark.parametrize(
    "question",
    [
        "Who leads the opposition party?",
        "Officials may resign over the scandal.",
        "Which cabinet ministers may resign, and why?",
        "Who will win the cup in 2030?",  # a future year
        "What will the bank decide in May 2024?",  # a future month
    ],
)
def test_no_window(question: str) -> None:
    assert resolve_dates(question, AS_OF) is None


def test_first_phrase_wins() -> None:
    later_phrase_is_month = resolve_dates("Did the rise last week match the one in January?", AS_OF)
    assert later_phrase_is_month == DateWindow(date(2023, 3, 2), AS_OF, "last week")
    later_phrase_is_week = resolve_dates("Was the rise in January bigger than last week's?", AS_OF)
    assert later_phrase_is_week == DateWindow(date(2023, 1, 1), date(2023, 2, 7), "in January")


_PHRASES = [
    "today",
    "tonight",
    "yesterday",
    "this week",
    "on Friday",
    "last week",
    "this month",
    "last month",
    "this year",
    "last year",
    "in January",
    "in February",
    "in June",
    "in December",
    "in May 2021",
    "early March",
    "in 2016",
]
_AS_OF_DATES = [
    date(2023, 1, 1),
    date(2023, 1, 31),
    date(2023, 2, 28),
    date(2024, 2, 29),
    date(2023, 3, 1),
    date(2023, 6, 15),
    date(2023, 12, 31),
]


@pytest.mark.parametrize("as_of", _AS_OF_DATES, ids=str)
def test_windows_never_end_after_as_of(as_of: date) -> None:
    for phrase in _PHRASES:
        window = resolve_dates(f"What happened {phrase}?", as_of)
        if window is None:  # a month or year that has not begun yet
            continue
        assert window.start <= window.end <= as_of, (phrase, window)
        assert window.end - window.start <= timedelta(days=400), (phrase, window)


# --- the stored day number that date filters compare -------------------------------------------------


@pytest.mark.parametrize(
    ("published", "day"),
    [
        ("2017-01-27", 20170127),
        ("2017-01-27T10:00:00", 20170127),
        ("2017-01-27T10:00:00+02:00", 20170127),
        ("2017-01-27 10:00", 20170127),
        ("", 0),
        ("yesterday", 0),
        ("January 27, 2017", 0),
        ("2017-01", 0),
        ("2017/01/27", 0),
    ],
)
def test_day_number(published: str, day: int) -> None:
    assert day_number(published) == day


def test_day_numbers_order_like_dates() -> None:
    days = [date(2016, 12, 31), date(2017, 1, 1), date(2017, 1, 27), date(2017, 10, 2)]
    numbers = [day_number(d.isoformat()) for d in days]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_chunk_metadata_carries_the_published_day() -> None:
    article = Article(
        id="a1",
        title="Port strike",
        text="Dockworkers walked out.",
        source="Ledger",
        url="https://example.org/a1",
        author="Ada Brenn",
        published="2017-01-27T10:00:00",
    )
    meta = chunk_metadata(article, 0, 0, 23)
    assert meta["published_day"] == 20170127
    assert meta["published"] == "2017-01-27T10:00:00"
    assert (meta["article_id"], meta["title"], meta["source"], meta["author"]) == (
        "a1",
        "Port strike",
        "Ledger",
        "Ada Brenn",
    )
    assert (meta["chunk_index"], meta["start"], meta["end"]) == (0, 0, 23)
    undated = chunk_metadata(Article(id="a2", title="T", text="x"), 1, 5, 9)
    assert undated["published_day"] == 0
    assert all(v is not None for v in undated.values())  # Chroma rejects None metadata values
