"""Index articles: chunk, embed in batches, write to the chunk index, then record the article.

Incremental and idempotent: an article whose content hash is already recorded is skipped without
embedding; a changed article has its old chunks replaced, re-using the vectors of the chunks it kept.

Crash safe: before a batch touches the chunk index its article ids are written to a pending log; the article rows
are written, and the log cleared, in one transaction once all their chunks are in. The next run re-indexes
any pending article (from its file if it comes again, else from the stored text) and deletes the chunks of
a pending article that was never recorded. So a run killed at any point leaves, after the next run, exactly
the chunks a clean ingest would.

Three stages overlap: a thread loads, cleans and chunks the next articles; the caller's thread embeds a
batch; a writer thread puts the previous batch into the chunk index and the article store.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from core.article import Article, LoadError, Skipped
from core.chunks import chunk_metadata, contextual_text, stored_contextual_text
from ingest.chunk import Chunk, split_article
from store.articles import ArticleStore
from store.chunk_index import ChunkIndex

BATCH_CHUNKS = 512  # chunks embedded per call: sentence-transformers sorts each call's texts by length
_VECTOR_CACHE = 200_000  # chunk texts whose vectors a run remembers, to never embed one text twice


@dataclass(frozen=True)
class Outcome:
    """What ingest did with one article (or one file it could not read): for the per-file summary."""

    path: str
    status: str  # "added" | "updated" | "unchanged" | "removed" | "skipped" | "error"
    title: str = ""
    reason: str = ""


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    repaired: int = 0  # articles an interrupted earlier run left half-written, now made whole
    chunks: int = 0
    embedded: int = 0  # chunk texts embedded; fewer than ``chunks`` when vectors were re-used
    characters: int = 0  # article characters read (unchanged ones included)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    seconds: float = 0.0
    stopped: str = ""  # why the run stopped early (``strict`` and an error); "" when it ran to the end
    outcomes: list[Outcome] = field(default_factory=list)
    files: set[str] = field(default_factory=set, repr=False)  # paths with an outcome so far
    seen: set[str] = field(default_factory=set, repr=False)  # article ids in this run's input

    def note(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.files.add(_file_of(outcome.path))

    @property
    def articles(self) -> int:
        return self.added + self.updated

    @property
    def read(self) -> int:
        """Items taken from the input so far: articles, files and records that failed, files skipped."""
        return self.articles + self.unchanged + len(self.errors) + len(self.skipped)

    def to_dict(self) -> dict[str, object]:
        return {
            "articles": self.articles,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "repaired": self.repaired,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "characters": self.characters,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "errors": [{"path": e.path, "reason": e.reason} for e in self.errors],
            "seconds": round(self.seconds, 2),
            "stopped": self.stopped,
        }


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What is embedded for a chunk: the passage under its article's title, source and date."""
    return contextual_text(article.title, article.source, article.published, chunk.text)


Batch = list[tuple[Article, list[Chunk]]]


def index_articles(
    items: Iterable[Article | LoadError | Skipped],
    chunks: ChunkIndex,
    articles: ArticleStore,
    embeddings: Embeddings,
    *,
    chunk_size: int = 800,
    overlap: int = 1,
    batch_chunks: int = BATCH_CHUNKS,
    on_progress: Callable[[IngestReport], None] | None = None,
    reindex: bool = False,
    strict: bool = False,
) -> IngestReport:
    """Index everything ``items`` yields; bad items are collected in the report, never raised.

    ``reindex`` re-embeds unchanged articles too (after the index format changed); ``strict`` stops at the
    first file or record that cannot be read (what was read before it is indexed).
    """
    hashes = articles.content_hashes()
    run = _Run(chunks, articles, embeddings, on_progress, recorded=set(hashes), reuse=not reindex)
    pending = articles.pending()
    current = {} if reindex else {k: v for k, v in hashes.items() if k not in pending}
    batch: Batch = []
    size = 0
    for item in _prepared(_then_repairs(items, run.report, pending, articles), chunk_size, overlap, run):
        if isinstance(item, LoadError | Skipped):
            run.failed(item)
            if strict and isinstance(item, LoadError):
                run.report.stopped = f"--strict: {item.path}: {item.reason}"
                break
            continue
        article, pieces = item
        if current.get(article.id) == article.content_hash:
            run.unchanged(article)
            continue
        batch.append((article, pieces))
        size += len(pieces)
        if size >= batch_chunks:
            run.submit(batch)
            batch, size = [], 0
    if batch:
        run.submit(batch)
    run.finish()
    if not run.report.stopped:
        orphans = pending - run.report.seen - run.recorded
        if orphans:  # chunks of articles a killed run never recorded, and that are gone from the input
            chunks.delete_articles(sorted(orphans))
            articles.clear_pending(orphans)
    return run.report


