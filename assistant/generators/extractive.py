"""The answerer that needs no LLM: the retrieved sentences that best answer the question, each cited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from assistant.verifiers.relevance import score_sentences
from core.answer import Passage

MIN_SENTENCE_SCORE = 0.35  # below this no sentence answers the question


@dataclass(frozen=True)
class Scored:
    n: int  # passage number, 1-based
    text: str
    score: float


def extract_answer(
    question: str, passages: list[Passage], embeddings: Embeddings, max_sentences: int = 3
) -> str:
    """``"Sentence. [n] Sentence. [m]"`` from the passages, or ``""`` when no sentence answers the question.

    Sentences are ranked by ``relevance.score_sentences``; the best one leads.
    """
    ranked = rank_sentences(question, passages, embeddings)
    if not ranked or ranked[0].score < MIN_SENTENCE_SCORE:
        return ""
    best = ranked[0]
    # More sentences from the best passage add detail; one from another passage must be nearly as good,
    # or the answer drifts into a different story.
    chosen = [
        s
        for s in ranked[:max_sentences]
        if s.score >= max((0.7 if s.n == best.n else 0.8) * best.score, MIN_SENTENCE_SCORE)
    ]
    return " ".join(f"{_terminated(s.text)} [{s.n}]" for s in chosen)


def rank_sentences(question: str, passages: list[Passage], embeddings: Embeddings) -> list[Scored]:
    """The passages' sentences, best answer first, each text once (republished passages repeat sentences)."""
    best: dict[str, Scored] = {}
    for s in score_sentences(question, passages, embeddings):
        if s.text not in best or s.score > best[s.text].score:
            best[s.text] = Scored(s.n, s.text, s.score)
    return sorted(best.values(), key=lambda s: -s.score)


def _terminated(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?\"”'’" else text + "."


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
