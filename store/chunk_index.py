"""The chunk index: the one way in to a collection's chunks for ingest, retrieval, eval and the benchmarks.

It writes an article's chunks (vector, text, ``chunk_metadata``) and deletes them, fetches chunks by id,
searches them densely and by BM25 under one ``SearchFilter``, and keeps the collection's run metadata (the
embedding model, the index format, what eval recorded). Chroma holds the chunks; the chunk mirror
(store/mirror.py: BM25, the vectors and the filter fields in memory) answers every search, and the article
store the hits' text and metadata, so answering a question never loads Chroma's HNSW segment.

Two implementations behind the one interface, differing in how writers share the store:
``EmbeddedChunkIndex`` over Chroma embedded in the data directory, which takes one writer process at a time
(a file lock), and ``ServerChunkIndex`` over a Chroma server, which serialises writers itself.
Nothing outside ``store/`` touches Chroma.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import shutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.models.Collection import Collection

from core.chunks import INDEX_FORMAT, chunk_metadata
from core.cpu import one_blas_thread
from core.errors import ConfigError, QuestionError, StoreError
from core.filters import SearchFilter, matching
from store.articles import ArticleStore, is_record_collection
from store.chroma import open_client, writer_lock
from store.mirror import ChunkMirror, open_mirror, text_key

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from store.vectorstore import ReadOnlyChroma

_PAGE = 5000
log = logging.getLogger(__name__)


@dataclass
class StoredChunk:
    """One chunk as stored: its text, its ``chunk_metadata`` and, when asked for, its vector."""

    id: str
    text: str
    meta: dict[str, Any]
    vector: np.ndarray | None = None


@dataclass
class Hit:
    """A search result: the chunk's vector, day (YYYYMMDD, 0 undated) and text digest (``text_key``: copies
    of one text share it) from memory; its text and metadata are fetched with ``ChunkIndex.get`` for the
    hits that are kept (empty until then)."""

    chunk_id: str
    vector: np.ndarray
    day: int
    key: int
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class ChunkIndex(ABC):
    """One collection's chunks: written by ingest, searched by retrieval."""

    def __init__(self, collection: Collection, articles: ArticleStore, data_dir: Path, url: str = "") -> None:
        self._collection = collection
        self._articles = articles
        self.data_dir = data_dir
        self.url = url
        self._mirror: ChunkMirror | None = None
        self._opening = threading.Lock()
        self._last_mask: tuple[ChunkMirror, SearchFilter, np.ndarray | None] | None = None

    @property
    def name(self) -> str:
        return self._collection.name

    @property
    def mirror_dir(self) -> Path:
        return self.data_dir / "mirror" / self.name

    def count(self) -> int:
        return self._collection.count()

    # --- run metadata ----------------------------------------------------------------------------------

    @property
    def metadata(self) -> dict[str, Any]:
        """What the collection records about itself: its embedding model, index format, and what eval adds."""
        return dict(self._collection.metadata or {})

    def record(self, **values: Any) -> None:
        """Add ``values`` to the collection's metadata (kept across runs)."""
        self._collection.modify(metadata={**self.metadata, **values})

    @property
    def format(self) -> int:
        """The format the chunks were written in (``core.chunks.INDEX_FORMAT`` when current)."""
        return int(self.metadata.get("index_format", 1))

    @property
    def outdated(self) -> bool:
        """True when the chunks were written in an older format (ingest then re-embeds every article)."""
        return self.format < INDEX_FORMAT

    def mark_current(self) -> None:
        """Record that every chunk now has the current format (after a complete re-index)."""
        self.record(index_format=INDEX_FORMAT)

    # --- writes ----------------------------------------------------------------------------------------

    @abstractmethod
    def writing(self, what: str = "ingest") -> contextlib.AbstractContextManager[None]:
        """Hold the store for writing (``what`` names the writer to another process that tries to write)."""

    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metas: Sequence[Mapping[str, Any]],
    ) -> None:
        if ids:
            self._collection.upsert(
                ids=list(ids),
                embeddings=vectors,
                documents=list(texts),
                metadatas=list(metas),  # type: ignore[arg-type]
            )

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        """Remove every chunk of these articles."""
        if article_ids:
            self._collection.delete(where={"article_id": {"$in": list(article_ids)}})  # type: ignore[dict-item]

    # --- reads -----------------------------------------------------------------------------------------

    def get(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The stored chunks with these ids (text and metadata), by id; ids neither the mirror nor Chroma
        holds are absent.

        Served from the mirror and the article store: a chunk's text is its article's text between its
        offsets, checked against the chunk's text digest. A chunk the mirror does not know, or whose article
        changed since (an ingest under way), is read from Chroma, which loads its vector segment: logged.
        """
        if not ids:
            return {}
        mirror = self.mirror
        rows = {i: mirror.positions.get(i) for i in ids}
        wanted = {str(mirror.article_ids[at]) for at in rows.values() if at is not None}
        articles = self._articles.articles(sorted(wanted))
        found: dict[str, StoredChunk] = {}
        for chunk_id, at in rows.items():
            article = None if at is None else articles.get(str(mirror.article_ids[at]))
            if article is None or at is None:  # not in the mirror, or its article is gone: ask Chroma
                continue
            index, start, end = (int(x) for x in mirror.spans[at])
            text = article.text[start:end]
            if text_key(text) == mirror.text_keys[at]:
                found[chunk_id] = StoredChunk(chunk_id, text, chunk_metadata(article, index, start, end))
        rest = [i for i in ids if i not in found]
        if not rest:
            return found
        log.info(
            "%d of %d chunks read from Chroma, not the article store (%s ...)", len(rest), len(ids), rest[0]
        )
        return found | self._stored(rest)

    def _stored(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The chunks with these ids as Chroma has them."""
        got = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {c.id: c for c in _chunks(got)}

    def of_articles(self, article_ids: Sequence[str]) -> list[StoredChunk]:
        """Every chunk of these articles, with its vector."""
        got = self._collection.get(
            where={"article_id": {"$in": list(article_ids)}},  # type: ignore[dict-item]
            include=["embeddings", "documents", "metadatas"],
        )
        return _chunks(got)

    def pages(self, size: int = _PAGE) -> Iterator[list[StoredChunk]]:
        """Every chunk with its vector, ``size`` at a time, in the store's order."""
        for offset in range(0, self.count(), size):
            yield _chunks(
                self._collection.get(
                    include=["documents", "metadatas", "embeddings"], limit=size, offset=offset
                )
            )

    # --- search ----------------------------------------------------------------------------------------

    @property
    def mirror(self) -> ChunkMirror:
        """The chunks in memory (BM25, vectors, filter fields), rebuilt first if ingest changed the
        collection since it was built. A search takes it once: a refresh meanwhile replaces it whole."""
        mirror = self._mirror
        if mirror is None:
            with self._opening:  # the UI's questions run in threads: one of them opens it
                if self._mirror is None:
                    self._mirror = self._open_mirror()
                mirror = self._mirror
        return mirror

    def refresh(self) -> None:
        """Bring the chunk mirror up to date after a write (here, not on the next question); searches
        under way finish on the one they started with."""
        with self._opening:
            self._last_mask = None  # it holds the old mirror
            self._mirror = self._open_mirror()

    def _open_mirror(self) -> ChunkMirror:
        mirror = open_mirror(self.pages, self._articles, self.mirror_dir, self.format)
        one_blas_thread()  # a process that searches: numpy's BLAS threads would stall torch's (core/cpu.py)
        # The mirror lives until the next ingest: full collections need not walk its million ids (100 ms
        # each at 1M). What is garbage now is collected first, so nothing unreachable is kept.
        gc.collect()
        gc.freeze()
        old = self.data_dir / "lexical"  # where earlier versions kept it
        shutil.rmtree(old / self.name, ignore_errors=True)
        with contextlib.suppress(OSError):
            old.rmdir()  # once no collection is left in it
        return mirror

    def sources(self) -> list[str]:
        """The distinct sources of the chunks (the outlets a question may name), from memory."""
        return self.mirror.source_names

    def day_range(self) -> tuple[int, int] | None:
        """The first and last publication day of the dated chunks (YYYYMMDD), from memory; None if none."""
        days = self.mirror.days[self.mirror.days > 0]
        return (int(days.min()), int(days.max())) if len(days) else None

    def dense(self, vector: np.ndarray, k: int, filter: SearchFilter) -> list[Hit]:
        """The ``k`` chunks nearest ``vector`` (cosine) among those ``filter`` lets through, nearest first:
        a scan of the mirror's vectors (store/vectors.py), exact for the chunks returned. Text and metadata
        are fetched later (``get``), for the hits that are kept."""
        mirror = self.mirror
        return [_hit(mirror, i) for i in mirror.vectors.nearest(vector, k, self._allowed(mirror, filter))]

    def bm25(self, query: str, k: int, filter: SearchFilter) -> list[Hit]:
        """The ``k`` chunks BM25 scores highest for ``query`` among those ``filter`` lets through."""
        mirror = self.mirror
        return [_hit(mirror, i) for i, _ in mirror.bm25.search(query, k, self._allowed(mirror, filter))]

    def _allowed(self, mirror: ChunkMirror, filter: SearchFilter) -> np.ndarray | None:
        """``_mask``, the last one kept: a search asks for it twice, dense and BM25 (2 ms at 1M chunks)."""
        last = self._last_mask
        if last is not None and last[0] is mirror and last[1] == filter:
            return last[2]
        mask = _mask(mirror, filter)
        if mask is not None:
            mask.flags.writeable = False  # shared by the searches of every thread
        self._last_mask = (mirror, filter, mask)
        return mask

    def as_vectorstore(self, embeddings: Embeddings) -> ReadOnlyChroma:
        """The collection as LangChain's ``Chroma`` vector store (read-only, dense only; see
        ``store.vectorstore``)."""
        from store.vectorstore import ReadOnlyChroma

        return ReadOnlyChroma(
            client=open_client(self.data_dir, self.url),
            collection_name=self.name,
            embedding_function=embeddings,
        )


class EmbeddedChunkIndex(ChunkIndex):
    """One collection's chunks in Chroma embedded in the data directory: one writer process at a time."""

    def writing(self, what: str = "ingest") -> contextlib.AbstractContextManager[None]:
        """The store's writer lock; a second writing process gets ``StoreBusyError`` at once."""
        return writer_lock(self.data_dir, what)


class ServerChunkIndex(ChunkIndex):
    """One collection's chunks on a Chroma server, which takes any number of writers."""

    def writing(self, what: str = "ingest") -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


def open_chunk_index(
    data_dir: Path, collection: str, embedding_model: str, articles: ArticleStore, url: str = ""
) -> ChunkIndex:
    """The chunk index of ``collection`` (cosine space), created on first use: on the Chroma server at ``url``,
    else embedded in ``data_dir``.

    The embedding model is recorded in the collection's metadata; opening it with another model is refused,
    since its vectors would not be comparable.
    """
    client = open_client(data_dir, url)
    try:
        coll = client.get_or_create_collection(
            collection,
            metadata={"embedding_model": embedding_model, "index_format": INDEX_FORMAT},
            configuration={"hnsw": {"space": "cosine"}},
        )
    except Exception as exc:  # chromadb raises many types; all mean the store is unusable
        raise StoreError(f"Cannot open collection {collection!r} in {url or data_dir}: {exc}") from exc
    built_with = (coll.metadata or {}).get("embedding_model")
    if built_with and built_with != embedding_model:
        raise ConfigError(
            f"Collection {collection!r} was built with the {built_with!r} embedding model, not "
            f"{embedding_model!r}. Use --embedding-model {built_with}, or ingest into another collection."
        )
    return (
        ServerChunkIndex(coll, articles, data_dir, url)
        if url
        else EmbeddedChunkIndex(coll, articles, data_dir)
    )


def list_collections(data_dir: Path, url: str = "") -> list[str]:
    """Names of the chunk collections in the store, sorted."""
    names = (c.name for c in open_client(data_dir, url).list_collections())
    return sorted(n for n in names if not is_record_collection(n))


def _hit(m: ChunkMirror, position: int) -> Hit:
    return Hit(m.ids[position], m.vectors.matrix[position], int(m.days[position]), int(m.text_keys[position]))


def _mask(m: ChunkMirror, f: SearchFilter) -> np.ndarray | None:
    """The mirror's rows ``f`` lets through; None for all of them."""
    if f.empty:
        return None
    mask = np.ones(len(m), dtype=bool)
    for wanted, known, names, what in (
        (f.sources, m.sources, m.source_names, "source"),
        (f.authors, m.authors, m.author_names, "author"),
    ):
        if wanted:
            mask &= np.isin(known, _matching(names, wanted, what))
    if f.days is not None:
        mask &= (m.days >= f.days.first) & (m.days <= f.days.last)
    return None if mask.all() else mask


def _matching(names: list[str], wanted: Sequence[str], what: str) -> list[str]:
    """The stored values (``names``: the distinct ones) a source or author filter names, case-insensitively."""
    values = matching(names, wanted)
    if not values:
        raise QuestionError(
            f"No article has a {what} matching {', '.join(wanted)}. Known {what}s include: "
            f"{', '.join(names[:12]) or 'none'}."
        )
    return values


def _chunks(got: Mapping[str, Any]) -> list[StoredChunk]:
    vectors = got.get("embeddings")
    vectors = [None] * len(got["ids"]) if vectors is None else vectors
    return [
        StoredChunk(i, text, dict(meta), None if v is None else np.asarray(v, dtype=np.float32))
        for i, text, meta, v in zip(
            got["ids"], got["documents"] or [], got["metadatas"] or [], vectors, strict=True
        )
    ]
