"""What checking a claim against texts returns: its label, how sure, and the spans that decided it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClaimSpan:
    """A span of one of the texts checked: ``text`` indexes them; ``start``/``end`` are offsets into that text
    (into the article, for a ``Passage``, as citations give them)."""

    text: int
    start: int
    end: int
    quote: str
    supported: float  # the model's probability that this span states the claim
    contradicted: float  # ...that it states otherwise
    verdict: str = (
        ""  # over the archive: "supports" or "contradicts" (this report's own verdict), or "" (near)
    )


@dataclass(frozen=True)
class ClaimCheck:
    """``label``: supported, not_supported or contradicted (against texts given), or, against the archive,
    supported, contradicted or not_found; ``score``: the probability of that label (the word-overlap share when
    the model is absent, ``checker`` says which decided); ``spans``: the spans that decided it, best first (over
    the archive: the reports that support or contradict it, latest first, each with its ``verdict``);
    ``notes``: where reports of different dates disagree, and since when the archive says so; ``passages``: the
    passages read over the archive (a span's ``text`` indexes them)."""

    claim: str
    label: str
    score: float
    spans: tuple[ClaimSpan, ...] = ()
    checker: str = "model"  # "model" or "words" (the trained checker's weights absent)
    passages: tuple[Any, ...] = field(default=(), compare=False)  # the passages read, when the archive was
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "label": self.label,
            "score": round(self.score, 4),
            "checker": self.checker,
            "spans": [
                {**s.__dict__, "supported": round(s.supported, 4), "contradicted": round(s.contradicted, 4)}
                for s in self.spans
            ],
            "notes": list(self.notes),
            "passages": [p.to_dict() for p in self.passages],
        }
