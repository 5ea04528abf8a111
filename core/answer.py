"""The one result type the chain returns and the CLI, UI and eval consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_IN_ARTICLES = "The articles do not contain the answer to this question."


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata; ``start``/``end`` locate it in the cleaned article."""

    chunk_id: str
    article_id: str
    title: str
    source: str
    url: str
    author: str
    published: str
    text: str
    start: int
    end: int
    score: float  # cosine similarity to the question, 0..1

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Citation:
    """``[n]`` in the answer: passage ``n`` and the span of the article that supports the citing sentences."""

    n: int
    passage: Passage
    start: int  # character offsets of the supporting span in the cleaned article
    end: int
    quote: str  # the article text between start and end

    def to_dict(self) -> dict[str, Any]:
        p = self.passage
        return {
            "n": self.n,
            "article_id": p.article_id,
            "title": p.title,
            "source": p.source,
            "url": p.url,
            "author": p.author,
            "published": p.published,
            "passage": p.text,
            "passage_start": p.start,
            "passage_end": p.end,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Sentence:
    """One sentence of the answer with the passages it cites and whether they support it."""

    text: str
    cites: tuple[int, ...]
    supported: bool  # False when uncited, or when no cited passage supports it
    support: float = 0.0  # 0..1, how much of the sentence the best cited span covers

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "cites": list(self.cites),
            "supported": self.supported,
            "support": round(self.support, 3),
        }


@dataclass(frozen=True)
class Conflict:
    """A report among the passages that gives another figure than the answer for what is asked, published on
    another day: the answer leads with the latest report and notes this one."""

    n: int  # its passage number, as the answer cites it
    published: str  # YYYY-MM-DD
    quote: str  # its sentence
    start: int  # the sentence's offsets in the cleaned article
    end: int
    figures: tuple[str, ...]  # the figures it gives ("25", "pt:0.5": half a point)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "figures": list(self.figures)}


@dataclass(frozen=True)
class Sources:
    """What ``Assistant.stream`` yields as soon as retrieval ends, before the first word of the answer: the
    passages it answers from, so a reader can start on them while the model writes."""

    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Verdict:
    """What verification made of a draft: the text shown (the verified answer, or the decline with what the
    closest passages say), its sentences and citations, notes for the analyst, and the differing reports."""

    text: str
    declined: bool
    sentences: tuple[Sentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    warnings: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class Answer:
    """A question's verified answer with everything it was made from: built once, by ``Answer.of``, when
    verification ends."""

    text: str
    declined: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    question: str = ""
    rewritten_question: str | None = None
    backend: str = "extractive"
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage; prompt_tokens a count
    warnings: list[str] = field(default_factory=list)
    draft: str = ""  # what the answerer wrote, before verification (kept when the answer is declined)
    read: dict[int, str] = field(default_factory=dict)  # passage number -> the excerpt the model read of it
    conflicts: list[Conflict] = field(default_factory=list)  # reports that differ from the answer's figures

    @classmethod
    def of(
        cls,
        verdict: Verdict,
        *,
        passages: list[Passage],
        question: str,
        rewritten_question: str | None = None,
        backend: str = "extractive",
        timings: dict[str, float] | None = None,
        warnings: tuple[str, ...] = (),
        draft: str = "",
        read: dict[int, str] | None = None,
    ) -> Answer:
        """The answer ``verdict`` makes of ``draft`` over ``passages``; ``warnings`` are notes from before
        verification (the passages that did not fit the model's context), shown before the verdict's."""
        return cls(
            text=verdict.text,
            declined=verdict.declined,
            citations=list(verdict.citations),
            passages=list(passages),
            sentences=list(verdict.sentences),
            question=question,
            rewritten_question=rewritten_question,
            backend=backend,
            timings=dict(timings or {}),
            warnings=[*warnings, *verdict.warnings],
            draft=draft,
            read=dict(read or {}),
            conflicts=list(verdict.conflicts),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "declined": self.declined,
            "citations": [c.to_dict() for c in self.citations],
            "sentences": [s.to_dict() for s in self.sentences],
            "passages": [p.to_dict() for p in self.passages],
            "rewritten_question": self.rewritten_question,
            "backend": self.backend,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "warnings": self.warnings,
            "draft": self.draft,
            "read": [{"n": n, "text": text} for n, text in sorted(self.read.items())],
            "conflicts": [c.to_dict() for c in self.conflicts],
        }
