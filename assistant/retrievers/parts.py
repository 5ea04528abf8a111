"""The parts of a question that asks about several sources at once: "Does the TechCrunch article suggest X,
while The Verge reports Y?" is two searches, one in each outlet's articles, and the answer needs both.

A part is the stretch of the question from one outlet's mention to the next, searched under that outlet's
name. Outlets are recognised among the sources the collection holds: the whole name ("Cnbc | World Business
News Leader"), its head before " | " or " - " ("The Independent"), or that head without "The" ("New York
Times"), as capitalised ("The Age" is an outlet, "the age of" is not); the longest mention wins where two
overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.words import content_words

MIN_PART_WORDS = 3  # a part with fewer words of its own borrows the next part's
MIN_NAME_CHARS = 4  # shorter heads ("AP") are ordinary words too often to be read as an outlet


@dataclass(frozen=True)
class Part:
    """One source's share of a question: what to search for, and the source to search in."""

    text: str
    source: str


def question_parts(question: str, sources: Iterable[str]) -> list[Part]:
    """The question's parts, one per outlet mention, in the question's order; ``[]`` when it names none.

    One mention is one part (the whole question searched in that outlet: the text before the first mention is
    the first part's); a question that names two
    outlets, or one outlet twice ("an article from The Age ... another article from The Age"), has two.
    """
    mentions = _mentions(question, sources)
    if not mentions:
        return []
    texts: list[str] = []
    for i, (start, _, _) in enumerate(mentions):
        begin = 0 if i == 0 else start
        end = mentions[i + 1][0] if i + 1 < len(mentions) else len(question)
        texts.append(question[begin:end])
    # "while 'The Age' and 'TechCrunch' articles imply X, respectively": a part that says nothing of its own
    # shares what the next one says.
    for i in range(len(texts) - 2, -1, -1):
        if len(set(content_words(texts[i])) - set(content_words(mentions[i][2]))) < MIN_PART_WORDS:
            texts[i] += texts[i + 1]
    return [Part(t.strip(" ,;'\"‘’“”"), source) for t, (_, _, source) in zip(texts, mentions, strict=True)]


def _mentions(question: str, sources: Iterable[str]) -> list[tuple[int, int, str]]:
    """(start, end, source) of each outlet named in ``question``, in order, overlaps resolved longest first."""
    found: list[tuple[int, int, str]] = []
    for source in set(sources):
        for name in _names(source):
            for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", question):
                found.append((m.start(), m.end(), source))
    chosen: list[tuple[int, int, str]] = []
    for start, end, source in sorted(found, key=lambda f: (-(f[1] - f[0]), f[0])):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, source))
    return sorted(chosen)


def _names(source: str) -> set[str]:
    """How a question may name ``source``: whole, its head before " | " / " - ", and the head without "The"."""
    source = " ".join(source.split())
    head = re.split(r"\s+[|\-–]\s+", source)[0].strip()
    names = {source, head, re.sub(r"^the\s+", "", head, flags=re.IGNORECASE)}
    return {n for n in names if len(n) >= MIN_NAME_CHARS}
