"""The answerer that needs no LLM: the retrieved sentences that best answer the question, each cited."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answer import Passage
from assistant.citations import content_words
from ingest.chunk import split_sentences

MIN_SENTENCE_SCORE = 0.35  # below this no sentence answers the question
ANSWER_TYPE_BONUS = 0.2  # a sentence holding the kind of thing asked for (a name, a number, a date)

_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands
    million millions billion billions dozen dozens half percent""".split()
)
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
_ASKS = {
    "number": re.compile(
        r"\bhow (?:many|much|long|far|old|big|large|high|tall)\b|\bwhat (?:\w+ )?(?:percentage|percent|rate|"
        r"number|amount|share|sum|price|figure|total|size|sentence|fine|death toll|toll|value|cost)\b",
        re.I,
    ),
    "date": re.compile(r"\bwhen\b|\bwhat (?:day|date|year|month|time)\b|\bon which (?:day|date)\b", re.I),
    "name": re.compile(r"\b(?:who|whom|whose|which|name|named|called)\b", re.I),
}
_BULLET = re.compile(r"^(?:[-*•▪]|\d{1,2}[.)])\s+")  # a list item's marker is not part of its sentence
_TOKEN = re.compile(r"[^\W_]+(?:[.,'’-][^\W_]+)*")


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
    candidates = [
        (n, _BULLET.sub("", p.text[s.start : s.end]))
        for n, p in enumerate(passages, start=1)
        for s in split_sentences(p.text)
        if len(p.text[s.start : s.end]) >= 20
    ]
    if not candidates:
        return []
    vectors = np.asarray(embeddings.embed_documents([question] + [text for _, text in candidates]))
    similarity = vectors[1:] @ vectors[0]
    asked = set(content_words(question))
    words = [set(content_words(text)) for _, text in candidates]
    # A question word that few candidate sentences share (the verb "demand", a name) tells more than one
    # that all of them share (the article's subject): weight overlap by inverse document frequency.
    idf = {w: math.log((len(words) + 1) / (sum(w in ws for ws in words) + 0.5)) for w in asked}
    total = sum(idf.values())
    wanted = answer_type(question)
    scored = []
    for (n, text), sim, ws in zip(candidates, similarity, words, strict=True):
        overlap = sum(idf[w] for w in asked & ws) / total if total > 0 else 0.0
        bonus = ANSWER_TYPE_BONUS if wanted and offers(text, wanted, question) else 0.0
        scored.append(Scored(n, text, float(sim) + 0.3 * overlap + bonus))
    best: dict[str, Scored] = {}  # one entry per text: republished passages repeat sentences
    for s in scored:
        if s.text not in best or s.score > best[s.text].score:
            best[s.text] = s
    return sorted(best.values(), key=lambda s: -s.score)


def answer_type(question: str) -> str:
    """``"number"``, ``"date"``, ``"name"``, or ``""`` when the question asks for something else."""
    return next((kind for kind, pattern in _ASKS.items() if pattern.search(question)), "")


def offers(sentence: str, kind: str, question: str) -> bool:
    """Whether ``sentence`` holds a ``kind`` of thing (number, date, name) that the question does not."""
    known = {w.lower() for w in _TOKEN.findall(question)}
    tokens = _TOKEN.findall(sentence)
    new = [t for t in tokens if t.lower() not in known]
    if kind == "number":
        return any(any(c.isdigit() for c in t) or t.lower() in _NUMBER_WORDS for t in new)
    if kind == "date":
        return any(t.lower() in _CALENDAR or re.fullmatch(r"(?:1[89]|20)\d\d", t) for t in new)
    # a name: a capitalised word that is not the sentence's first word nor a month or weekday
    return any(t[0].isupper() and t.lower() not in _CALENDAR for t in new if t is not tokens[0])


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
