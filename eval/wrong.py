"""Why a shown answer to an answerable question was wrong: the other side of the declines table, so that the
trade between refusing and being wrong is measured, not guessed.

The causes, in the order they are tested (the first that applies is the cause):
- ``wrong_verdict``: a yes/no question answered with the other verdict;
- ``right_in_other_words``: the gold answer is in the first sentence in other words ("a quarter point" for "0.25 percentage
  point", "Bankman-Fried" for "Sam Bankman-Fried"): wrong by the benchmark's string test, not in substance;
- ``stale_passage``: the answer cites only reports older than one among its passages that holds the gold
  answer, or (when none does) older than two weeks before the question's date: an earlier version of the story;
- ``unsupported_claim``: the answer's first sentence is flagged unsupported (it was shown for another one);
- ``wrong_entity``: another name, number or event than the gold one, supported by its passages.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from assistant.verifiers.citations import is_verdict
from assistant.verifiers.forms import forms, requirements, satisfied
from eval.metrics import contains_answer

CAUSES = {
    "wrong_verdict": "yes/no answered with the other verdict",
    "right_in_other_words": "the gold answer in other words (the string test missed it)",
    "stale_passage": "answered from an older report than the story's latest",
    "unsupported_claim": "the answer's first sentence is flagged unsupported",
    "wrong_entity": "another name, number or event than the gold answer, supported by its passages",
}
STALE_AFTER = timedelta(days=14)


def wrong_cause(gold: str, answer: dict[str, Any], as_of: date | None = None) -> str:
    """The cause (a key of ``CAUSES``) of a shown answer (``Answer.to_dict()``) that is not ``gold``."""
    sentences: list[dict[str, Any]] = answer.get("sentences") or []
    first: dict[str, Any] = sentences[0] if sentences else {"text": "", "supported": False, "cites": []}
    if gold.strip().lower() in ("yes", "no"):
        verdict = first["text"].strip().lower()[:3].rstrip(".")
        if is_verdict(first["text"]) and verdict != gold.strip().lower():
            return "wrong_verdict"
    lead = next((s["text"] for s in sentences if not is_verdict(s["text"])), "")
    if states_in_other_words(gold, lead):
        return "right_in_other_words"
    passages = answer.get("passages") or []
    cited = {n for s in sentences for n in s.get("cites", [])}
    cited_days = [passages[n - 1]["published"][:10] for n in cited if 0 < n <= len(passages)]
    cited_days = [d for d in cited_days if d]
    if cited_days:
        holding = [
            p["published"][:10] for p in passages if p["published"] and contains_answer(p["text"], gold)
        ]
        newest = max(cited_days)
        if holding and newest < max(holding):
            return "stale_passage"
        if not holding and as_of is not None and newest < (as_of - STALE_AFTER).isoformat():
            return "stale_passage"
    if not first.get("supported", False):
        return "unsupported_claim"
    return "wrong_entity"


def states_in_other_words(gold: str, text: str) -> bool:
    """Whether ``text`` states every name and figure of ``gold`` in some form ("a quarter point" for "0.25
    percentage point", "38 vessels" for "38 container ships", "9 years" for "nine years")."""
    wanted = requirements(gold, "", frozenset(w.lower().strip(".,") for w in gold.split()))
    return bool(wanted) and all(satisfied(w, forms(text)) for w in wanted)


def wrong_table(causes: list[str]) -> list[tuple[str, str, int, float]]:
    """(cause, description, count, share) for each cause that occurred, most frequent first."""
    counts = Counter(causes)
    total = sum(counts.values())
    return [(c, CAUSES.get(c, c), n, n / total) for c, n in counts.most_common()]
