"""The naive LangChain recipe, kept as a baseline row in every retrieval report.

Recursive character splitter (1000 characters, 100 overlap), all-MiniLM-L6-v2, Chroma similarity search:
what most tutorials build. Same cleaned articles as the assistant, so the comparison isolates retrieval.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from core.answer import Passage
from core.article import Article, LoadError, Skipped
from store.vectorstore import PlainChroma

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 100
_BATCH = 256


class NaiveIndex:
    """A plain ``langchain_chroma.Chroma`` store over recursively split articles."""

    def __init__(self, data_dir: Path, collection: str, embeddings: Embeddings) -> None:
        self.store = PlainChroma(data_dir, collection, embeddings)

    def build(
        self,
        items: Iterable[Article | LoadError | Skipped],
        fingerprint: str,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """(Re)build from ``items`` unless it was built from the same corpus; returns the build record."""
        built = self.store.record
        if built.get("fingerprint") == fingerprint:
            return {**built, "reused": True}
        began = time.perf_counter()
        self.store.clear()
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        articles = chunks = 0
        batch: list[Document] = []
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, Article) or item.id in seen:
                continue
            seen.add(item.id)
            articles += 1
            meta = {
                "article_id": item.id,
                "title": item.title,
                "source": item.source,
                "url": item.url,
                "published": item.published,
            }
            for n, piece in enumerate(splitter.split_text(item.text)):
                batch.append(Document(page_content=piece, metadata=meta, id=f"{item.id}-{n}"))
            if len(batch) >= _BATCH:
                chunks += self._add(batch)
                if on_progress:
                    on_progress(articles, chunks)
        chunks += self._add(batch)
        seconds = time.perf_counter() - began
        record = {"fingerprint": fingerprint, "seconds": seconds, "chunks": chunks, "articles": articles}
        self.store.set_record(record)
        return {**record, "reused": False}

    def _add(self, batch: list[Document]) -> int:
        n = len(batch)
        if batch:
            self.store.add_documents(list(batch), ids=[str(d.id) for d in batch])
            batch.clear()
        return n

    def search(self, query: str, k: int) -> list[Passage]:
        hits = self.store.similarity_search_with_score(query, k=k)
        return [
            Passage(
                chunk_id=str(doc.id or ""),
                article_id=str(doc.metadata.get("article_id", "")),
                title=str(doc.metadata.get("title", "")),
                source=str(doc.metadata.get("source", "")),
                url=str(doc.metadata.get("url", "")),
                author="",
                published=str(doc.metadata.get("published", "")),
                text=doc.page_content,
                start=0,
                end=0,
                score=1.0 - float(distance),
            )
            for doc, distance in hits
        ]
