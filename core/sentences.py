"""Sentence spans with exact character offsets: how chunking, excerpts, support checks and the extractive
answerer all split text, so a span found by one is a span to the others."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations that end in a period but do not end a sentence (lowercased, without the period).
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt gen maj col lt capt cpt sgt adm gov sen rep rev hon pres
    jan feb mar apr jun jul aug sep sept oct nov dec no nos vs etc inc ltd co corp dept univ
    approx est fig vol al e.g i.e u.s u.k u.n a.m p.m""".split()
)
_BOUNDARY = re.compile(
    r"""[.!?…]+["'”’)\]]*\s+(?=["'“‘(]?[A-Z0-9])"""  # end of sentence before a capital or digit
    r"""|\n\s*\n"""  # paragraph break
    r"""|\n(?=[ \t]*(?:[-*•▪]|\d{1,2}[.)])[ \t])"""  # list item
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans (stripped of surrounding whitespace) covering ``text``; paragraph breaks always split."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() + len(match.group().rstrip())
        if match.group().strip() and _ends_with_abbreviation(text, start, match.start()):
            continue
        _add(spans, text, start, end, offset)
        start = match.end()
    _add(spans, text, start, len(text), offset)
    return spans


def _ends_with_abbreviation(text: str, start: int, dot: int) -> bool:
    word = text[start:dot].rsplit(None, 1)[-1].lower() if text[start:dot].strip() else ""
    word = word.lstrip("(\"'“‘")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _add(spans: list[Span], text: str, start: int, end: int, offset: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append(Span(offset + start + lead, offset + start + lead + len(stripped)))
