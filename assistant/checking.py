"""Check a claim against texts: does any of them state it, state otherwise, or say nothing of it?

    from assistant import check_claim
    check_claim("The Fed raised rates by a quarter point.", [article_text, other_passage]).label

A text may be a whole article: it is cut into windows of three sentences, the words pick the windows most
like the claim (``CANDIDATES``), and the trained checker (``claim_checker="on"``) reads the claim against each.
Otherwise word overlap decides between supported and not supported (never contradicted). ``build_checker``
gives the same as a LangChain ``Runnable`` (claim in, ``ClaimCheck`` out), for batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from assistant.verifiers.citations import locate_span, support_checker
from assistant.verifiers.claims import ClaimReader, read_as
from core.answer import Passage
from core.claims import ClaimCheck, ClaimSpan
from core.sentences import split_sentences
from core.settings import Settings, settings_from_env
from core.words import match_words
from models.claim_checker import (
    CONTRADICTED,
    SUPPORTED,
    claim_checker_ready,
    shared_claim_model,
)

CANDIDATES = 8  # windows the model reads per claim, the words' best
AROUND = 1  # sentences either side of a window's centre


def check_claim(
    claim: str,
    texts: Sequence[str | Passage],
    settings: Settings | None = None,
    *,
    question: str = "",
) -> ClaimCheck:
    """Whether ``texts`` state ``claim`` (as the answer to ``question``, when given): a typed ``ClaimCheck``
    whose spans say which text, where, and the quote."""
    return build_checker(settings or settings_from_env()).check(claim, texts, question=question)


class ClaimChecker(Runnable[dict[str, Any], ClaimCheck]):
    """``invoke({"claim": ..., "texts": [...], "question": ...})`` -> ``ClaimCheck``; ``batch`` for many."""

    def __init__(self, reader: ClaimReader | None) -> None:
        self.reader = reader

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> ClaimCheck:
        return self.check(input["claim"], input["texts"], question=input.get("question", ""))

    def check(self, claim: str, texts: Sequence[str | Passage], *, question: str = "") -> ClaimCheck:
        claim = " ".join(claim.split())
        passages = [_as_passage(t, i) for i, t in enumerate(texts)]
        windows = candidate_windows(claim, passages)
        if not claim or not windows:
            return ClaimCheck(claim, "not_supported", 0.0, checker="model" if self.reader else "words")
        if self.reader is None:
            return _by_words(claim, passages, question)
        rows = self.reader.probabilities(read_as(question, claim), [w[3] for w in windows])
        spans = [
            ClaimSpan(i, start, end, quote, float(row[SUPPORTED]), float(row[CONTRADICTED]))
            for (i, start, end, _, quote), row in zip(windows, rows, strict=True)
        ]
        supported = sorted(spans, key=lambda s: -s.supported)
        contradicted = sorted(spans, key=lambda s: -s.contradicted)
        if supported[0].supported >= self.reader.support:
            return ClaimCheck(claim, "supported", supported[0].supported, tuple(supported[:3]))
        if contradicted[0].contradicted >= self.reader.contradiction:
            return ClaimCheck(claim, "contradicted", contradicted[0].contradicted, tuple(contradicted[:3]))
        best = supported[0]
        return ClaimCheck(
            claim, "not_supported", 1.0 - best.supported - best.contradicted, tuple(supported[:3])
        )


def build_checker(settings: Settings) -> ClaimChecker:
    """The claim checker the settings ask for, as a ``Runnable``: the trained model with ``claim_checker="on"``
    (an error when its weights are missing), else word overlap."""
    from core.errors import ModelError

    if settings.claim_checker != "on":
        return ClaimChecker(None)
    if not claim_checker_ready():
        raise ModelError(
            "The claim checker's weights are not in models/checker/: restore them with "
            "`git checkout -- models/checker`, or set ASSISTANT_CLAIM_CHECKER=off to check by word overlap."
        )
    return ClaimChecker(ClaimReader(shared_claim_model()))


def _as_passage(text: str | Passage, index: int) -> Passage:
    if isinstance(text, Passage):
        return text
    return Passage(f"text-{index}", f"text-{index}", "", "", "", "", "", text, 0, len(text), 0.0)


def candidate_windows(
    claim: str, passages: Sequence[Passage], limit: int = CANDIDATES, per_text: int = 0
) -> list[tuple[int, int, int, str, str]]:
    """The windows the model reads: (text index, start, end, what it reads, quote), the words' best first:
    ``limit`` in all, or, with ``per_text``, that many of each text. A window is three sentences; its quote
    (and span) is the sentence of it that shares most words with the claim."""
    wanted = set(match_words(claim))
    scored: list[tuple[float, tuple[int, int, int, str, str]]] = []
    for i, p in enumerate(passages):
        sentences = split_sentences(p.text, offset=p.start)
        shared = [
            len(wanted & set(match_words(p.text[s.start - p.start : s.end - p.start]))) for s in sentences
        ]
        title = p.title.strip().rstrip(".")
        for at in range(len(sentences)):
            lo, hi = max(0, at - AROUND), min(len(sentences) - 1, at + AROUND)
            best = max(range(lo, hi + 1), key=lambda j: (shared[j], j == at))
            span = sentences[best]
            read = p.text[sentences[lo].start - p.start : sentences[hi].end - p.start]
            quote = p.text[span.start - p.start : span.end - p.start]
            overlap = shared[at] + 0.25 * sum(shared[lo : hi + 1])
            scored.append((overlap, (i, span.start, span.end, f"{title}. {read}" if title else read, quote)))
    scored.sort(key=lambda x: -x[0])
    if per_text:
        taken: dict[int, int] = {}
        chosen: list[tuple[int, int, int, str, str]] = []
        for _, w in scored:
            if taken.get(w[0], 0) < per_text and w[1:3] not in {c[1:3] for c in chosen if c[0] == w[0]}:
                taken[w[0]] = taken.get(w[0], 0) + 1
                chosen.append(w)
        return chosen
    return [w for _, w in scored[:limit]]


def _by_words(claim: str, passages: list[Passage], question: str) -> ClaimCheck:
    """Without the model: the lexical verifier's decision, passage by passage (supported or not only)."""
    check = support_checker(passages, question)
    results = [(n, *check(claim, [n])) for n in range(1, len(passages) + 1)]
    n, supported, score = max(results, key=lambda r: r[2])
    label = "supported" if supported else "not_supported"
    p = passages[n - 1]
    start, end, _ = locate_span(claim, p, question)
    span = ClaimSpan(n - 1, start, end, p.text[start - p.start : end - p.start], score, 0.0)
    return ClaimCheck(claim, label, score if supported else 1.0 - score, (span,), checker="words")
