"""The passages as the language model reads them: only the sentences nearest the question, with their
neighbours, under a character budget. On 2 CPU cores the model reads about 70 tokens a second, so the prompt's
length is the wait before the first word; the excerpts keep their offsets in the passage (and so in the
article), and the answer is still verified against the whole passages."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date

from langchain_core.embeddings import Embeddings

from assistant.ranking import MONTH_NAMES, ScoredSentence, score_sentences
from core.answer import Passage
from core.words import content_words

GAP = " … "  # between two windows of one passage that are not adjacent
TITLE_CHARS = 60  # a passage's title in the prompt is cut to this (at a word)
MIN_SHARE = 0.45  # a sentence scoring below this share of the best one is not worth the wait
# Each halving of the retriever's rank costs a sentence this much score: the retriever's order carries what the
# sentence scorer does not see, and a sentence from the 20th candidate must say much more than one from the
# first to be read instead (measured by bench.reading).
RANK_PENALTY = 0.1
# A sentence (with its passage's title, source and date) holding the question's distinctive constraints: its
# names, numbers and dates ("Engadget", "November 16th"), which say which of many similar stories it asks about.
CONSTRAINT_WEIGHT = 0.2
COVERAGE_WEIGHT = 1.0  # the rarity-weighted share of the question's words a sentence adds to what is read
SAME_PASSAGE_PENALTY = 0.2  # per sentence already read from a passage: read more passages, not one at length
# The best sentences bring the one after them (an answer often follows the sentence that restates the
# question); the rest come alone, since reading more sentences of more passages found more (bench.reading).
NEXT_SENTENCE = 2
# The latest news first: a sentence from a passage published with the newest of the candidates gains this much,
# one a half-life older half as much.
RECENCY_WEIGHT = 0.2
RECENCY_HALF_LIFE = 7.0  # days


@dataclass(frozen=True)
class Excerpt:
    """Passage ``n`` (1-based, as the answer cites it) cut to ``windows``: offsets into its text, in order."""

    n: int
    passage: Passage
    windows: tuple[tuple[int, int], ...]

    @property
    def text(self) -> str:
        text = self.passage.text
        body = GAP.join(text[s:e] for s, e in self.windows)
        first, last = self.windows[0][0], self.windows[-1][1]
        head = "… " if text[:first].strip() else ""
        tail = " …" if text[last:].strip() else ""
        return head + body + tail

    @property
    def header(self) -> str:
        """``[n] title | source | date``: the line the prompt opens the excerpt with (the title cut short,
        the date as an answer says it)."""
        p = self.passage
        return f"[{self.n}] " + " | ".join(
            x for x in (short_title(p.title), p.source, long_date(p.published)) if x
        )

    @property
    def whole(self) -> bool:
        return self.windows == ((0, len(self.passage.text)),)


def short_title(title: str) -> str:
    """``title`` cut at a word to at most ``TITLE_CHARS``: a headline names the story; its tail costs the wait."""
    title = " ".join(title.split())
    if len(title) <= TITLE_CHARS:
        return title
    return title[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–|") + "…"


def long_date(published: str) -> str:
    """'2023-02-01' -> '1 February 2023', the form an answer says a date in; other text as it is."""
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return published
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _day(published: str) -> date | None:
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def _header_chars(n: int, passage: Passage) -> int:
    return len(Excerpt(n, passage, ((0, 0),)).header) + 1


def _take_with_next(
    s: ScoredSentence,
    take: Callable[[ScoredSentence], bool],
    by_passage: dict[int, list[ScoredSentence]],
    with_next: bool,
) -> None:
    if take(s) and with_next:
        siblings = by_passage[s.n]
        index = siblings.index(s)
        if index + 1 < len(siblings):
            take(siblings[index + 1])


def whole_passages(passages: list[Passage]) -> list[Excerpt]:
    return [Excerpt(n, p, ((0, len(p.text)),)) for n, p in enumerate(passages, start=1)]


@dataclass(frozen=True)
class Reading:
    """What the model reads: the passages it has excerpts of, numbered 1.. in the retriever's order (as the
    answer cites them), and the excerpts themselves."""

    passages: list[Passage]
    excerpts: list[Excerpt]


def read_passages(
    question: str,
    candidates: list[Passage],
    embeddings: Embeddings,
    *,
    budget_chars: int,
    groups: Sequence[Collection[int]] = (),
) -> Reading:
    """The excerpts of ``candidates`` the model reads (``select_excerpts``), and the passages they come from,
    renumbered 1.. so that the prompt and the answer's citations count only what was read."""
    excerpts = select_excerpts(question, candidates, embeddings, budget_chars=budget_chars, groups=groups)
    passages = [e.passage for e in excerpts]
    return Reading(passages, [replace(e, n=n) for n, e in enumerate(excerpts, start=1)])


