"""BM25 over a collection's chunks, persisted beside the Chroma store and rebuilt whenever ingest changes it.

It also keeps a copy of the chunk vectors: a filtered dense search (an as-of date, a source) is exact and
takes milliseconds as one matrix product over the allowed rows, where Chroma's filtered HNSW query takes
160 ms on 40,000 chunks.

Dense MiniLM vectors blur names, numbers and dates ("Hamlin", "XVI", "2023"); BM25 matches them exactly.
The index keeps each chunk's article, date, source and author so searches can be filtered without Chroma.
It is rebuilt from the collection itself (seconds for 40,000 chunks), so it can never disagree with it for
long: it records a fingerprint of the articles it was built from, and a stale one is rebuilt on open.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
import torch
from chromadb.api.models.Collection import Collection

from assistant.embeddings import native_bf16
from assistant.store import ArticleStore, contextual_text

log = logging.getLogger(__name__)
FORMAT = 2  # bump when what is indexed or how it is tokenized changes
_PAGE = 5000


def _tokenizer() -> bm25s.tokenization.Tokenizer:
    return bm25s.tokenization.Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en", lower=True)


def fingerprint(articles: ArticleStore) -> str:
    """What the collection holds, as a short digest of its articles' content hashes."""
    digest = hashlib.sha256(f"lexical-{FORMAT}".encode())
    for article_id, content_hash in sorted(articles.content_hashes().items()):
        digest.update(f"{article_id}:{content_hash}\n".encode())
    return digest.hexdigest()[:16]


