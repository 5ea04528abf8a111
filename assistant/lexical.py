"""BM25 over a collection's chunks, persisted beside the Chroma store and rebuilt whenever ingest changes it.

It also keeps a copy of the chunk vectors: a filtered dense search (an as-of date, a source) is exact and
takes milliseconds as one matrix product over the allowed rows, where Chroma's filtered HNSW query takes
160 ms on 40,000 chunks.

Dense MiniLM vectors blur names, numbers and dates ("Hamlin", "XVI", "2023"); BM25 matches them exactly.
The index keeps each chunk's article, date, source and author so searches can be filtered without Chroma,
and a digest of its text, so copies of one wire story are told apart without reading their text.
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
FORMAT = 3  # bump when what is indexed or how it is tokenized changes
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
    text_keys: np.ndarray  # int64 digest of each chunk's text (``text_key``): copies share one
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
        # n_threads=0: in this thread (1 would start a worker pool per query: 3 ms more at 300k chunks)
        found, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, n_threads=0, weight_mask=weights)
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    @cached_property
    def _scan(self) -> _Scan:
        return _Scan(self.vectors)

    def nearest(self, vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
        """Positions of the ``k`` chunks most similar to ``vector`` (by exact cosine), among ``mask`` if given.

        The scan may be quantized (see ``_Scan``): it picks twice ``k`` candidates, which are then ordered
        by their exact cosines, so only a near-tie at the edge of the list can differ from an exact search.
        """
        allowed = len(self.ids) if mask is None else int(mask.sum())
        k = min(k, allowed)
        if k == 0:
            return []
        sims = self._scan.similarities(vector)
        if mask is not None:
            sims = np.where(mask, sims, -np.inf)
        wide = min(2 * k, allowed)
        top = np.argpartition(-sims, wide - 1)[:wide]
        exact = self.vectors[top] @ np.asarray(vector, dtype=np.float32)
        return [int(i) for i in top[np.argsort(-exact, kind="stable")[:k]]]


class _Scan:
    """Similarity of a query to every chunk vector: the exact search behind filtered dense queries.

    A scan reads the whole matrix, so at 300k chunks it is bound by memory bandwidth: float32 (470 MB)
    takes 19 ms a query on this project's machine, bfloat16 11 ms, and int8 with one scale per row
    (117 MB, through torch's int8 weight kernel with a bfloat16 query) 7 ms. The int8 scores differ from
    the exact cosines by about 0.002, which moves only near-ties at the edge of the candidate list.
    int8 is used where the CPU computes bfloat16 natively and the kernel is there; elsewhere float32.
    The work runs in torch: numpy's BLAS threads would fight the embedder's torch threads for the cores
    (a 3x slower query on 2 cores, measured).
    """

    def __init__(self, vectors: np.ndarray) -> None:
        self.rows = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
        self.int8: tuple[torch.Tensor, torch.Tensor] | None = None
        if native_bf16() and len(vectors):
            scale = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
            codes = np.empty(vectors.shape, dtype=np.int8)
            for at in range(0, len(vectors), _PAGE):  # in pages: no float32 copy of the whole matrix
                codes[at : at + _PAGE] = np.rint(vectors[at : at + _PAGE] / scale[at : at + _PAGE, None])
            self.int8 = (
                torch.from_numpy(codes),
                torch.from_numpy(scale.astype(np.float32)).to(torch.bfloat16),
            )
            try:
                self._int8(np.zeros(vectors.shape[1], dtype=np.float32))
            except (RuntimeError, AttributeError):  # a torch build without the kernel
                log.info("No int8 scan kernel in this torch; scanning float32 vectors")
                self.int8 = None

    def _int8(self, vector: np.ndarray) -> np.ndarray:
        assert self.int8 is not None
        codes, scales = self.int8
        query = torch.from_numpy(np.ascontiguousarray(vector, dtype=np.float32))[None, :].to(torch.bfloat16)
        return torch.ops.aten._weight_int8pack_mm(query, codes, scales)[0].float().numpy()

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        if self.int8 is not None:
            return self._int8(vector)
        return torch.mv(self.rows, torch.from_numpy(np.ascontiguousarray(vector, dtype=np.float32))).numpy()


def build(collection: Collection, articles: ArticleStore, folder: Path) -> LexicalIndex:
    """Index every chunk of ``collection`` and save the index to ``folder`` (replaced atomically)."""
    began = time.perf_counter()
    print_ = fingerprint(articles)
    ids: list[str] = []
    texts: list[str] = []
    fields: dict[str, list[object]] = {"article_id": [], "day": [], "source": [], "author": [], "key": []}
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
            fields["key"].append(text_key(text))
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
        text_keys=np.array(fields["key"], dtype=np.int64),
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
        np.save(staging / "text_keys.npy", index.text_keys)
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
        text_keys = np.load(folder / "text_keys.npy")
        if not len(vectors) == len(text_keys) == len(chunks["ids"]):
            return None
    except Exception as exc:  # any damage (truncated arrays, bad JSON): the index is rebuilt from Chroma
        log.warning("Ignoring the BM25 index in %s (%s); it will be rebuilt.", folder, exc)
        return None
    return LexicalIndex(
        ids=chunks["ids"],
        article_ids=np.array(chunks["article_ids"], dtype=object),
        days=np.array(chunks["days"], dtype=np.int32),
        text_keys=text_keys,
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


def text_key(text: str) -> int:
    """A 64-bit digest of ``text`` with its whitespace normalised: wire stories are republished verbatim,
    and two chunks with one key are one passage."""
    digest = hashlib.blake2b(" ".join(text.split()).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def matching(values: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The distinct ``values`` that contain any of ``wanted``, case-insensitively ("reuters" finds "Reuters")."""
    needles = [w.strip().lower() for w in wanted if w.strip()]
    return sorted({v for v in values if v and any(n in v.lower() for n in needles)})
