"""The collection as a LangChain vector store, for LangChain code that wants one: read-only, dense only."""

from __future__ import annotations

from typing import Any, NoReturn

from langchain_chroma import Chroma

from core.errors import StoreError


class ReadOnlyChroma(Chroma):
    """``langchain_chroma.Chroma`` over an ingested collection that refuses writes: a chunk added or deleted
    here would be missing from the article record and the BM25 index, so its citations could not be located.
    Add articles with ``assistant ingest`` (or ``Index.ingest``)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise StoreError(
            f"The vector store view of collection {self._collection.name!r} is read-only: add or remove "
            "articles with `assistant ingest` (or `open_index(settings).ingest(...)`), which keeps the "
            "article record and the BM25 index in step."
        )

    add_texts = _refuse  # add_documents goes through add_texts
    add_images = _refuse
    update_document = _refuse
    update_documents = _refuse
    delete = _refuse
    delete_collection = _refuse
    reset_collection = _refuse  # the async methods run these in an executor