@dataclass
class LexicalIndex:
    """BM25 scores for every chunk, plus the per-chunk fields filters need, in chunk order."""

    ids: list[str]
    article_ids: np.ndarray  # object (str)
    days: np.ndarray  # int32 YYYYMMDD, 0 when undated
    sources: np.ndarray  # object (str)
    authors: np.ndarray  # object (str)
    vectors: np.ndarray  # float32, one normalized embedding per chunk
    fingerprint: str
    bm25: bm25s.BM25
    tokenizer: bm25s.tokenization.Tokenizer

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best (chunk position, BM25 score) pairs with a positive score, among ``mask`` if given."""
        if not self.ids:
            return []
        tokens = self.tokenizer.tokenize([query], update_vocab=False, return_as="ids", show_progress=False)
        if not any(tokens[0]):  # no query word is in the index's vocabulary (0 is the empty token)
            return []
        k = min(k, len(self.ids))
        weights = None if mask is None else mask.astype(np.float32)
        found, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, n_threads=1, weight_mask=weights)
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    @cached_property
    def _matrix(self) -> torch.Tensor:
        """The vectors to scan: in bfloat16 where the CPU has it (half the memory read per query, 1.6x
        faster at 300k chunks; only the order of the candidates depends on it, their cosines are exact)."""
        matrix = torch.from_numpy(self.vectors)
        return matrix.to(torch.bfloat16) if native_bf16() else matrix

    def nearest(self, vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
        """Positions of the ``k`` chunks most similar to ``vector`` (exact cosine), among ``mask`` if given."""
        allowed = len(self.ids) if mask is None else int(mask.sum())
        k = min(k, allowed)
        if k == 0:
            return []
        # All rows (cheaper than copying out the allowed ones), in torch: numpy's BLAS threads would fight
        # the embedder's torch threads for the cores (a 3x slower query on 2 cores, measured).
        matrix = self._matrix
        query = torch.from_numpy(np.ascontiguousarray(vector, dtype=np.float32)).to(matrix.dtype)
        sims = (matrix @ query).float().numpy()
        if mask is not None:
            sims = np.where(mask, sims, -np.inf)
        top = np.argpartition(-sims, k - 1)[:k]
        return [int(i) for i in top[np.argsort(-sims[top], kind="stable")]]


def build(collection: Collection, articles: ArticleStore, folder: Path) -> LexicalIndex:
    """Index every chunk of ``collection`` and save the index to ``folder`` (replaced atomically)."""
    began = time.perf_counter()
    print_ = fingerprint(articles)
    ids: list[str] = []
    texts: list[str] = []
    fields: dict[str, list[object]] = {"article_id": [], "day": [], "source": [], "author": []}
    vectors: list[np.ndarray] = []
    for offset in range(0, collection.count(), _PAGE):
        page = collection.get(include=["documents", "metadatas", "embeddings"], limit=_PAGE, offset=offset)
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
        for chunk_id, text, meta in zip(
            page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
        ):
            ids.append(chunk_id)
            texts.append(
                contextual_text(
                    str(meta.get("title", "")),
                    str(meta.get("source", "")),
                    str(meta.get("published", "")),
                    text,
                )
            )
            fields["article_id"].append(str(meta.get("article_id", "")))
            fields["day"].append(int(meta.get("published_day", 0) or 0))  # type: ignore[arg-type]
            fields["source"].append(str(meta.get("source", "")))
            fields["author"].append(str(meta.get("author", "")))
    tokenizer = _tokenizer()
    bm25 = bm25s.BM25()
    if texts:
        bm25.index(tokenizer.tokenize(texts, return_as="tuple", show_progress=False), show_progress=False)
    index = LexicalIndex(
        ids=ids,
        article_ids=np.array(fields["article_id"], dtype=object),
        days=np.array(fields["day"], dtype=np.int32),
        sources=np.array(fields["source"], dtype=object),
        authors=np.array(fields["author"], dtype=object),
        vectors=np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32),
        fingerprint=print_,
        bm25=bm25,
        tokenizer=tokenizer,
    )
    _save(index, folder)
    log.info("BM25 index of %d chunks built in %.1f s", len(ids), time.perf_counter() - began)
    return index


def _save(index: LexicalIndex, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        if index.ids:
            index.bm25.save(str(staging))
            index.tokenizer.save_vocab(str(staging))
        chunks = {
            "format": FORMAT,
            "fingerprint": index.fingerprint,
            "ids": index.ids,
            "article_ids": index.article_ids.tolist(),
            "days": index.days.tolist(),
            "sources": index.sources.tolist(),
            "authors": index.authors.tolist(),
        }
        (staging / "chunks.json").write_text(json.dumps(chunks), encoding="utf-8")
        np.save(staging / "vectors.npy", index.vectors)
        old = folder.with_name(f".{folder.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)  # a reader sees the old index or the new one, never half of one
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load(folder: Path) -> LexicalIndex | None:
    """The saved index, or None when there is none or it is unreadable or of another format."""
    if not (folder / "chunks.json").exists():
        return None
    try:
        chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        if not isinstance(chunks, dict) or chunks.get("format") != FORMAT:
            return None
        tokenizer = _tokenizer()
        if chunks["ids"]:
            bm25 = bm25s.BM25.load(str(folder))
            tokenizer.load_vocab(str(folder))
        else:
            bm25 = bm25s.BM25()
        vectors = np.load(folder / "vectors.npy")
        if len(vectors) != len(chunks["ids"]):
            return None
    except Exception as exc:  # any damage (truncated arrays, bad JSON): the index is rebuilt from Chroma
        log.warning("Ignoring the BM25 index in %s (%s); it will be rebuilt.", folder, exc)
        return None
    return LexicalIndex(
        ids=chunks["ids"],
        article_ids=np.array(chunks["article_ids"], dtype=object),
        days=np.array(chunks["days"], dtype=np.int32),
        sources=np.array(chunks["sources"], dtype=object),
        authors=np.array(chunks["authors"], dtype=object),
        vectors=vectors,
        fingerprint=chunks["fingerprint"],
        bm25=bm25,
        tokenizer=tokenizer,
    )


def open_lexical(collection: Collection, articles: ArticleStore, folder: Path) -> LexicalIndex:
    """The collection's BM25 index, rebuilt first when missing or stale."""
    index = load(folder)
    if index is not None and index.fingerprint == fingerprint(articles):
        return index
    return build(collection, articles, folder)


def matching(values: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The distinct ``values`` that contain any of ``wanted``, case-insensitively ("reuters" finds "Reuters")."""
    needles = [w.strip().lower() for w in wanted if w.strip()]
    return sorted({v for v in values if v and any(n in v.lower() for n in needles)})
