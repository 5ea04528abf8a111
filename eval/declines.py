"""Why an answerable question was declined: read the model's draft, check each sentence against its cited
passages, and name the first cause that explains the refusal.

The causes, in the order they are tested (the first that applies is the cause):
- ``retrieval``: the passages given to the answerer do not hold the answer at all;
- ``model_declined``: the model itself said the passages do not hold it (or wrote nothing);
- ``two_passages``: a sentence its cited passages support together, but no one of them alone;
- ``wrong_passage``: a sentence that other passages support, not the ones it cites;
- ``yes_no``: a "Yes."/"No." with no supported sentence arguing for it, and passages that do not state
  the question's premises either;
- ``paraphrase``: the draft holds the right answer (or a sentence that means what its span says), but in
  other words than the passages, so word overlap misses it;
- ``unsupported``: the draft's claims are not in the passages (the refusal was right to withhold them).

Under the product's verifier the first three relaxations are already accepted, so a decline for one of
those causes marks a verifier that does not do what it should.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.verifiers.answers import says_not_in_articles
from assistant.verifiers.citations import is_verdict, split_cited_sentences, support_checker
from core.answer import Passage
from eval.metrics import contains_answer

CAUSES = {
    "retrieval": "retrieval missed it (no passage given holds the answer)",
    "model_declined": "the model said the articles do not hold it",
    "two_passages": "a sentence needs two cited passages together",
    "wrong_passage": "the fact is in another passage than the one cited",
    "yes_no": "a yes/no with no supported argument, its question's premises not in the passages",
    "paraphrase": "the right answer in other words than the passage",
    "unsupported": "the draft's claims are not in the passages",
}
PARAPHRASE_HINT = 0.6  # a sentence this similar to its best span is a paraphrase candidate


@dataclass(frozen=True)
class SentenceCheck:
    text: str
    cites: tuple[int, ...]
    alone: float  # best support by one cited passage
    together: float  # support by the cited passages together
    elsewhere: float  # best support by any one or two passages
    similarity: float  # cosine to its best cited span (MiniLM), 0 without embeddings


def decline_cause(
    question: str,
    gold: str,
    answer: dict[str, Any],
    *,
    answer_in_passages: bool,
    embeddings: Embeddings | None = None,
) -> tuple[str, list[SentenceCheck]]:
    """The cause (a key of ``CAUSES``) of a declined answer, and the check of each sentence of its draft.

    ``answer`` is ``Answer.to_dict()``; ``answer_in_passages`` says whether its passages hold the answer
    (the caller knows the dataset's evidence).
    """
    draft = answer.get("draft") or ""
    passages = [Passage(**p) for p in answer.get("passages") or []]
    asked = answer.get("question") or question
    by_words, by_meaning = support_checker(passages, asked), support_checker(passages, asked, embeddings)
    checks = [
        _check(text, cites, len(passages), by_words, by_meaning if embeddings is not None else None)
        for text, cites in split_cited_sentences(draft)
        if not says_not_in_articles(draft)
    ]
    if not answer_in_passages:
        return "retrieval", checks
    if not draft.strip() or says_not_in_articles(draft):
        return "model_declined", checks
    claims = [c for c in checks if not is_verdict(c.text)]
    if any(c.together > c.alone and c.together >= 0.6 and c.alone < 0.6 for c in claims):
        return "two_passages", checks
    if any(c.elsewhere >= 0.6 and c.together < 0.6 for c in claims):
        return "wrong_passage", checks
    if any(is_verdict(c.text) for c in checks):
        return "yes_no", checks
    if (gold and contains_answer(draft, gold)) or any(c.similarity >= PARAPHRASE_HINT for c in claims):
        return "paraphrase", checks
    return "unsupported", checks


def _check(
    text: str,
    cites: list[int],
    count: int,
    by_words: Callable[[str, list[int]], tuple[bool, float]],
    by_meaning: Callable[[str, list[int]], tuple[bool, float]] | None,
) -> SentenceCheck:
    valid = [n for n in cites if 1 <= n <= count]
    if is_verdict(text) or not count:
        return SentenceCheck(text, tuple(valid), 0.0, 0.0, 0.0, 0.0)
    singles = {n: by_words(text, [n])[1] for n in range(1, count + 1)}
    alone = max((singles[n] for n in valid), default=0.0)
    together = by_words(text, valid)[1] if valid else 0.0
    top = sorted(singles, key=lambda n: -singles[n])[:3]
    pairs = [by_words(text, sorted((a, b)))[1] for a in top for b in top if a < b]
    elsewhere = max([*singles.values(), *pairs], default=0.0)
    similarity = 0.0
    if by_meaning is not None and valid:
        with_meaning = by_meaning(text, valid)[1]
        similarity = with_meaning if with_meaning > together else 0.0
    return SentenceCheck(text, tuple(valid), alone, together, elsewhere, similarity)


def cause_table(causes: list[str]) -> list[tuple[str, str, int, float]]:
    """(cause, description, count, share) for each cause that occurred, most frequent first."""
    counts = Counter(causes)
    total = sum(counts.values())
    return [(c, CAUSES.get(c, c), n, n / total) for c, n in counts.most_common()]
