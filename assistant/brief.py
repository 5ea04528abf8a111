"""What changed since a date: the topic's events after it, latest first, at most ``MAX_NEW``, and what each
changed from before it, cited on both sides.

    assistant.brief("Federal Reserve interest rate increases", since="last week", as_of="2023-02-03")

``since`` is a date (YYYY-MM-DD) or words ("last week", "this month", "in January"), read from the as-of date
(no as-of: today) as the retriever reads them, a few days wide (news of a week is published over the days after
it: "last week" asked on a Friday starts two Fridays back), so an archive of 2023 news is briefed as of 2023
when the analyst says so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from langchain_core.language_models import BaseChatModel

from assistant.event_dates import day_words
from assistant.retrievers.dates import resolve_dates
from assistant.retrievers.hybrid import PassageRetriever
from assistant.timeline import FLOOR, build_timeline, value_changes, value_of, write_sentence
from assistant.verifiers.claims import ClaimReader
from core.answer import Passage
from core.errors import QuestionError
from core.filters import SearchFilter
from core.timeline import Brief, TimelineEvent, ValueChange

MAX_NEW = 5
HISTORY = (
    100  # events of the topic read (every one, for a topic of this archive's size): the new ones, and before
)


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
            written.append(
                replace(e, sentence=sentence, value=value_of(sentence), written_by="model") if sentence else e
            )
        new = written
    found = [_change(e, [x for x in timeline.events if x.date < e.date], topic) for e in new]
    changed = [c for c in found if c is not None]
    new, changed, passages = _renumbered(new, changed, topic)
    notes = []
    if not new:
        notes.append(f"Nothing new on “{topic}” since {day_words(start)} (as of {day_words(as_of)}).")
    return Brief(
        topic,
        start.isoformat(),
        as_of.isoformat(),
        tuple(new),
        tuple(changed),
        passages,
        calls,
        tuple(notes),
    )


def _renumbered(
    new: list[TimelineEvent], changed: list[ValueChange], topic: str
) -> tuple[list[TimelineEvent], list[ValueChange], tuple[Passage, ...]]:
    """The brief's events and changes citing only the reports they use, numbered 1, 2, ... in order."""
    numbers: dict[str, int] = {}
    passages: list[Passage] = []

    def cite(e: TimelineEvent) -> TimelineEvent:
        citations = []
        for c in e.citations:
            if c.passage.chunk_id not in numbers:
                numbers[c.passage.chunk_id] = len(passages) + 1
                passages.append(c.passage)
            citations.append(replace(c, n=numbers[c.passage.chunk_id]))
        return replace(e, citations=tuple(citations))

    new = [cite(e) for e in new]
    by_date = {e.date + e.sentence: e for e in new}
    redone = []
    for c in changed:
        after = by_date.get(c.after.date + c.after.sentence, cite(c.after))
        redone += value_changes([cite(c.before), after], topic)
    return new, redone, tuple(passages)


def _change(event: TimelineEvent, before: list[TimelineEvent], topic: str) -> ValueChange | None:
    """What ``event`` changed from the latest earlier event of its story (new or not) that gave a value of its
    kind."""
    earlier = [e for e in before if e.story == event.story and e.value]
    for prior in reversed(earlier):
        found = value_changes([prior, event], topic)
        if found:
            return found[0]
    return None