def _then_repairs(
    items: Iterable[Article | LoadError | Skipped],
    report: IngestReport,
    pending: set[str],
    articles: ArticleStore,
) -> Iterator[Article | LoadError | Skipped]:
    """``items``, then the stored version of each article a killed run left pending and this one lacks."""
    yield from items
    for article_id in sorted(pending - report.seen):
        stored = articles.article(article_id)
        if stored is not None:
            report.repaired += 1
            yield stored


def _prepared(
    items: Iterable[Article | LoadError | Skipped], chunk_size: int, overlap: int, run: _Run
) -> Iterator[tuple[Article, list[Chunk]] | LoadError | Skipped]:
    """Items loaded, de-duplicated and chunked in a thread of their own, a few hundred ahead of the caller."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=256)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                ready = _prepare(item, chunk_size, overlap, run.report) if isinstance(item, Article) else item
                while not stop.is_set():
                    try:
                        ahead.put(ready, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(done)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            ahead.put(exc)

    worker = threading.Thread(target=produce, name="ingest-load", daemon=True)
    worker.start()
    try:
        while (item := ahead.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _prepare(
    article: Article, chunk_size: int, overlap: int, report: IngestReport
) -> tuple[Article, list[Chunk]] | Skipped:
    if article.id in report.seen:
        return Skipped(article.path, f"same article as another one in this run (id {article.id})")
    report.seen.add(article.id)
    report.characters += len(article.text)
    if article.path:  # absolute, so --prune finds it from any working directory
        article = replace(article, path=os.path.abspath(article.path))
    return article, split_article(article, chunk_size, overlap)


class _Run:
    """One ingest run's report, vector cache and writer thread."""

    def __init__(
        self,
        chunks: ChunkIndex,
        articles: ArticleStore,
        embeddings: Embeddings,
        on_progress: Callable[[IngestReport], None] | None,
        recorded: set[str],
        reuse: bool = True,
    ) -> None:
        self.recorded = recorded  # article ids in the store; kept up to date by the writer
        self.reuse = reuse  # False when stored vectors are of an older index format
        self.chunks = chunks
        self.articles = articles
        self.embeddings = embeddings
        self.on_progress = on_progress
        self.report = IngestReport()
        self.began = time.perf_counter()
        self.lock = threading.Lock()
        self.vectors: dict[bytes, np.ndarray] = {}  # float32: a tenth of the memory of Python floats
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self.writing: Future[None] | None = None

    def failed(self, item: LoadError | Skipped) -> None:
        with self.lock:
            if isinstance(item, LoadError):
                self.report.errors.append(item)
                self.report.note(Outcome(item.path, "error", reason=item.reason))
            else:
                self.report.skipped.append(item)
                self.report.note(Outcome(item.path, "skipped", reason=item.reason))
        self.progress()

    def unchanged(self, article: Article) -> None:
        with self.lock:
            self.report.unchanged += 1
            self.report.note(Outcome(article.path, "unchanged", article.title))
        self.progress()

    def submit(self, batch: Batch) -> None:
        """Embed ``batch`` here, then write it in the writer thread once the previous write is done."""
        ids = [a.id for a, _ in batch]
        self.articles.mark_pending(ids)  # before any of their chunks change
        chunks = [(a, c) for a, cs in batch for c in cs]
        texts = [embedding_text(a, c) for a, c in chunks]
        vectors = self._vectors(texts, ids, reuse=self.reuse)
        self._wait()
        self.writing = self.writer.submit(self._write, batch, chunks, vectors)

    def finish(self) -> None:
        try:
            self._wait()
        finally:
            self.writer.shutdown(wait=True)
        self.progress()

    def _wait(self) -> None:
        if self.writing is not None:
            self.writing.result()  # a failed write raises here, in the caller's thread
            self.writing = None

    def _vectors(self, texts: list[str], article_ids: list[str], reuse: bool) -> np.ndarray:
        """Vectors for ``texts``: re-used from this run or from the articles' current chunks, else embedded."""
        keys = [_key(t) for t in texts]
        if reuse and self.recorded.intersection(article_ids):
            self._remember_stored(article_ids)
        found = {k: self.vectors[k] for k in keys if k in self.vectors}
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if todo:
            fresh = np.asarray(self.embeddings.embed_documents(todo), dtype=np.float32)
            for text, vector in zip(todo, fresh, strict=True):
                found[_key(text)] = vector
                if len(self.vectors) < _VECTOR_CACHE:
                    self.vectors[_key(text)] = vector
        with self.lock:
            self.report.embedded += len(todo)
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def _remember_stored(self, article_ids: list[str]) -> None:
        """The vectors of the chunks these (changed) articles have now, so unchanged passages are re-used."""
        for chunk in self.chunks.of_articles(article_ids):
            assert chunk.vector is not None
            self.vectors[_key(stored_contextual_text(chunk.meta, chunk.text))] = chunk.vector

    def _write(self, batch: Batch, chunks: list[tuple[Article, Chunk]], vectors: np.ndarray) -> None:
        ids = [a.id for a, _ in batch]
        # Drop whatever an earlier version of these articles (or an interrupted run) left behind.
        self.chunks.delete_articles(ids)
        self.chunks.upsert(
            [c.id for _, c in chunks],
            vectors,
            [c.text for _, c in chunks],
            [chunk_metadata(a, c.index, c.start, c.end) for a, c in chunks],
        )
        self.articles.put_many([(a, len(cs)) for a, cs in batch])  # and clears their pending mark
        with self.lock:
            for article, article_chunks in batch:
                status = "updated" if article.id in self.recorded else "added"
                self.recorded.add(article.id)
                if status == "updated":
                    self.report.updated += 1
                else:
                    self.report.added += 1
                self.report.note(Outcome(article.path, status, article.title))
                self.report.chunks += len(article_chunks)
        self.progress()

    def progress(self) -> None:
        with self.lock:
            self.report.seconds = time.perf_counter() - self.began
        if self.on_progress:
            self.on_progress(self.report)


