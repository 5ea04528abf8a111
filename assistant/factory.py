"""Wire the real components from ``Settings``: the one place that knows how they fit together."""

from __future__ import annotations

from dataclasses import dataclass

from chromadb.api.models.Collection import Collection
from langchain_chroma import Chroma

from assistant.chain import Assistant
from assistant.config import Settings
from assistant.embeddings import LocalEmbeddings
from assistant.retrieval import PassageRetriever
from assistant.store import ArticleStore, open_article_store, open_client, open_collection


@dataclass(frozen=True)
class Index:
    """The stores of one collection and the embedder its vectors were made with."""

    collection: Collection
    articles: ArticleStore
    embeddings: LocalEmbeddings
    settings: Settings


def open_index(settings: Settings) -> Index:
    embeddings = LocalEmbeddings(settings.embedding_model, models_dir=settings.models_dir)
    collection = open_collection(settings.data_dir, settings.collection, settings.embedding_model)
    articles = open_article_store(settings.data_dir, settings.collection)
    return Index(collection, articles, embeddings, settings)


def build_assistant(settings: Settings, index: Index | None = None) -> Assistant:
    """An ``Assistant`` over the collection named in ``settings``, with the configured answerer."""
    from assistant.llm import make_chat_model

    index = index or open_index(settings)
    vectorstore = Chroma(
        client=open_client(settings.data_dir),
        collection_name=settings.collection,
        embedding_function=index.embeddings,
        create_collection_if_not_exists=False,
    )
    retriever = PassageRetriever(
        vectorstore=vectorstore,
        embeddings=index.embeddings,
        k=settings.k,
        fetch_k=settings.fetch_k,
        min_relevance=settings.min_relevance,
    )
    llm = make_chat_model(settings)
    backend = "extractive" if llm is None else settings.llm if settings.llm != "auto" else "local"
    if llm is not None and backend == "local":
        backend = f"local:{settings.llm_profile}"
    return Assistant(
        retriever,
        index.embeddings,
        index.articles,
        llm,
        context_tokens=settings.context_tokens,
        max_tokens=settings.max_tokens,
        backend=backend,
    )
