"""How well each sentence of the retrieved passages answers the question: the one ranking that the generators
(the extractive answerer, the excerpts shown to the language model) and the verifiers (a declined answer's
closest passages; what kind of thing a question asks for) share, so that neither imports the other."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from core.answer import Passage
from core.sentences import split_sentences
from core.words import content_words

ANSWER_TYPE_BONUS = 0.2  # a sentence holding the kind of thing asked for (a name, a number, a date)
OVERLAP_WEIGHT = 0.3  # IDF-weighted share of the question's words that the sentence contains
TOPIC_WEIGHT = (
    0.1  # a question word in the passage's title: its story's subject, not what singles out an answer
)
MIN_CHARS = 20  # shorter fragments ("Photo: AP.") are not sentences worth scoring

_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands
    million millions billion billions dozen dozens half percent""".split()
)
CALENDAR = frozenset(
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
    "name": re.compile(r"\b(?:who|whom|whose|which|where|name|named|called)\b", re.I),
}
_BULLET = re.compile(r"^(?:[-*•▪]|\d{1,2}[.)])\s+")  # a list item's marker is not part of its sentence
_TOKEN = re.compile(r"[^\W_]+(?:[.,'’-][^\W_]+)*")


@dataclass(frozen=True)
class ScoredSentence:
    n: int  # passage number, 1-based
    start: int  # offsets in the passage's text
    end: int
    text: str  # the sentence, without a list item's bullet
    score: float
    # share of the question's distinctive constraints (``question_constraints``) in the sentence or its
    # passage's title, source and date: which of several similar stories it is
    constraints: float = 0.0


def score_sentences(question: str, passages: list[Passage], embeddings: Embeddings) -> list[ScoredSentence]:
    """Every sentence of ``passages`` (in passage order) scored for how well it answers ``question``.

    The score is the sentence's cosine similarity to the question, plus the IDF-weighted share of the
    question's content words it contains (names, numbers and places matter in news questions, and dense
    similarity alone blurs them), plus a bonus when it holds the kind of thing asked for (a name, number, date).
    """
    titles = [set(content_words(p.title)) for p in passages]
    spans = [
        (n, s.start, s.end, _BULLET.sub("", p.text[s.start : s.end]))
        for n, p in enumerate(passages, start=1)
        for s in split_sentences(p.text)
        if s.end - s.start >= MIN_CHARS
    ]
    if not spans:
        return []
    vectors = np.asarray(embeddings.embed_documents([question] + [text for *_, text in spans]))
    similarity = vectors[1:] @ vectors[0]
    asked = set(content_words(question))
    words = [set(content_words(text)) for *_, text in spans]
    # A question word that few sentences share (the verb "demand", a name) tells more than one that all of
    # them share (the article's subject): weight overlap by inverse document frequency.
    # The words of a passage's title name its story, which every sentence of it is about; the question's
    # other words (the verb "demand", "anchor") say which sentence of the story answers it.
    idf = {w: math.log((len(words) + 1) / (sum(w in ws for ws in words) + 0.5)) for w in asked}
    wanted = answer_type(question)
    constraints = question_constraints(question)
    headers = [set(content_words(f"{p.title} {p.source} {date_words(p.published)}")) for p in passages]
    scored = []
    for (n, start, end, text), sim, ws in zip(spans, similarity, words, strict=True):
        weight = {w: idf[w] * (TOPIC_WEIGHT if w in titles[n - 1] else 1.0) for w in asked}
        total = sum(weight.values())
        overlap = sum(weight[w] for w in asked & ws) / total if total > 0 else 0.0
        bonus = ANSWER_TYPE_BONUS if wanted and offers(text, wanted, question) else 0.0
        held = len(constraints & _canonical(ws | headers[n - 1])) / len(constraints) if constraints else 0.0
        score = float(sim) + OVERLAP_WEIGHT * overlap + bonus
        scored.append(ScoredSentence(n, start, end, text, score, held))
    return scored


_CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*\w|\b[A-Z]\b")
_CLAUSE_OPENS = re.compile(r"(?:^|[.?!:;,(\"“'‘]\s*)$")


def question_constraints(question: str) -> set[str]:
    """The question's distinctive constraints, in ``content_words`` form: the names it gives (capitalised
    words that do not open it or a clause), its numbers, and its dates (months, years): what singles out the
    story it asks about among similar ones."""
    terms: list[str] = []
    for m in _CAPITALISED.finditer(question):
        if not _CLAUSE_OPENS.search(question[: m.start()]) and m.group().lower() not in _WH_WORDS:
            terms.append(m.group())
    terms += [t for t in _TOKEN.findall(question) if any(c.isdigit() for c in t) or t.lower() in CALENDAR]
    return _canonical(set(content_words(" ".join(terms))))


_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
MONTH_NAMES = "January February March April May June July August September October November December".split()
_MONTH_ABBREVIATIONS = {m[:3].lower(): m.lower() for m in MONTH_NAMES} | {"sept": "september"}


def _canonical(words: set[str]) -> set[str]:
    """Words as a date may be written either way: "16th" as "16", "Nov" as "november"."""
    out = set()
    for w in words:
        w = w.rstrip(".")
        m = _ORDINAL.match(w)
        out.add(m.group(1) if m else _MONTH_ABBREVIATIONS.get(w, w))
    return out


_WH_WORDS = frozenset("who whom whose what which when where why how".split())


def date_words(published: str) -> str:
    """'2023-11-24' -> '2023-11-24 2023 November 24': the forms a sentence or question gives a date in."""
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)", published or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return published or ""
    year, month, day = match.groups()
    return f"{published} {year} {MONTH_NAMES[int(month) - 1]} {int(day)}"


_WH = re.compile(r"(?:who|whom|whose|what|which|when|where|why|how)\b", re.I)
_AUXILIARY = re.compile(
    r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|shall|may|might|must)\b", re.I
)


def asks_yes_no(question: str) -> bool:
    """Whether ``question`` asks yes or no: its first clause that opens with a question word opens with a
    verb ("Does the article…", "Between the two reports, is there…"), not with who/what/which…"""
    for clause in re.split(r",\s*", question.strip()):
        if _WH.match(clause):
            return False
        if _AUXILIARY.match(clause):
            return True
    return False


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
        return any(t.lower() in CALENDAR or re.fullmatch(r"(?:1[89]|20)\d\d", t) for t in new)
    # a name: a capitalised word that is not the sentence's first word nor a month or weekday
    return any(t[0].isupper() and t.lower() not in CALENDAR for t in new if t is not tokens[0])


MIN_SENTENCE_SCORE = 0.35  # below this no sentence answers the question


@dataclass(frozen=True)
class Scored:
    n: int  # passage number, 1-based
    text: str
    score: float


def best_sentences(
    question: str, passages: list[Passage], embeddings: Embeddings, max_sentences: int = 3
) -> str:
    """``"Sentence. [n] Sentence. [m]"`` from the passages, or ``""`` when no sentence answers the question.

    Sentences are ranked by ``score_sentences``; the best one leads.
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
