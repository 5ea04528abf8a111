"""Sentence-aware chunking with exact character offsets into the cleaned article."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from core.article import Article
from core.sentences import Span, split_sentences


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str


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
