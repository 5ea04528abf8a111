"""Pure scoring functions for the evaluation harness: retrieval, answers, choices, latency and citations.

Nothing here does I/O or loads a model. Shares over an empty input are ``nan`` (there is nothing to score),
never 0, so an empty split can't pass for a bad one.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

ARTICLES = frozenset({"a", "an", "the"})

# --- text ----------------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Lowercase, turn every punctuation or symbol character into a space, collapse whitespace, strip.

    RealTime QA's rule ("lowercase, punctuation to spaces"), Unicode-aware: any character whose category
    is ``P*`` or ``S*`` counts, so ’ “ — € + % go too. "U.S." becomes "u s", "Biden’s" becomes "biden s",
    "1,000" becomes "1 000" (and "3.5" becomes "3 5", which then contains the word "3").
    """
    chars = (" " if unicodedata.category(c)[0] in "PS" else c for c in text.lower())
    return " ".join("".join(chars).split())


def _answer_tokens(text: str) -> list[str]:
    """Normalized words without the articles a/an/the (SQuAD's answer normalization)."""
    return [t for t in normalize(text).split() if t not in ARTICLES]


def contains_normalized(passage: str, answer: str) -> bool:
    """Whether the already-normalized ``answer`` is a run of whole words in the already-normalized ``passage``."""
    return bool(answer) and f" {answer} " in f" {passage} "


def contains_answer(passage: str, answer: str) -> bool:
    """Whether the normalized answer occurs in the normalized passage as whole words.

    "3" does not match "30"; an answer that normalizes to nothing ("", "...") never matches.
    """
    return contains_normalized(normalize(passage), normalize(answer))


# --- retrieval -----------------------------------------------------------------------------------------


def first_hit_rank(
    passages: Sequence[str], answer: str, *, allowed: Sequence[bool] | None = None
) -> int | None:
    """1-based rank of the first passage that contains the answer, or None if none does.

    With ``allowed`` (one flag per passage), only passages whose flag is True count: the evidence hit,
    where the passage must also come from one of the question's own articles.
    """
    if allowed is not None and len(allowed) != len(passages):
        raise ValueError(f"allowed has {len(allowed)} flags for {len(passages)} passages")
    wanted = normalize(answer)
    for rank, passage in enumerate(passages, start=1):
        if (allowed is None or allowed[rank - 1]) and contains_normalized(normalize(passage), wanted):
            return rank
    return None


def _check_ranks(ranks: Sequence[int | None]) -> None:
    bad = [r for r in ranks if r is not None and r < 1]
    if bad:
        raise ValueError(f"ranks are 1-based, got {bad[:5]}")


def hits_at_k(ranks: Sequence[int | None], ks: Sequence[int] = (1, 5, 10, 20)) -> dict[int, float]:
    """Share of questions whose first-hit rank is <= k, for each k (None: no hit). nan for no questions."""
    _check_ranks(ranks)
    if any(k < 1 for k in ks):
        raise ValueError(f"k must be >= 1, got {list(ks)}")
    if not ranks:
        return {k: math.nan for k in ks}
    return {k: sum(r is not None and r <= k for r in ranks) / len(ranks) for k in ks}


def mean_reciprocal_rank(ranks: Sequence[int | None], cutoff: int | None = None) -> float:
    """Mean of 1/rank over questions; None, or a rank beyond ``cutoff`` (MRR@cutoff), scores 0. nan if empty."""
    _check_ranks(ranks)
    if cutoff is not None and cutoff < 1:
        raise ValueError(f"cutoff must be >= 1, got {cutoff}")
    if not ranks:
        return math.nan
    scores = (0.0 if r is None or (cutoff is not None and r > cutoff) else 1.0 / r for r in ranks)
    return math.fsum(scores) / len(ranks)


# --- answers -------------------------------------------------------------------------------------------


def exact_match(prediction: str, gold: str) -> bool:
    """SQuAD exact match on normalized words without articles ("The U.S." equals "u s")."""
    return _answer_tokens(prediction) == _answer_tokens(gold)


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD bag-of-words F1 on normalized words without articles.

    If either side has no words left: 1.0 when both are empty, else 0.0.
    """
    pred, ref = _answer_tokens(prediction), _answer_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def choice_accuracy(predicted: Sequence[int | None], gold: Sequence[int]) -> float:
    """Share of multiple-choice questions answered with the gold option; None (no choice) is wrong. nan if empty."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions for {len(gold)} questions")
    if not gold:
        return math.nan
    return sum(p is not None and p == g for p, g in zip(predicted, gold, strict=True)) / len(gold)