def _file_of(where: str) -> str:
    """The file of an error's location: "feed.jsonl:12" -> "feed.jsonl"."""
    return where if os.path.exists(where) else where.rsplit(":", 1)[0]


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def prune(
    report: IngestReport,
    roots: Iterable[str | Path] | None,
    chunks: ChunkIndex,
    articles: ArticleStore,
) -> list[str]:
    """Remove stored articles from under ``roots`` that this run did not see and whose files are gone.

    An article is removed when its file no longer exists, or when its file was read without error in this
    run and no longer holds it (a record deleted from a JSONL file). A file that failed to load keeps its
    articles: bad input never loses data. ``roots`` None: remove every article the run did not see (the
    collection mirrors exactly one corpus, as in an evaluation). Returns the removed article ids.
    """
    folders = None if roots is None else [os.path.abspath(r).rstrip(os.sep) for r in roots]
    failed = {os.path.abspath(_file_of(e.path)) for e in report.errors}
    gone = []
    for stored in articles.list():
        if stored.id in report.seen:
            continue
        path = os.path.abspath(stored.path) if stored.path else ""
        inside = folders is None or (
            bool(path) and any(path == f or path.startswith(f + os.sep) for f in folders)
        )
        if inside and (folders is None or not os.path.exists(path) or path not in failed):
            gone.append(stored)
    if gone:
        ids = [s.id for s in gone]
        chunks.delete_articles(ids)
        articles.delete(ids)
        report.removed += len(gone)
        for s in gone:
            report.note(Outcome(s.path, "removed", s.title))
    return [s.id for s in gone]
