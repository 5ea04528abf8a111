"""What a timeline and a briefing return: dated events, each one sentence with every report that gave it, the
values that changed between them, and the stories a topic split into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.answer import Citation, Passage


@dataclass(frozen=True)
class TimelineEvent:
    """One happening: its date (``dated_by`` "text" when a report's words give it, "report" when it is the date
    of its earliest report), one sentence saying it, and a citation of every report that gave it (the first is
    the sentence's own)."""

    date: str  # YYYY-MM-DD
    dated_by: str
    sentence: str
    citations: tuple[Citation, ...]
    story: int = 0  # index into ``Timeline.stories``
    value: str = ""  # the figure it sets, when the story's figures change ("4.5% to 4.75%")
    written_by: str = "extract"  # "extract" (a sentence of the first report) or "model"

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(c.passage.source for c in self.citations if c.passage.source))

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "dated_by": self.dated_by,
            "sentence": self.sentence,
            "story": self.story,
            "value": self.value,
            "written_by": self.written_by,
            "sources": self.sources,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class ValueChange:
    """A value that moved between two events of a story, said plainly and cited on both sides."""

    text: str  # "4.5% to 4.75% on 1 Feb 2023, after 4.25% to 4.5% on 14 Dec 2022"
    before: TimelineEvent
    after: TimelineEvent

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "before": {"date": self.before.date, "value": self.before.value, "n": self.before.citations[0].n},
            "after": {"date": self.after.date, "value": self.after.value, "n": self.after.citations[0].n},
        }


@dataclass(frozen=True)
class Timeline:
    """A topic's events in date order; ``stories`` names each story the topic split into (one when it does
    not); ``passages`` are the reports the citations number (1-based); ``model_calls`` how many times a model
    wrote a sentence (0 for extracted sentences)."""

    topic: str
    events: tuple[TimelineEvent, ...]
    stories: tuple[str, ...] = ()
    changes: tuple[ValueChange, ...] = ()
    passages: tuple[Passage, ...] = field(default=(), repr=False)
    model_calls: int = 0
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "stories": list(self.stories),
            "events": [e.to_dict() for e in self.events],
            "changes": [c.to_dict() for c in self.changes],
            "model_calls": self.model_calls,
            "notes": list(self.notes),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass(frozen=True)
class Brief:
    """What is new on a topic since a date: at most five events, latest first, and what each changed from
    before the date (cited on both sides)."""

    topic: str
    since: str  # YYYY-MM-DD
    as_of: str
    new: tuple[TimelineEvent, ...]
    changed: tuple[ValueChange, ...] = ()
    passages: tuple[Passage, ...] = field(default=(), repr=False)
    model_calls: int = 0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "since": self.since,
            "as_of": self.as_of,
            "new": [e.to_dict() for e in self.new],
            "changed": [c.to_dict() for c in self.changed],
            "model_calls": self.model_calls,
            "notes": list(self.notes),
            "passages": [p.to_dict() for p in self.passages],
        }
