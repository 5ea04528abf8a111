"""BM25 over the chunks' contextual text (title, source, date, passage).

Dense MiniLM vectors blur names, numbers and dates ("Hamlin", "XVI", "2023"); BM25 matches them exactly.
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import Stemmer


def _tokenizer() -> bm25s.tokenization.Tokenizer:
    return bm25s.tokenization.Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en", lower=True)


class Bm25:
    """BM25 scores for every chunk, in the chunk order of the ``ChunkMirror`` that holds it."""

    def __init__(self, bm25: bm25s.BM25, tokenizer: bm25s.tokenization.Tokenizer, size: int) -> None:
        self.bm25 = bm25
        self.tokenizer = tokenizer
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> Bm25:
        tokenizer = _tokenizer()
        bm25 = bm25s.BM25()
        if texts:
            bm25.index(tokenizer.tokenize(texts, return_as="tuple", show_progress=False), show_progress=False)
        return cls(bm25, tokenizer, len(texts))

    def save(self, folder: Path) -> None:
        if self.size:
            self.bm25.save(str(folder))
            self.tokenizer.save_vocab(str(folder))

    @classmethod
    def load(cls, folder: Path, size: int) -> Bm25:
        tokenizer = _tokenizer()
        if not size:
            return cls(bm25s.BM25(), tokenizer, 0)
        bm25 = bm25s.BM25.load(str(folder), mmap=True)  # a query reads the postings of its words only
        tokenizer.load_vocab(str(folder))
        return cls(bm25, tokenizer, size)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best (chunk position, BM25 score) pairs with a positive score, among ``mask`` if given."""
        if not self.size:
            return []
        tokens = self.tokenizer.tokenize([query], update_vocab=False, return_as="ids", show_progress=False)
        if not any(tokens[0]):  # no query word is in the index's vocabulary (0 is the empty token)
            return []
        k = min(k, self.size)
        weights = None if mask is None else mask.astype(np.float32)
        # n_threads=0: in this thread (1 would start a worker pool per query: 3 ms more at 300k chunks)
        found, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, n_threads=0, weight_mask=weights)
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]
