"""Dense retrieval of passages from the Chroma collection, on LangChain's retriever seam."""

from __future__ import annotations

from typing import Any

from langchain_chroma import Chroma
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.answer import Passage


class PassageRetriever(BaseRetriever):
    """Top-``k`` chunks by cosine similarity, each with its relevance in ``metadata["score"]``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    vectorstore: Chroma
    embeddings: Embeddings
    k: int = 5
    fetch_k: int = 20
    min_relevance: float = 0.0

    def search(self, query: str, k: int | None = None, where: dict[str, Any] | None = None) -> list[Passage]:
        """The ``k`` best passages at or above ``min_relevance``, best first, one per distinct text."""
        k = self.k if k is None else k
        vector = self.embeddings.embed_query(query)
        hits = self.vectorstore.similarity_search_by_vector_with_relevance_scores(
            vector, k=max(self.fetch_k, k), filter=where
        )
        passages: list[Passage] = []
        seen: set[str] = set()
        for doc, distance in hits:
            score = 1.0 - float(distance)  # cosine distance -> similarity
            key = " ".join(doc.page_content.split())
            if score < self.min_relevance or key in seen:
                continue
            seen.add(key)  # wire stories are republished verbatim: one copy is enough
            passages.append(to_passage(doc, score))
            if len(passages) == k:
                break
        return passages

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [to_document(p) for p in self.search(query)]


def to_passage(doc: Document, score: float) -> Passage:
    m = doc.metadata
    return Passage(
        chunk_id=str(doc.id or ""),
        article_id=str(m.get("article_id", "")),
        title=str(m.get("title", "")),
        source=str(m.get("source", "")),
        url=str(m.get("url", "")),
        author=str(m.get("author", "")),
        published=str(m.get("published", "")),
        text=doc.page_content,
        start=int(m.get("start", 0)),
        end=int(m.get("end", 0)),
        score=score,
    )


def to_document(p: Passage) -> Document:
    meta = {k: v for k, v in p.to_dict().items() if k not in ("text", "chunk_id")}
    return Document(page_content=p.text, id=p.chunk_id, metadata=meta)
