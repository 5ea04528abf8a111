"""One collection, opened: its chunk index, its article record and the embedder its vectors were made with;
ingest into it from here (the CLI, the UI's uploads, eval and the benchmarks all do)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from core.article import Article, LoadError, Skipped
from core.settings import Settings
from ingest.index import IngestReport, index_articles, prune
from models.embeddings import LocalEmbeddings
from store.articles import ArticleStore, open_article_store
from store.chunk_index import ChunkIndex, open_chunk_index
from store.chunk_index import list_collections as _list_collections

if TYPE_CHECKING:
    from store.vectorstore import ReadOnlyChroma


@dataclass
class Index:
    """The stores of one collection and the embedder its vectors were made with."""

    chunks: ChunkIndex
    articles: ArticleStore
    embeddings: LocalEmbeddings
    settings: Settings

    def ingest(
        self,
        items: Iterable[Article | LoadError | Skipped],
        on_progress: Callable[[IngestReport], None] | None = None,
        *,
        strict: bool = False,
        prune_under: Sequence[str | Path] = (),
        exact: bool = False,
    ) -> IngestReport:
        """Index ``items`` (incrementally), then bring the chunk mirror (BM25, vectors) up to date.

        ``prune_under`` removes stored articles from under those files and folders whose files are gone;
        ``exact`` removes every stored article that ``items`` did not yield (a collection that mirrors one
        corpus).
        A collection built by an older version is re-embedded whole, and marked current only once done.
        In the embedded store one process writes at a time; a second one gets ``StoreBusyError``.
        """
        s = self.settings
        with self.chunks.writing("assistant ingest"):
            index = partial(
                index_articles,
                chunks=self.chunks,
                articles=self.articles,
                embeddings=self.embeddings,
                chunk_size=s.chunk_size,
                overlap=s.chunk_overlap,
                on_progress=on_progress,
            )
            old = self.chunks.outdated
            if old:  # every stored article is re-embedded: those ``items`` lack through crash repair
                self.articles.mark_pending(self.articles.content_hashes())
            report = index(items, strict=strict, reindex=old)
            if old and not report.stopped:
                self.chunks.mark_current()
            if (prune_under or exact) and not report.stopped:
                prune(report, None if exact else prune_under, self.chunks, self.articles)
            self.chunks.refresh()  # rebuilt here, not on the first question
        return report

    def as_vectorstore(self) -> ReadOnlyChroma:
        """The collection as LangChain's ``Chroma`` vector store, with the project's embeddings: dense search
        only (no BM25, dates or rank fusion: use ``build_retriever`` for those) and read-only, since ingest
        owns writes (it keeps the article record, the chunk mirror and the chunk metadata in step)."""
        return self.chunks.as_vectorstore(self.embeddings)


def open_index(settings: Settings) -> Index:
    """The collection ``settings`` names, created on first use, with its embedder (loaded lazily)."""
    embeddings = LocalEmbeddings(
        settings.embedding_model, models_dir=settings.models_dir, precision=settings.embed_precision
    )
    articles = open_article_store(settings.data_dir, settings.collection, settings.chroma_url)
    chunks = open_chunk_index(
        settings.data_dir, settings.collection, settings.embedding_model, articles, settings.chroma_url
    )
    return Index(chunks, articles, embeddings, settings)


def list_collections(settings: Settings) -> list[str]:
    """Names of the collections in the configured store, sorted (the UI's collection picker)."""
    return _list_collections(settings.data_dir, settings.chroma_url)
