"""The answerer that needs no LLM: the retrieved sentences that best answer the question, each cited."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answer import Passage
from assistant.citations import content_words
from ingest.chunk import split_sentences

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

    A sentence scores by its cosine similarity to the question plus the share of the question's content words
    it contains (names, numbers and places matter in news questions, and dense similarity alone blurs them).
    """
    ranked = rank_sentences(question, passages, embeddings)
    if not ranked or ranked[0].score < MIN_SENTENCE_SCORE:
        return ""
    best = ranked[0].score
    chosen = [s for s in ranked[:max_sentences] if s.score >= max(0.8 * best, MIN_SENTENCE_SCORE)]
    return " ".join(f"{_terminated(s.text)} [{s.n}]" for s in chosen)


def rank_sentences(question: str, passages: list[Passage], embeddings: Embeddings) -> list[Scored]:
    candidates = [
        (n, p.text[s.start : s.end])
        for n, p in enumerate(passages, start=1)
        for s in split_sentences(p.text)
        if len(p.text[s.start : s.end]) >= 20
    ]
    if not candidates:
        return []
    vectors = np.asarray(embeddings.embed_documents([question] + [text for _, text in candidates]))
    similarity = vectors[1:] @ vectors[0]
    asked = set(content_words(question))
    scored = []
    for (n, text), sim in zip(candidates, similarity, strict=True):
        overlap = len(asked & set(content_words(text))) / len(asked) if asked else 0.0
        scored.append(Scored(n, text, float(sim) + 0.3 * overlap))
    unique = {s.text: s for s in sorted(scored, key=lambda s: -s.score)[::-1]}  # best copy of repeated text
    return sorted(unique.values(), key=lambda s: -s.score)


def _terminated(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?\"”'’" else text + "."
