"""The answerer that needs no LLM: the retrieved sentences that best answer the question, each cited."""

from __future__ import annotations

import re

from langchain_core.embeddings import Embeddings

from assistant.ranking import best_sentences
from core.answer import Passage


def extract_answer(
    question: str, passages: list[Passage], embeddings: Embeddings, max_sentences: int = 3
) -> str:
    """``"Sentence. [n] Sentence. [m]"``: the passages' sentences that best answer the question, the best first
    (``ranking.best_sentences``), or ``""`` when none does."""
    return best_sentences(question, passages, embeddings, max_sentences)


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def choose_by_support(choices: list[str], passages: list[Passage]) -> int | None:
    """The choice the passages support best, without an LLM: a choice found whole in a higher-ranked
    passage wins; partial matches count by the share of the choice's words present. None when no passage
    mentions any choice, or two choices tie."""
    scores = []
    for choice in choices:
        words = _words(choice)
        if not words:
            scores.append(0.0)
            continue
        phrase = " " + " ".join(words) + " "
        best = 0.0
        for rank, p in enumerate(passages, start=1):
            text = _words(p.text)
            present = set(text)
            whole = phrase in " " + " ".join(text) + " "
            share = 1.0 if whole else 0.5 * sum(w in present for w in words) / len(words)
            best = max(best, share / rank)
        scores.append(best)
    top = max(scores, default=0.0)
    if top == 0.0 or scores.count(top) > 1:
        return None
    return scores.index(top)
