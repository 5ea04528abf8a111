"""The collection's chunks mirrored in memory and on disk beside the Chroma store: each chunk's article, date,
source, author, text digest and span in its article (so searches filter without Chroma, copies of one wire
story are told apart without reading their text, and a hit's text is its article's text between its offsets),
its BM25 entry (store/bm25.py) and its vector (store/vectors.py). A question is answered from the mirror and
the article store alone: Chroma's HNSW segment is not loaded.

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
from tqdm import tqdm

from core.chunks import stored_contextual_text
from core.errors import StoreError
from store.articles import ArticleStore
from store.bm25 import Bm25, Bm25Builder
from store.vectors import VectorMirror, VectorWriter, load_sketch

if TYPE_CHECKING:
    from store.chunk_index import StoredChunk

Pages = Callable[[], Iterable[list["StoredChunk"]]]  # every stored chunk with its vector, a page at a time

log = logging.getLogger(__name__)
FORMAT = 5  # bump when what is mirrored, its files, or how BM25 tokenizes changes (5: spans, the sketch)


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
    spans: np.ndarray  # int32 (chunks, 3): each chunk's index in its article, and its start and end there
    sources: np.ndarray  # object (str)
    authors: np.ndarray  # object (str)
    vectors: VectorMirror
    bm25: Bm25
    fingerprint: str

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each chunk id's row (built on first use: 0.3 s and 60 MB at a million chunks)."""
        return {chunk_id: at for at, chunk_id in enumerate(self.ids)}

    @cached_property
    def source_names(self) -> list[str]:
        """The distinct sources, sorted (once per mirror: a source filter must not read every chunk's)."""
        return sorted({str(s) for s in self.sources.tolist() if s})

    @cached_property
    def author_names(self) -> list[str]:
        """The distinct authors, sorted."""
        return sorted({str(a) for a in self.authors.tolist() if a})


def build(pages: Pages, articles: ArticleStore, folder: Path, chunk_format: int) -> ChunkMirror:
    """Index every chunk ``pages`` yields and save the index to ``folder`` (replaced atomically).

    Streamed: a page of chunks at a time goes to BM25 (``Bm25Builder``) and to disk (``VectorWriter``), so
    the peak memory is the per-chunk fields and the BM25 postings, not the texts or the vectors (a million
    chunks: under 4 GB, where holding them took 11 GB).
    """
    began = time.perf_counter()
    print_ = fingerprint(articles, chunk_format)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    vectors = VectorWriter(staging)
    try:
        fields = _Fields()
        bm25 = Bm25Builder()
        # a million chunks take minutes: a terminal shows the count (disable=None: not when piped or logged)
        with tqdm(desc="Building the chunk mirror", unit=" chunks", disable=None, leave=False) as progress:
            for page in pages():
                vectors.add(np.asarray([c.vector for c in page], dtype=np.float32))
                bm25.add([stored_contextual_text(c.meta, c.text) for c in page])
                fields.add(page)
                progress.update(len(page))
        bm25.finish().save(staging)  # first: its postings are freed before the vectors' sketch is fitted
        vectors.finish()
        fields.save(staging, print_)
        _replace(staging, folder)
    finally:
        vectors.close()
        shutil.rmtree(staging, ignore_errors=True)
    index = load(folder)
    if index is None:
        raise StoreError(f"The chunk mirror just built in {folder} cannot be read back; check the disk.")
    log.info(
        "Chunk mirror (BM25, vectors) of %d chunks built in %.1f s", len(index), time.perf_counter() - began
    )
    return index


class _Fields:
    """The per-chunk fields of a mirror being built, a page at a time: numbers in numpy arrays, strings in
    lists with equal strings shared (see ``_shared``)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.columns: dict[str, list[str]] = {"article_ids": [], "sources": [], "authors": []}
        self.numbers: dict[str, list[np.ndarray]] = {"days": [], "keys": [], "spans": []}
        self._one: dict[str, str] = {}

    def add(self, page: list[StoredChunk]) -> None:
        one = self._one
        self.ids.extend(c.id for c in page)
        metas = [c.meta for c in page]
        for column, field in (("article_ids", "article_id"), ("sources", "source"), ("authors", "author")):
            self.columns[column].extend(one.setdefault(v, v) for v in (str(m.get(field, "")) for m in metas))
        self.numbers["days"].append(np.array([int(m.get("published_day", 0) or 0) for m in metas], np.int32))
        self.numbers["keys"].append(np.array([text_key(c.text) for c in page], dtype=np.int64))
        spans = [(int(m.get("chunk_index", 0)), int(m.get("start", 0)), int(m.get("end", 0))) for m in metas]
        self.numbers["spans"].append(np.array(spans, dtype=np.int32).reshape(-1, 3))

    def save(self, folder: Path, print_: str) -> None:
        def joined(name: str, empty: np.ndarray) -> np.ndarray:
            return np.concatenate(self.numbers[name]) if self.numbers[name] else empty

        days = joined("days", np.zeros(0, dtype=np.int32))
        chunks = {
            "format": FORMAT,
            "fingerprint": print_,
            "ids": self.ids,
            "days": days.tolist(),
            **self.columns,
        }
        (folder / "chunks.json").write_text(json.dumps(chunks), encoding="utf-8")
        np.save(folder / "text_keys.npy", joined("keys", np.zeros(0, dtype=np.int64)))
        np.save(folder / "spans.npy", joined("spans", np.zeros((0, 3), dtype=np.int32)))


def _replace(staging: Path, folder: Path) -> None:
    """Put the index built in ``staging`` in ``folder``'s place: a reader sees the old one or the new one."""
    old = folder.with_name(f".{folder.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def load(folder: Path) -> ChunkMirror | None:
    """The saved index, or None when there is none or it is unreadable or of another format."""
    if not (folder / "chunks.json").exists():
        return None
    try:
        chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        if not isinstance(chunks, dict) or chunks.get("format") != FORMAT:
            return None
        size = len(chunks["ids"])
        bm25 = Bm25.load(folder, size)
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")  # searches read few of its rows
        int8 = None
        if (folder / "vectors.int8.npy").exists():
            int8 = (  # memory-mapped too: the scan reads them in, or (past the sketch) its candidates' rows
                np.load(folder / "vectors.int8.npy", mmap_mode="r"),
                np.load(folder / "vectors.scale.npy", mmap_mode="r"),
            )
            if not len(int8[0]) == len(int8[1]) == size:
                return None
        sketch = load_sketch(folder, size)
        text_keys = np.load(folder / "text_keys.npy")
        spans = np.load(folder / "spans.npy")
        if not len(vectors) == len(text_keys) == len(spans) == size:
            return None
    except Exception as exc:  # any damage (truncated arrays, bad JSON): the index is rebuilt from Chroma
        log.warning("Ignoring the chunk mirror in %s (%s); it will be rebuilt.", folder, exc)
        return None
    return ChunkMirror(
        ids=chunks["ids"],
        article_ids=_shared(chunks["article_ids"]),
        days=np.array(chunks["days"], dtype=np.int32),
        text_keys=text_keys,
        spans=spans,
        sources=_shared(chunks["sources"]),
        authors=_shared(chunks["authors"]),
        vectors=VectorMirror(vectors, int8, sketch),
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
