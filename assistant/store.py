"""Where articles live: a Chroma collection of chunk vectors and an SQLite table of whole cleaned articles.

The article table is also the record of what was indexed: an article row is written only after all its
chunks are in Chroma, so an interrupted ingest is finished cleanly by running it again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from assistant.errors import ConfigError, StoreError
from ingest.article import Article

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
"""
_ARTICLE_FIELDS = ("id", "title", "source", "url", "author", "published", "path")


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


class ArticleStore:
    """Whole cleaned articles by id, per collection; the text every citation offset refers to."""

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

    def put(self, article: Article, chunks: int) -> None:
        row = (self.collection, *(getattr(article, f) for f in _ARTICLE_FIELDS), article.content_hash, chunks)
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, article.text),
            )

    def delete(self, ids: Iterable[str]) -> None:
        with self._connect() as db:
            db.executemany(
                "DELETE FROM articles WHERE collection = ? AND id = ?", [(self.collection, i) for i in ids]
            )

    def text(self, article_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT text FROM articles WHERE collection = ? AND id = ?", (self.collection, article_id)
            ).fetchone()
        return None if row is None else str(row[0])

    def get(self, article_id: str) -> StoredArticle | None:
        with self._connect() as db:
            row = db.execute(
                f"SELECT {', '.join(_ARTICLE_FIELDS)}, content_hash, chunks FROM articles "
                "WHERE collection = ? AND id = ?",
                (self.collection, article_id),
            ).fetchone()
        return None if row is None else StoredArticle(*row)

    def list(self, limit: int | None = None) -> list[StoredArticle]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {', '.join(_ARTICLE_FIELDS)}, content_hash, chunks FROM articles "
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


def chunk_metadata(article: Article, index: int, start: int, end: int) -> dict[str, Any]:
    """What each vector carries, so a search hit can be cited, and filtered, without another lookup."""
    meta = {f: getattr(article, f) for f in _ARTICLE_FIELDS if f != "id"}
    return {
        "article_id": article.id,
        "chunk_index": index,
        "start": start,
        "end": end,
        "published_day": day_number(article.published),
        **meta,
    }


def day_number(published: str) -> int:
    """An ISO date as the integer YYYYMMDD (Chroma compares numbers only); 0 when there is no date."""
    try:
        return int(date.fromisoformat(published[:10]).strftime("%Y%m%d"))
    except ValueError:
        return 0


def contextual_text(title: str, source: str, published: str, text: str) -> str:
    """A chunk under its article's title and a "source · date" line: what is embedded and what BM25 sees."""
    byline = " · ".join(x for x in (source, published[:10]) if x)
    head = "\n".join(x for x in (title, byline) if x)
    return f"{head}\n{text}" if head else text


# What each chunk's vector and metadata hold. 1: title + text embedded; 2: title, source and date embedded
# (contextual chunks), and a numeric ``published_day`` to filter on. Ingest re-indexes an older collection.
INDEX_FORMAT = 2


def index_format(collection: chromadb.Collection) -> int:
    return int((collection.metadata or {}).get("index_format", 1))


def mark_index_format(collection: chromadb.Collection) -> None:
    """Record that every chunk now has the current format (after a complete re-index)."""
    collection.modify(metadata={**(collection.metadata or {}), "index_format": INDEX_FORMAT})


def open_collection(data_dir: Path, collection: str, embedding_model: str) -> chromadb.Collection:
    """The Chroma collection (cosine space) for ``collection``, created on first use.

    The embedding model is recorded in the collection's metadata; opening it with another model is refused,
    since its vectors would not be comparable.
    """
    client = open_client(data_dir)
    try:
        coll = client.get_or_create_collection(
            collection,
            metadata={"embedding_model": embedding_model, "index_format": INDEX_FORMAT},
            configuration={"hnsw": {"space": "cosine"}},
        )
    except Exception as exc:  # chromadb raises many types; all mean the store is unusable
        raise StoreError(f"Cannot open collection {collection!r} in {data_dir}: {exc}") from exc
    built_with = (coll.metadata or {}).get("embedding_model")
    if built_with and built_with != embedding_model:
        raise ConfigError(
            f"Collection {collection!r} was built with the {built_with!r} embedding model, not "
            f"{embedding_model!r}. Use --embedding-model {built_with}, or ingest into another collection."
        )
    return coll


_CLIENTS: dict[Path, chromadb.ClientAPI] = {}
_CLIENTS_LOCK = threading.Lock()


def open_client(data_dir: Path) -> chromadb.ClientAPI:
    """One Chroma ``PersistentClient`` per data directory per process."""
    key = data_dir.resolve()
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            try:
                key.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"Cannot create the data directory {key}: {exc}. Pass another --data-dir."
                ) from exc
            _CLIENTS[key] = chromadb.PersistentClient(
                path=str(key / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
            )
        return _CLIENTS[key]


def open_article_store(data_dir: Path, collection: str) -> ArticleStore:
    data_dir.mkdir(parents=True, exist_ok=True)
    return ArticleStore(data_dir / "articles.sqlite3", collection)
