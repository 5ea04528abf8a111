"""Sentence-aware chunking with exact character offsets into the cleaned article."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.article import Article

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


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str


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


def split_article(article: Article, chunk_size: int = 800, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``chunk_size`` characters.

    The last ``overlap`` sentences of a chunk open the next one. A sentence longer than ``chunk_size``
    is cut at word boundaries. ``chunk.text == article.text[chunk.start:chunk.end]`` always holds.
    """
    units = [
        piece for span in split_sentences(article.text) for piece in _cut_long(article.text, span, chunk_size)
    ]
    chunks: list[Chunk] = []
    for first, last in _pack(units, chunk_size, overlap):
        start, end = units[first].start, units[last].end
        index = len(chunks)
        chunks.append(
            Chunk(f"{article.id}-{index:04d}", article.id, index, start, end, article.text[start:end])
        )
    return chunks


def _pack(units: list[Span], size: int, overlap: int) -> Iterator[tuple[int, int]]:
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and units[last + 1].end - units[first].start <= size:
            last += 1
        yield first, last
        if last + 1 >= len(units):
            return
        first = max(last + 1 - overlap, first + 1)


def _cut_long(text: str, span: Span, size: int) -> Iterator[Span]:
    start = span.start
    while span.end - start > size:
        cut = text.rfind(" ", start, start + size)
        if cut <= start:
            cut = start + size
        yield Span(start, cut)
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    if span.end > start:
        yield Span(start, span.end)
