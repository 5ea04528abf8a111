"""Wire the real components from ``Settings``: the one place that knows how they fit together."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chromadb.api.models.Collection import Collection

from assistant.chain import Assistant
from assistant.models.embeddings import LocalEmbeddings
from assistant.retrievers.hybrid import PassageRetriever
from core.article import Article, LoadError, Skipped
from core.chunks import INDEX_FORMAT
from core.settings import Settings
from ingest.index import IngestReport, index_articles, prune
from store.articles import ArticleStore, is_record_collection, open_article_store
from store.chroma import index_format, mark_index_format, open_client, open_collection, writer_lock
from store.mirror import ChunkMirror, open_mirror

if TYPE_CHECKING:
    from langchain_chroma import Chroma


@dataclass
class Index:
    """The stores of one collection and the embedder its vectors were made with."""

    collection: Collection
    articles: ArticleStore
    embeddings: LocalEmbeddings
    settings: Settings

    @property
    def mirror_dir(self) -> Path:
        return self.settings.data_dir / "lexical" / self.settings.collection  # the folder's old name kept

    @cached_property
    def mirror(self) -> ChunkMirror:
        """The chunks in memory (BM25, vectors, filter fields), rebuilt first if ingest changed the collection
        since it was built."""
        return open_mirror(self.collection, self.articles, self.mirror_dir)

    def ingest(
        self,
        items: Iterable[Article | LoadError | Skipped],
        on_progress: Callable[[IngestReport], None] | None = None,
        *,
        strict: bool = False,
        prune_under: Sequence[str | Path] = (),
        exact: bool = False,
    ) -> IngestReport:
        """Index ``items`` (incrementally), then bring the BM25 index up to date.

        ``prune_under`` removes stored articles from under those files and folders whose files are gone;
        ``exact`` removes every stored article that ``items`` did not yield (a collection that mirrors one
        corpus).
        A collection built by an older version is re-embedded whole, and marked current only once done.
        In the embedded store one process writes at a time; a second one gets ``StoreBusyError``.
        """
        s = self.settings
        lock = contextlib.nullcontext() if s.chroma_url else writer_lock(s.data_dir, "assistant ingest")
        with lock:
            index = partial(
                index_articles,
                collection=self.collection,
                articles=self.articles,
                embeddings=self.embeddings,
                chunk_size=s.chunk_size,
                overlap=s.chunk_overlap,
                on_progress=on_progress,
            )
            old = index_format(self.collection) < INDEX_FORMAT
            if old:  # every stored article is re-embedded: those ``items`` lack through crash repair
                self.articles.mark_pending(self.articles.content_hashes())
            report = index(items, strict=strict, reindex=old)
            if old and not report.stopped:
                mark_index_format(self.collection)
            if (prune_under or exact) and not report.stopped:
                prune(report, None if exact else prune_under, self.collection, self.articles)
            self.__dict__.pop("mirror", None)
            _ = self.mirror  # rebuilt here, not on the first question
        return report

    def as_vectorstore(self) -> Chroma:
        """The collection as LangChain's ``Chroma`` vector store, with the project's embeddings: dense search
        only (no BM25, dates or rank fusion: use ``build_retriever`` for those) and read-only, since ingest
        owns writes (it keeps the article record, the BM25 index and the chunk metadata in step)."""
        from assistant.vectorstore import ReadOnlyChroma

        return ReadOnlyChroma(
            client=open_client(self.settings.data_dir, self.settings.chroma_url),
            collection_name=self.collection.name,
            embedding_function=self.embeddings,
        )


def open_index(settings: Settings) -> Index:
    embeddings = LocalEmbeddings(
        settings.embedding_model, models_dir=settings.models_dir, precision=settings.embed_precision
    )
    collection = open_collection(
        settings.data_dir, settings.collection, settings.embedding_model, settings.chroma_url
    )
    articles = open_article_store(settings.data_dir, settings.collection, settings.chroma_url)
    return Index(collection, articles, embeddings, settings)


def list_collections(settings: Settings) -> list[str]:
    """Names of the collections in the configured store, sorted (the UI's collection picker)."""
    names = (c.name for c in open_client(settings.data_dir, settings.chroma_url).list_collections())
    return sorted(n for n in names if not is_record_collection(n))


def build_retriever(settings: Settings, index: Index | None = None, **overrides: Any) -> PassageRetriever:
    """The hybrid retriever over the collection named in ``settings`` (a LangChain ``BaseRetriever``);
    ``overrides`` replace its settings, e.g. ``k=3`` or ``mode="dense"``."""
    return make_retriever(settings, index or open_index(settings)).model_copy(update=overrides)


def make_retriever(settings: Settings, index: Index) -> PassageRetriever:
    rescorer = None
    if settings.rescore == "mpnet":
        rescorer = LocalEmbeddings(
            "mpnet", models_dir=settings.models_dir, precision=settings.embed_precision
        )
    return PassageRetriever(
        collection=index.collection,
        embeddings=index.embeddings,
        mirror=index.mirror,  # BM25 for hybrid; in every mode, the known sources and authors filters match
        mode=settings.retriever,  # type: ignore[arg-type]
        k=settings.k,
        fetch_k=settings.fetch_k,
        min_relevance=settings.min_relevance,
        date_boost=settings.date_boost,
        recency=settings.recency,
        rescorer=rescorer,
        mmr_lambda=settings.mmr,
    )


def build_assistant(settings: Settings, index: Index | None = None) -> Assistant:
    """An ``Assistant`` over the collection named in ``settings``, with the configured answerer."""
    index = index or open_index(settings)
    llm = None
    if settings.llm != "extractive":  # the OpenAI client's import is half a second of a quick CLI answer
        from assistant.generators.llm import make_chat_model

        llm = make_chat_model(settings)
    backend = "extractive" if llm is None else settings.llm if settings.llm != "auto" else "local"
    if llm is not None and backend == "local":
        backend = f"local:{settings.llm_profile}"
    return Assistant(
        make_retriever(settings, index),
        index.embeddings,
        index.articles,
        llm,
        context_tokens=settings.context_tokens,
        max_tokens=settings.max_tokens,
        excerpt_chars=settings.excerpt_chars,
        candidates=settings.candidates,
        k=settings.k,
        backend=backend,
    )
