"""Wire the answering components from ``Settings``: the one place that knows how they fit together."""

from __future__ import annotations

from typing import Any

from assistant.chain import Assistant
from assistant.retrievers.hybrid import PassageRetriever
from assistant.verifiers.claims import ClaimReader
from core.settings import Settings
from ingest.collection import Index, open_index
from models.embeddings import LocalEmbeddings


def build_retriever(settings: Settings, index: Index | None = None, **overrides: Any) -> PassageRetriever:
    """The hybrid retriever over the collection named in ``settings`` (a LangChain ``BaseRetriever``);
    ``overrides`` replace its settings, e.g. ``k=3`` or ``mode="dense"``."""
    index = index or open_index(settings)
    _ = index.chunks.mirror  # opened, or rebuilt when stale, here rather than on the first question
    rescorer = None
    if settings.rescore == "mpnet":
        rescorer = LocalEmbeddings(
            "mpnet", models_dir=settings.models_dir, precision=settings.embed_precision
        )
    retriever = PassageRetriever(
        index=index.chunks,
        embeddings=index.embeddings,
        mode=settings.retriever,  # type: ignore[arg-type]
        k=settings.k,
        fetch_k=settings.fetch_k,
        min_relevance=settings.min_relevance,
        date_boost=settings.date_boost,
        recency=settings.recency,
        rescorer=rescorer,
        mmr_lambda=settings.mmr,
    )
    return retriever.model_copy(update=overrides)


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
        build_retriever(settings, index),
        index.embeddings,
        index.articles,
        llm,
        context_tokens=settings.context_tokens,
        max_tokens=settings.max_tokens,
        excerpt_chars=settings.excerpt_chars,
        candidates=settings.candidates,
        k=settings.k,
        backend=backend,
        reader=build_reader(settings),
    )


def build_reader(settings: Settings) -> ClaimReader | None:
    """The trained claim checker behind the citations, when the settings say ``on`` (opt-in: on the hand-labelled
    drafts it halved the words' false accepts and doubled their false refusals; docs/evaluation.md, "The claim
    checker")."""
    from models.claim_checker import shared_claim_model

    if settings.claim_checker != "on":
        return None
    return ClaimReader(shared_claim_model())