def accuracy_by_type(rows: Sequence[tuple[str, bool]]) -> dict[str, tuple[int, int, float]]:
    """Per question type: (correct, total, share correct), keys sorted by type."""
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for kind, ok in rows:
        total[kind] += 1
        correct[kind] += bool(ok)
    return {kind: (correct[kind], total[kind], correct[kind] / total[kind]) for kind in sorted(total)}


# --- latency -------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 <= q <= 100) with linear interpolation, as ``numpy.percentile``'s default.

    Interpolates between the sorted values at positions floor and ceil of (n - 1) * q / 100, with numpy's
    lerp. nan for no values; values must not be nan.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within [0, 100], got {q}")
    if any(math.isnan(v) for v in values):
        raise ValueError("values contain nan")
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * (q / 100)
    lo = math.floor(position)
    hi = min(lo + 1, len(ordered) - 1)
    t = position - lo
    a, b = ordered[lo], ordered[hi]
    # numpy's _lerp: from the nearer end, which keeps the result monotonic and exact at t == 1.
    return float(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)


def latency_summary(values: Sequence[float]) -> dict[str, float]:
    """n, mean, p50, p95 and max of latencies (seconds); all but n are nan when there are none."""
    if not values:
        return {"n": 0, "mean": math.nan, "p50": math.nan, "p95": math.nan, "max": math.nan}
    return {
        "n": len(values),
        "mean": math.fsum(values) / len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": float(max(values)),
    }


# --- citations (ALCE, Gao et al. 2023) -----------------------------------------------------------------


@dataclass(frozen=True)
class SentenceJudgment:
    """An entailment judge's verdicts on one answer sentence and its citations.

    ``cited``: the distinct passages the sentence cites. ``entailed_by_all``: the concatenation of all cited
    passages entails the sentence. ``needed``: per citation, True if it alone entails the sentence or
    removing it breaks entailment by the rest (i.e. it is not ALCE-"irrelevant"); read only when
    ``entailed_by_all``.
    """

    cited: tuple[int, ...]
    entailed_by_all: bool
    needed: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.needed) != len(self.cited):
            raise ValueError(f"{len(self.needed)} needed flags for {len(self.cited)} citations")
        if len(set(self.cited)) != len(self.cited):
            raise ValueError(f"duplicate citations {self.cited}")


def citation_recall(judgments: Sequence[SentenceJudgment]) -> float:
    """ALCE citation recall: share of sentences that cite >= 1 passage and are entailed by all they cite.

    A sentence without citations scores 0. nan for no sentences.
    """
    if not judgments:
        return math.nan
    return sum(bool(j.cited) and j.entailed_by_all for j in judgments) / len(judgments)


def citation_precision(judgments: Sequence[SentenceJudgment]) -> float:
    """ALCE citation precision: share of all citations that are precise.

    A citation is precise when its sentence is entailed by all its citations (citation recall 1) and the
    citation is not irrelevant; it is irrelevant when it alone does not entail the sentence and removing it
    leaves the rest still entailing it (``needed`` False). A sentence's only citation is never irrelevant
    (removing it leaves no evidence; ALCE skips the check). Every citation of a sentence that is not
    entailed is imprecise; sentences without citations add nothing. As in ALCE's ``compute_autoais``,
    citations are pooled (micro average) over the given sentences: pass one answer's sentences for ALCE's
    per-answer score. nan when there are no citations (ALCE reports 0 there).
    """
    total = sum(len(j.cited) for j in judgments)
    if total == 0:
        return math.nan
    precise = 0
    for j in judgments:
        if j.entailed_by_all:
            precise += 1 if len(j.cited) == 1 else sum(j.needed)
    return precise / total


def uncited_share(judgments: Sequence[SentenceJudgment]) -> float:
    """Share of sentences that cite nothing. nan for no sentences."""
    if not judgments:
        return math.nan
    return sum(not j.cited for j in judgments) / len(judgments)
