"""Index articles: chunk, embed in batches, upsert into Chroma, then record the article.

Incremental and idempotent: an article whose content hash is already recorded is skipped without
embedding; a changed article has its old chunks replaced. The article row is written last, so a run
interrupted at any point is completed by the next run with no duplicate or orphan chunk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from chromadb.api.models.Collection import Collection
from langchain_core.embeddings import Embeddings

from assistant.store import ArticleStore, chunk_metadata, contextual_text
from ingest.article import Article, LoadError
from ingest.chunk import Chunk, split_article
from ingest.load import Skipped


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
    chunks: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def articles(self) -> int:
        return self.added + self.updated

    def to_dict(self) -> dict[str, object]:
        return {
            "articles": self.articles,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "chunks": self.chunks,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "errors": [{"path": e.path, "reason": e.reason} for e in self.errors],
            "seconds": round(self.seconds, 2),
        }


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What is embedded for a chunk: the passage under its article's title, source and date.

    A chunk alone often lacks the names its article's headline carries ("the minister said..."), and the
    source and date let "Reuters, January 2017" style questions match (contextual chunks, as Onyx does).
    """
    return contextual_text(article.title, article.source, article.published, chunk.text)


def index_articles(
    items: Iterable[Article | LoadError | Skipped],
    collection: Collection,
    articles: ArticleStore,
    embeddings: Embeddings,
    *,
    chunk_size: int = 800,
    overlap: int = 1,
    batch_chunks: int = 256,
    on_progress: Callable[[IngestReport], None] | None = None,
    reindex: bool = False,
) -> IngestReport:
    """Index everything ``items`` yields; bad items are collected in the report, never raised.

    ``reindex`` re-embeds unchanged articles too (after the index format changed).
    """
    report = IngestReport()
    began = time.perf_counter()
    known = articles.content_hashes()
    current = {} if reindex else dict(known)
    seen: set[str] = set()
    batch: list[tuple[Article, list[Chunk]]] = []
    pending = 0

    def flush() -> None:
        nonlocal pending
        if batch:
            _write(batch, collection, articles, embeddings, known, report)
            batch.clear()
            pending = 0
        report.seconds = time.perf_counter() - began
        if on_progress:
            on_progress(report)

    for item in items:
        if isinstance(item, LoadError):
            report.errors.append(item)
            report.outcomes.append(Outcome(item.path, "error", reason=item.reason))
        elif isinstance(item, Skipped):
            report.skipped.append(item)
            report.outcomes.append(Outcome(item.path, "skipped", reason=item.reason))
        elif item.id in seen:
            reason = f"same article as another one in this run (id {item.id})"
            report.skipped.append(Skipped(item.path, reason))
            report.outcomes.append(Outcome(item.path, "skipped", item.title, reason))
        else:
            seen.add(item.id)
            if current.get(item.id) == item.content_hash:
                report.unchanged += 1
                report.outcomes.append(Outcome(item.path, "unchanged", item.title))
            else:
                chunks = split_article(item, chunk_size, overlap)
                batch.append((item, chunks))
                pending += len(chunks)
                if pending >= batch_chunks:
                    flush()
                    continue
        if on_progress and not batch:
            report.seconds = time.perf_counter() - began
            on_progress(report)
    flush()
    return report


def _write(
    batch: list[tuple[Article, list[Chunk]]],
    collection: Collection,
    articles: ArticleStore,
    embeddings: Embeddings,
    known: dict[str, str],
    report: IngestReport,
) -> None:
    # Drop whatever an earlier version of these articles (or an interrupted run) left behind.
    collection.delete(where={"article_id": {"$in": [a.id for a, _ in batch]}})  # type: ignore[dict-item]
    chunks = [(a, c) for a, cs in batch for c in cs]
    texts = [embedding_text(a, c) for a, c in chunks]
    unique = list(dict.fromkeys(texts))  # scraped corpora repeat paragraphs: embed each text once
    vectors = dict(zip(unique, embeddings.embed_documents(unique), strict=True))
    if chunks:
        collection.upsert(
            ids=[c.id for _, c in chunks],
            embeddings=[vectors[t] for t in texts],  # type: ignore[arg-type]
            documents=[c.text for _, c in chunks],
            metadatas=[chunk_metadata(a, c.index, c.start, c.end) for a, c in chunks],
        )
    for article, article_chunks in batch:
        articles.put(article, len(article_chunks))
        status = "updated" if article.id in known else "added"
        if status == "updated":
            report.updated += 1
        else:
            report.added += 1
        report.outcomes.append(Outcome(article.path, status, article.title))
        known[article.id] = article.content_hash
        report.chunks += len(article_chunks)
