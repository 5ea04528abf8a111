"""Where articles live: a Chroma collection of chunk vectors, and a record of the whole cleaned articles.

The article record is also the record of what was indexed: an article row is written only after all its
chunks are in Chroma, and a pending log names the articles whose chunks are being changed, so an
interrupted ingest is finished cleanly by running it again (see ingest/index.py).

Two stores, one interface: embedded (Chroma's ``PersistentClient`` in the data directory, articles in an
SQLite file beside it), or a Chroma server (``chroma_url``), which then holds the article record too, in
two more collections, so every machine that uses the server sees the same articles.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.errors import NotFoundError

from core.article import ARTICLE_FIELDS, Article
from core.errors import StoreError
from store.chroma import open_client

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    author TEXT NOT NULL,
    published TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (collection, id)
);
CREATE TABLE IF NOT EXISTS pending (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (collection, id)
);
"""


@dataclass(frozen=True)
class StoredArticle:
    id: str
    title: str
    source: str
    url: str
    author: str
    published: str
    path: str
    content_hash: str
    chunks: int


class ArticleStore(ABC):
    """Whole cleaned articles by id, per collection; the text every citation offset refers to."""

    collection: str

    @abstractmethod
    def content_hashes(self) -> dict[str, str]: ...

    @abstractmethod
    def put_many(self, items: Sequence[tuple[Article, int]]) -> None:
        """Record articles (with their chunk counts) and clear their pending mark."""

    def put(self, article: Article, chunks: int) -> None:
        self.put_many([(article, chunks)])

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None: ...

    def article(self, article_id: str) -> Article | None:
        return self.articles([article_id]).get(article_id)

    @abstractmethod
    def articles(self, ids: Sequence[str]) -> dict[str, Article]:
        """The stored articles with these ids, whole, by id; ids not stored are absent."""

    def text(self, article_id: str) -> str | None:
        found = self.article(article_id)
        return None if found is None else found.text

    @abstractmethod
    def get(self, article_id: str) -> StoredArticle | None: ...

    @abstractmethod
    def list(self, limit: int | None = None) -> list[StoredArticle]:
        """Newest first."""

    @abstractmethod
    def all(self) -> Iterator[Article]:
        """Every stored article, whole (to re-index them without their source files)."""

    @abstractmethod
    def counts(self) -> tuple[int, int]:
        """(articles, chunks) in this collection."""

    @abstractmethod
    def pending(self) -> set[str]:
        """Articles whose chunks a run began to change and did not finish."""

    @abstractmethod
    def mark_pending(self, ids: Iterable[str]) -> None: ...

    @abstractmethod
    def clear_pending(self, ids: Iterable[str]) -> None: ...


