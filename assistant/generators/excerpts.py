"""The passages as the language model reads them: only the sentences nearest the question, with their
neighbours, under a character budget. On 2 CPU cores the model reads about 70 tokens a second, so the prompt's
length is the wait before the first word; the excerpts keep their offsets in the passage (and so in the
article), and the answer is still verified against the whole passages."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from assistant.verifiers.relevance import ScoredSentence, score_sentences
from core.answer import Passage

GAP = " … "  # between two windows of one passage that are not adjacent
HEADER_CHARS = 40  # a shown passage's number, source and date in the prompt, beside its title
MIN_SHARE = 0.45  # a sentence scoring below this share of the best one is not worth the wait
# Each rank down the retriever's list costs a sentence this much score: the retriever's order carries what the
# sentence scorer does not see. On 150 RealTime QA questions, 1,200 characters, the answer text stayed in what
# the model reads for 0.433 of them with it, 0.407 without (0.473 in the whole passages).
RANK_PENALTY = 0.1


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
    def whole(self) -> bool:
        return self.windows == ((0, len(self.passage.text)),)


def whole_passages(passages: list[Passage]) -> list[Excerpt]:
    return [Excerpt(n, p, ((0, len(p.text)),)) for n, p in enumerate(passages, start=1)]


def select_excerpts(
    question: str, passages: list[Passage], embeddings: Embeddings, *, budget_chars: int
) -> list[Excerpt]:
    """The sentences of ``passages`` that best answer ``question``, each followed by the next one (an answer
    often comes in the sentence after the one that restates the question), best first until ``budget_chars``
    is spent; a passage none of whose sentences is chosen is left out. ``budget_chars <= 0``, or passages
    that fit the budget whole, give the whole passages."""
    total = sum(len(p.text) + len(p.title) + HEADER_CHARS for p in passages)
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

    def take(s: ScoredSentence) -> bool:
        nonlocal spent
        index = by_passage[s.n].index(s)
        if index in chosen.get(s.n, ()):
            return True
        header = 0 if s.n in chosen else len(passages[s.n - 1].title) + HEADER_CHARS
        cost = header + len(s.text) + len(GAP)
        if spent + cost > budget_chars:
            return False
        chosen.setdefault(s.n, set()).add(index)
        spent += cost
        return True

    for s in sorted(scored, key=lambda s: -(s.score - RANK_PENALTY * (s.n - 1))):
        if s.score < MIN_SHARE * best:
            continue
        if take(s):
            siblings = by_passage[s.n]
            index = siblings.index(s)
            if index + 1 < len(siblings):
                take(siblings[index + 1])
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
