"""What changed since a date: the topic's events after it, latest first, at most ``MAX_NEW``, and what each
changed from before it, cited on both sides.

    assistant.brief("Federal Reserve interest rate increases", since="last week", as_of="2023-02-03")

``since`` is a date (YYYY-MM-DD) or words ("last week", "this month", "in January"), read from the as-of date
(no as-of: today), so an archive of 2023 news is briefed as of 2023 when the analyst says so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from langchain_core.language_models import BaseChatModel

from assistant.retrievers.dates import resolve_dates
from assistant.retrievers.hybrid import PassageRetriever
from assistant.timeline import FLOOR, build_timeline, day_words, value_changes, write_sentence
from assistant.verifiers.claims import ClaimReader
from core.errors import QuestionError
from core.filters import SearchFilter
from core.timeline import Brief, TimelineEvent, ValueChange

MAX_NEW = 5
HISTORY = 60  # events of the whole story read to find what a new one changed


def resolve_since(since: date | str, as_of: date) -> date:
    """``since`` as a date: an ISO date, or words read back from ``as_of`` ("last week": its first day)."""
    if isinstance(since, date):
        day = since
    else:
        text = since.strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            window = resolve_dates(text, as_of)
            if window is None:
                raise QuestionError(
                    f"Since {since!r} is not a date: write YYYY-MM-DD (2023-01-31) or words such as "
                    "'last week', 'this month', 'in January'."
                ) from None
            day = window.start
    if day > as_of:
        raise QuestionError(
            f"Since {day.isoformat()} is after the as-of date {as_of.isoformat()}: nothing can be new yet; "
            "set an earlier since date or a later as-of date."
        )
    return day


def build_brief(
    topic: str,
    since: date | str,
    retriever: PassageRetriever,
    search: SearchFilter | None = None,
    *,
    llm: BaseChatModel | None = None,
    reader: ClaimReader | None = None,
    floor: float = FLOOR,
) -> Brief:
    """What is new on ``topic`` since ``since``, as of ``search.as_of`` (today without one)."""
    search = search or SearchFilter()
    as_of = search.as_of or date.today()
    start = resolve_since(since, as_of)
    timeline = build_timeline(
        topic, retriever, replace(search, since=None, as_of=as_of), max_events=HISTORY, floor=floor
    )
    new = sorted(
        (e for e in timeline.events if e.date >= start.isoformat()), key=lambda e: e.date, reverse=True
    )
    new = new[:MAX_NEW]
    calls = 0
    if llm is not None:
        written = []
        for e in new:
            calls += 1
            sentence = write_sentence(llm, topic, e.citations, reader)
            written.append(replace(e, sentence=sentence, written_by="model") if sentence else e)
        new = written
    before = [e for e in timeline.events if e.date < start.isoformat()]
    changed = [_change(e, before, topic) for e in new]
    notes = []
    if not new:
        notes.append(
            f"Nothing new on “{topic}” since {day_words(start.isoformat())} (as of {day_words(as_of.isoformat())})."
        )
    return Brief(
        topic,
        start.isoformat(),
        as_of.isoformat(),
        tuple(new),
        tuple(c for c in changed if c is not None),
        timeline.passages,
        calls,
        tuple(notes),
    )


def _change(event: TimelineEvent, before: list[TimelineEvent], topic: str) -> ValueChange | None:
    """What ``event`` changed from the latest earlier event of its story that gave another value of its kind."""
    earlier = [e for e in before if e.story == event.story and e.value]
    for prior in reversed(earlier):
        found = value_changes([prior, event], topic)
        if found:
            return found[0]
    return None
