"""Collections as LangChain vector stores: an ingested collection for LangChain code that wants one (read-only,
dense only), and the plain store of eval's naive LangChain baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from core.errors import StoreError
from store.chroma import open_client


class ReadOnlyChroma(Chroma):
    """``langchain_chroma.Chroma`` over an ingested collection that refuses writes: a chunk added or deleted
    here would be missing from the article record and the chunk mirror, so its citations could not be located.
    Add articles with ``assistant ingest`` (or ``Index.ingest``, ingest/collection.py)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise StoreError(
            f"The vector store view of collection {self._collection.name!r} is read-only: add or remove "
            "articles with `assistant ingest` (or `open_index(settings).ingest(...)`), which keeps the "
            "article record and the chunk mirror in step."
        )

    add_texts = _refuse  # add_documents goes through add_texts
    add_images = _refuse
    update_document = _refuse
    update_documents = _refuse
    delete = _refuse
    delete_collection = _refuse
    reset_collection = _refuse  # the async methods run these in an executor


class PlainChroma(Chroma):
    """``langchain_chroma.Chroma`` as LangChain's tutorials build it (cosine space), for the naive baseline,
    with a record of how it was built kept in the collection's metadata."""

    def __init__(self, data_dir: Path, collection: str, embeddings: Embeddings) -> None:
        super().__init__(
            client=open_client(data_dir),
            collection_name=collection,
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )

    @property
    def record(self) -> dict[str, Any]:
        return {k: v for k, v in (self._collection.metadata or {}).items() if not k.startswith("hnsw:")}

    def set_record(self, values: dict[str, Any]) -> None:
        self._collection.modify(metadata={**self.record, **values})  # hnsw settings are fixed at creation

    def clear(self) -> None:
        """Remove every document."""
        existing = self.get(include=[])["ids"]
        for i in range(0, len(existing), 5000):
            self.delete(ids=existing[i : i + 5000])
