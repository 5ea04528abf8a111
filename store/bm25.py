"""BM25 over the chunks' contextual text (title, source, date, passage).

Dense MiniLM vectors blur names, numbers and dates ("Hamlin", "XVI", "2023"); BM25 matches them exactly.
"""

from __future__ import annotations

import math
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


class Bm25Builder:
    """BM25 built a page of texts at a time: the same index as ``Bm25.build`` over all of them (same vocabulary,
    same float32 scores, same postings order; tested), in a fraction of its memory.

    ``Bm25.build`` holds every text and every token list at once (9 GB at a million chunks); this keeps, per
    text, only its distinct token ids and their counts (about 80 a chunk, 6 bytes each), and scores them the
    way bm25s does (Lucene's BM25: its idf in ``math.log``, its term-frequency part in float64, stored
    float32). The postings are then filled a page at a time, each page's arrays freed as it is placed.
    """

    def __init__(self) -> None:
        self.tokenizer = _tokenizer()
        self._pages: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (terms, counts, per text)
        self._lengths: list[np.ndarray] = []  # per page: how many tokens each text has

    def add(self, texts: list[str]) -> None:
        """Tokenize the next page of texts (the vocabulary grows as ``Bm25.build``'s would)."""
        token_ids = self.tokenizer.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False)
        terms, counts = [], []
        for ids in token_ids:
            distinct, count = np.unique(np.asarray(ids, dtype=np.int32), return_counts=True)
            terms.append(distinct)
            counts.append(count)
        if any(int(c.max(initial=0)) > np.iinfo(np.uint16).max for c in counts):
            raise ValueError("A text repeats one word more than 65,535 times; split it before indexing.")
        self._pages.append(
            (
                np.concatenate(terms) if terms else np.zeros(0, dtype=np.int32),
                np.concatenate(counts).astype(np.uint16) if counts else np.zeros(0, dtype=np.uint16),
                np.array([len(t) for t in terms], dtype=np.int64),
            )
        )
        self._lengths.append(np.array([len(ids) for ids in token_ids], dtype=np.int64))

    def finish(self) -> Bm25:
        """The index of every text added, in the order added."""
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, dtype=np.int64)
        self._lengths.clear()
        size = len(lengths)
        if not size:
            return Bm25(bm25s.BM25(), self.tokenizer, 0)
        vocab = self.tokenizer.get_vocab_dict()
        bm25 = bm25s.BM25()
        assert bm25.method == bm25.idf_method == "lucene"  # the idf and term-frequency parts written here
        frequencies = np.zeros(len(vocab), dtype=np.int64)  # texts per token
        for terms, _, _ in self._pages:
            frequencies += np.bincount(terms, minlength=len(vocab))
        idf = np.zeros(len(vocab), dtype=bm25.dtype)
        for token, df in enumerate(frequencies.tolist()):  # math.log, as bm25s: np.log may differ by an ulp
            if df:
                idf[token] = math.log(1 + (size - df + 0.5) / (df + 0.5))
        average = lengths.mean()
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(frequencies, out=indptr[1:])
        data = np.empty(int(indptr[-1]), dtype=bm25.dtype)
        indices = np.empty(int(indptr[-1]), dtype=np.int32)
        heads = indptr[:-1].copy()  # where each token's next posting goes
        first = 0  # the first text of the page
        while self._pages:
            terms, counts, distinct = self._pages.pop(0)
            docs = np.repeat(np.arange(first, first + len(distinct), dtype=np.int32), distinct)
            first += len(distinct)
            tf = counts.astype(np.float64)  # float64 as bm25s scores a text, stored float32
            doc_length = lengths[docs].astype(np.float64)
            scores = idf[terms].astype(np.float64) * (
                tf / (bm25.k1 * ((1 - bm25.b) + bm25.b * doc_length / average) + tf)
            )
            order = np.argsort(terms, kind="stable")  # this page's postings by token, then by text
            sorted_terms = terms[order]
            starts = np.flatnonzero(np.r_[True, sorted_terms[1:] != sorted_terms[:-1]])
            runs = np.diff(np.r_[starts, len(sorted_terms)])
            rank = np.arange(len(sorted_terms)) - np.repeat(starts, runs)
            at = heads[sorted_terms] + rank
            data[at] = scores[order]
            indices[at] = docs[order]
            heads[sorted_terms[starts]] += runs
        bm25.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": size}
        bm25.vocab_dict = vocab
        bm25.unique_token_ids_set = set(vocab.values())
        bm25.nonoccurrence_array = None
        return Bm25(bm25, self.tokenizer, size)
