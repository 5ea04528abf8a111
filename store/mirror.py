"""The collection's chunks mirrored in memory and on disk beside the Chroma store: each chunk's article, date,
source, author and text digest (so searches filter without Chroma, and copies of one wire story are told
apart without reading their text), its BM25 entry (store/bm25.py) and its vector (store/vectors.py).

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.chunks import stored_contextual_text
from store.articles import ArticleStore
from store.bm25 import Bm25
from store.vectors import SMALL, VectorMirror, quantize

if TYPE_CHECKING:
    from store.chunk_index import StoredChunk

Pages = Callable[[], Iterable[list["StoredChunk"]]]  # every stored chunk with its vector, a page at a time

log = logging.getLogger(__name__)
FORMAT = 4  # bump when what is mirrored or how BM25 tokenizes changes (the folder keeps its old layout)


def fingerprint(articles: ArticleStore, chunk_format: int) -> str:
    """What the collection holds, as a short digest of its articles' content hashes and the format its chunks
    were written in (a re-index into a new format changes the chunks, not the articles)."""
    digest = hashlib.sha256(f"mirror-{FORMAT}-chunks-{chunk_format}".encode())
    for article_id, content_hash in sorted(articles.content_hashes().items()):
        digest.update(f"{article_id}:{content_hash}\n".encode())
    return digest.hexdigest()[:16]


@dataclass
class ChunkMirror:
    """The collection's chunks in memory, in one order: the fields filters need, BM25, and the vectors."""

    ids: list[str]
    article_ids: np.ndarray  # object (str)
    days: np.ndarray  # int32 YYYYMMDD, 0 when undated
    text_keys: np.ndarray  # int64 digest of each chunk's text (``text_key``): copies share one
    sources: np.ndarray  # object (str)
    authors: np.ndarray  # object (str)
    vectors: VectorMirror
    bm25: Bm25
    fingerprint: str

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def source_names(self) -> list[str]:
        """The distinct sources, sorted (once per mirror: a source filter must not read every chunk's)."""
        return sorted({str(s) for s in self.sources.tolist() if s})

    @cached_property
    def author_names(self) -> list[str]:
        """The distinct authors, sorted."""
        return sorted({str(a) for a in self.authors.tolist() if a})


def build(pages: Pages, articles: ArticleStore, folder: Path, chunk_format: int) -> ChunkMirror:
    """Index every chunk ``pages`` yields and save the index to ``folder`` (replaced atomically)."""
    began = time.perf_counter()
    print_ = fingerprint(articles, chunk_format)
    ids: list[str] = []
    texts: list[str] = []
    fields: dict[str, list[object]] = {"article_id": [], "day": [], "source": [], "author": [], "key": []}
    vectors: list[np.ndarray] = []
    for page in pages():
        vectors.append(np.asarray([c.vector for c in page], dtype=np.float32))
        for c in page:
            meta = c.meta
            ids.append(c.id)
            texts.append(stored_contextual_text(meta, c.text))
            fields["key"].append(text_key(c.text))
            fields["article_id"].append(str(meta.get("article_id", "")))
            fields["day"].append(int(meta.get("published_day", 0) or 0))  # type: ignore[arg-type]
            fields["source"].append(str(meta.get("source", "")))
            fields["author"].append(str(meta.get("author", "")))
    index = ChunkMirror(
        ids=ids,
        article_ids=np.array(fields["article_id"], dtype=object),
        days=np.array(fields["day"], dtype=np.int32),
        text_keys=np.array(fields["key"], dtype=np.int64),
        sources=np.array(fields["source"], dtype=object),
        authors=np.array(fields["author"], dtype=object),
        vectors=_vectors(np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)),
        bm25=Bm25.build(texts),
        fingerprint=print_,
    )
    _save(index, folder)
    log.info(
        "Chunk mirror (BM25, vectors) of %d chunks built in %.1f s", len(ids), time.perf_counter() - began
    )
    return index


def _vectors(matrix: np.ndarray) -> VectorMirror:
    """The vectors of a freshly built mirror, with their int8 codes when the collection is scanned in int8."""
    return VectorMirror(matrix, quantize(matrix) if len(matrix) > SMALL else None)


def _save(index: ChunkMirror, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        index.bm25.save(staging)
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
        np.save(staging / "vectors.npy", index.vectors.matrix)
        if index.vectors.int8 is not None:  # the int8 scan's codes: opening it reads no float32 vector
            np.save(staging / "vectors.int8.npy", index.vectors.int8[0])
            np.save(staging / "vectors.scale.npy", index.vectors.int8[1])
        np.save(staging / "text_keys.npy", index.text_keys)
        old = folder.with_name(f".{folder.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)  # a reader sees the old index or the new one, never half of one
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load(folder: Path) -> ChunkMirror | None:
    """The saved index, or None when there is none or it is unreadable or of another format."""
    if not (folder / "chunks.json").exists():
        return None
    try:
        chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        if not isinstance(chunks, dict) or chunks.get("format") != FORMAT:
            return None
        bm25 = Bm25.load(folder, len(chunks["ids"]))
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")  # searches read few of its rows
        int8 = None
        if (folder / "vectors.int8.npy").exists():
            int8 = (  # memory-mapped too: read only by a CPU that scans int8
                np.load(folder / "vectors.int8.npy", mmap_mode="r"),
                np.load(folder / "vectors.scale.npy", mmap_mode="r"),
            )
            if not len(int8[0]) == len(int8[1]) == len(vectors):
                return None
        text_keys = np.load(folder / "text_keys.npy")
        if not len(vectors) == len(text_keys) == len(chunks["ids"]):
            return None
    except Exception as exc:  # any damage (truncated arrays, bad JSON): the index is rebuilt from Chroma
        log.warning("Ignoring the chunk mirror in %s (%s); it will be rebuilt.", folder, exc)
        return None
    return ChunkMirror(
        ids=chunks["ids"],
        article_ids=_shared(chunks["article_ids"]),
        days=np.array(chunks["days"], dtype=np.int32),
        text_keys=text_keys,
        sources=_shared(chunks["sources"]),
        authors=_shared(chunks["authors"]),
        vectors=VectorMirror(vectors, int8),
        bm25=bm25,
        fingerprint=chunks["fingerprint"],
    )


def _shared(values: list[str]) -> np.ndarray:
    """``values`` as an object array in which equal strings are one object: a million chunks name a few
    thousand articles and a few dozen sources, and JSON gives each its own copy (200 MB at that size)."""
    one: dict[str, str] = {}
    return np.array([one.setdefault(v, v) for v in values], dtype=object)


def open_mirror(pages: Pages, articles: ArticleStore, folder: Path, chunk_format: int) -> ChunkMirror:
    """The collection's chunk mirror, rebuilt from ``pages`` first when missing or stale."""
    index = load(folder)
    if index is not None and index.fingerprint == fingerprint(articles, chunk_format):
        return index
    return build(pages, articles, folder, chunk_format)


def text_key(text: str) -> int:
    """A 64-bit digest of ``text`` with its whitespace normalised: wire stories are republished verbatim,
    and two chunks with one key are one passage."""
    digest = hashlib.blake2b(" ".join(text.split()).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)