def rank_penalty(n: int) -> float:
    """What the ``n``th candidate's sentences lose against the first's: ``RANK_PENALTY`` per halving."""
    return RANK_PENALTY * math.log2(n) if n > 1 else 0.0


def select_excerpts(
    question: str,
    passages: list[Passage],
    embeddings: Embeddings,
    *,
    budget_chars: int,
    groups: Sequence[Collection[int]] = (),
) -> list[Excerpt]:
    """The sentences of ``passages`` that best answer ``question``, each followed by the next one (an answer
    often comes in the sentence after the one that restates the question), best first until ``budget_chars``
    is spent; a passage none of whose sentences is chosen is left out. ``budget_chars <= 0``, or passages
    that fit the budget whole, give the whole passages.

    ``groups`` are the passage numbers (1-based) found for each part of a question that asks about several
    sources (``retrievers.parts``): each group's best sentence is read first, so the answer can take every
    part from its own source."""
    total = sum(len(p.text) + _header_chars(n, p) for n, p in enumerate(passages, start=1))
    if budget_chars <= 0 or total <= budget_chars:
        return whole_passages(passages)
    scored = score_sentences(question, passages, embeddings)
    if not scored:
        return whole_passages(passages)
    by_passage: dict[int, list[ScoredSentence]] = {}
    for s in scored:
        by_passage.setdefault(s.n, []).append(s)
    chosen: dict[int, set[int]] = {}  # passage number -> indexes of its chosen sentences
    spent = 0
    best = max(s.score for s in scored)

    said: set[str] = set()  # sentences already read: a republished story repeats them word for word

    def take(s: ScoredSentence) -> bool:
        nonlocal spent
        index = by_passage[s.n].index(s)
        if index in chosen.get(s.n, ()):
            return True
        if " ".join(s.text.lower().split()) in said:
            return False
        header = 0 if s.n in chosen else _header_chars(s.n, passages[s.n - 1])
        cost = header + len(s.text) + len(GAP)
        if spent + cost > budget_chars:
            return False
        chosen.setdefault(s.n, set()).add(index)
        covered.update(says[(s.n, s.start)])
        said.add(" ".join(s.text.lower().split()))
        spent += cost
        return True

    # What each sentence (with its passage's title and source) says of the question, weighted by rarity: a
    # question of several clauses ("involved in X, influencing Y and showcasing Z") is answered by as many
    # sentences, often from as many articles, so a sentence is worth what it adds to what is already read.
    asked = set(content_words(question))
    heads = {n: set(content_words(f"{p.title} {p.source}")) for n, p in enumerate(passages, start=1)}
    says = {(s.n, s.start): (set(content_words(s.text)) | heads[s.n]) & asked for s in scored}
    idf = {w: math.log((len(says) + 1) / (sum(w in ws for ws in says.values()) + 0.5)) for w in asked}
    whole = sum(idf.values()) or 1.0
    covered: set[str] = set()
    days = [_day(p.published) for p in passages]
    newest = max((d for d in days if d is not None), default=None)
    fresh = [
        0.5 ** ((newest - d).days / RECENCY_HALF_LIFE) if d is not None and newest is not None else 0.0
        for d in days
    ]

    def value(s: ScoredSentence) -> float:
        again = len(chosen.get(s.n, ()))  # each sentence already read from its passage makes it worth less
        adds = sum(idf[w] for w in says[(s.n, s.start)] - covered) / whole
        return (
            s.score
            + CONSTRAINT_WEIGHT * s.constraints
            + COVERAGE_WEIGHT * adds
            + RECENCY_WEIGHT * fresh[s.n - 1]
            - rank_penalty(s.n)
            - SAME_PASSAGE_PENALTY * again
        )

    pending = [s for s in scored if s.score >= MIN_SHARE * best]
    firsts = [max((s for s in pending if s.n in group), key=value, default=None) for group in groups]
    for first in firsts:
        if first is not None:
            _take_with_next(first, take, by_passage, with_next=False)
    tried: set[tuple[int, int]] = set()
    while True:
        left = [s for s in pending if (s.n, s.start) not in tried]
        if not left:
            break
        s = max(left, key=value)
        tried.add((s.n, s.start))
        _take_with_next(s, take, by_passage, with_next=len(tried) <= NEXT_SENTENCE)
    excerpts = []
    for n in sorted(chosen):
        sentences = by_passage[n]
        windows: list[tuple[int, int]] = []
        for i in sorted(chosen[n]):
            s = sentences[i]
            if windows and i - 1 in chosen[n]:
                windows[-1] = (windows[-1][0], s.end)  # adjacent sentences make one window
            else:
                windows.append((s.start, s.end))
        excerpts.append(Excerpt(n, passages[n - 1], tuple(windows)))
    return excerpts