class SqliteArticleStore(ArticleStore):
    """The embedded store's article record: one SQLite file in the data directory, for every collection."""

    def __init__(self, path: Path, collection: str) -> None:
        self.path = path
        self.collection = collection
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"Cannot open the article store {self.path}: {exc}. Check the data directory."
                ) from exc
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        with db:
            yield db

    def content_hashes(self) -> dict[str, str]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, content_hash FROM articles WHERE collection = ?", (self.collection,)
            )
            return dict(rows.fetchall())

    def put_many(self, items: Sequence[tuple[Article, int]]) -> None:
        rows = [
            (self.collection, *(getattr(a, f) for f in ARTICLE_FIELDS), a.content_hash, n, a.text)
            for a, n in items
        ]
        with self._connect() as db:  # one transaction: the rows and the end of their pending mark
            db.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany(
                "DELETE FROM pending WHERE collection = ? AND id = ?",
                [(self.collection, a.id) for a, _ in items],
            )

    def delete(self, ids: Iterable[str]) -> None:
        with self._connect() as db:
            db.executemany(
                "DELETE FROM articles WHERE collection = ? AND id = ?", [(self.collection, i) for i in ids]
            )

    def articles(self, ids: Sequence[str]) -> dict[str, Article]:
        found: dict[str, Article] = {}
        with self._connect() as db:
            for page in _pages(list(ids), 500):  # SQLite before 3.32 takes 999 parameters
                rows = db.execute(
                    "SELECT id, title, text, source, url, author, published, path FROM articles "
                    f"WHERE collection = ? AND id IN ({', '.join('?' * len(page))})",
                    (self.collection, *page),
                ).fetchall()
                found.update((row[0], Article(*row)) for row in rows)
        return found

    def pending(self) -> set[str]:
        with self._connect() as db:
            rows = db.execute("SELECT id FROM pending WHERE collection = ?", (self.collection,))
            return {str(r[0]) for r in rows.fetchall()}

    def mark_pending(self, ids: Iterable[str]) -> None:
        with self._connect() as db:
            db.executemany("INSERT OR IGNORE INTO pending VALUES (?, ?)", [(self.collection, i) for i in ids])

    def clear_pending(self, ids: Iterable[str]) -> None:
        with self._connect() as db:
            db.executemany(
                "DELETE FROM pending WHERE collection = ? AND id = ?", [(self.collection, i) for i in ids]
            )

    def get(self, article_id: str) -> StoredArticle | None:
        with self._connect() as db:
            row = db.execute(
                f"SELECT {', '.join(ARTICLE_FIELDS)}, content_hash, chunks FROM articles "
                "WHERE collection = ? AND id = ?",
                (self.collection, article_id),
            ).fetchone()
        return None if row is None else StoredArticle(*row)

    def list(self, limit: int | None = None) -> list[StoredArticle]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {', '.join(ARTICLE_FIELDS)}, content_hash, chunks FROM articles "
                "WHERE collection = ? ORDER BY published DESC, title LIMIT ?",
                (self.collection, -1 if limit is None else limit),
            ).fetchall()
        return [StoredArticle(*row) for row in rows]

    def all(self) -> Iterator[Article]:
        """Every stored article, whole (to re-index them without their source files)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, title, text, source, url, author, published, path FROM articles "
                "WHERE collection = ? ORDER BY id",
                (self.collection,),
            ).fetchall()
        for row in rows:
            yield Article(*row)

    def counts(self) -> tuple[int, int]:
        """(articles, chunks) in this collection."""
        with self._connect() as db:
            articles, chunks = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(chunks), 0) FROM articles WHERE collection = ?",
                (self.collection,),
            ).fetchone()
        return int(articles), int(chunks)


# In a Chroma server the article record lives in two collections beside the chunks' (names that ingest's
# collection-name check cannot produce, so they never clash with a user's collection).
_ARTICLES_SUFFIX = ".articles"
_PENDING_SUFFIX = ".pending"
_PAGE = 1000


def is_record_collection(name: str) -> bool:
    return name.endswith((_ARTICLES_SUFFIX, _PENDING_SUFFIX))


def _stored(article_id: str, meta: Mapping[str, Any]) -> StoredArticle:
    fields = (str(meta[f]) for f in ARTICLE_FIELDS[1:])
    return StoredArticle(article_id, *fields, str(meta["content_hash"]), int(meta["chunks"]))  # type: ignore[call-arg, arg-type]


def _pages(ids: list[str], size: int = _PAGE) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _constant(n: int) -> np.ndarray:
    return np.ones((n, 1), dtype=np.float32)


class ChromaArticleStore(ArticleStore):
    """The article record in a Chroma server: one record per article (its text as the document)."""

    def __init__(self, client: chromadb.ClientAPI, collection: str) -> None:
        self.collection = collection
        self._client = client
        # Chroma needs a vector per record; these collections are never searched, so it is a constant.
        self._rows = client.get_or_create_collection(collection + _ARTICLES_SUFFIX)
        self._pending = client.get_or_create_collection(collection + _PENDING_SUFFIX)

    def _metas(self, include_text: bool = False) -> Iterator[tuple[str, dict[str, Any], str]]:
        include: list[Any] = ["metadatas", "documents"] if include_text else ["metadatas"]
        for offset in itertools.count(0, _PAGE):
            got = self._rows.get(include=include, limit=_PAGE, offset=offset)
            docs = got["documents"] or [""] * len(got["ids"])
            for id_, meta, doc in zip(got["ids"], got["metadatas"] or [], docs, strict=True):
                yield id_, dict(meta), doc
            if len(got["ids"]) < _PAGE:
                return

    def content_hashes(self) -> dict[str, str]:
        return {id_: str(meta["content_hash"]) for id_, meta, _ in self._metas()}

    def put_many(self, items: Sequence[tuple[Article, int]]) -> None:
        if len(items) > _PAGE:  # a server takes a few thousand records per request
            for start in range(0, len(items), _PAGE):
                self.put_many(items[start : start + _PAGE])
            return
        if not items:
            return
        self._rows.upsert(
            ids=[a.id for a, _ in items],
            embeddings=_constant(len(items)),
            documents=[a.text for a, _ in items],
            metadatas=[
                {
                    **{f: getattr(a, f) for f in ARTICLE_FIELDS if f != "id"},
                    "content_hash": a.content_hash,
                    "chunks": n,
                }
                for a, n in items
            ],
        )
        self.clear_pending(a.id for a, _ in items)

    def delete(self, ids: Iterable[str]) -> None:
        for page in _pages(list(ids)):
            self._rows.delete(ids=page)

    def _records(self, ids: list[str] | None = None) -> list[tuple[StoredArticle, str]]:
        if ids is not None:
            got = self._rows.get(ids=ids, include=["metadatas", "documents"])
            rows = zip(got["ids"], got["metadatas"] or [], got["documents"] or [], strict=True)
        else:
            rows = self._metas(include_text=True)  # type: ignore[assignment]
        return [(_stored(id_, m), doc) for id_, m, doc in rows]

    def articles(self, ids: Sequence[str]) -> dict[str, Article]:
        found: dict[str, Article] = {}
        for page in _pages(list(ids)):
            for s, text in self._records(page):
                found[s.id] = Article(s.id, s.title, text, s.source, s.url, s.author, s.published, s.path)
        return found

    def get(self, article_id: str) -> StoredArticle | None:
        found = self._records([article_id])
        return found[0][0] if found else None

    def list(self, limit: int | None = None) -> list[StoredArticle]:
        rows = [_stored(id_, m) for id_, m, _ in self._metas()]
        rows.sort(key=lambda r: r.title)
        rows.sort(key=lambda r: r.published, reverse=True)
        return rows if limit is None else rows[:limit]

    def all(self) -> Iterator[Article]:
        for s, text in sorted(self._records(), key=lambda r: r[0].id):
            yield Article(s.id, s.title, text, s.source, s.url, s.author, s.published, s.path)

    def counts(self) -> tuple[int, int]:
        """Two counts the server keeps (reading every record's chunk count would take minutes at a
        million articles); they differ from the records' sums only while an interrupted run awaits repair."""
        try:
            chunks = self._client.get_collection(self.collection).count()
        except NotFoundError:
            chunks = 0
        return self._rows.count(), chunks

    def pending(self) -> set[str]:
        return set(self._pending.get(include=[])["ids"])

    def mark_pending(self, ids: Iterable[str]) -> None:
        for page in _pages(list(ids)):
            self._pending.upsert(ids=page, embeddings=_constant(len(page)))

    def clear_pending(self, ids: Iterable[str]) -> None:
        for page in _pages(list(ids)):
            self._pending.delete(ids=page)


def open_article_store(data_dir: Path, collection: str, url: str = "") -> ArticleStore:
    if url:
        return ChromaArticleStore(open_client(data_dir, url), collection)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteArticleStore(data_dir / "articles.sqlite3", collection)
