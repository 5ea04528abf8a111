"""Sentence-transformer embeddings behind LangChain's ``Embeddings`` seam, from verified local weights."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from assistant.models import EMBEDDINGS, embedding_model_path

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar for loading 90 MB from disk is noise in the CLI


class LocalEmbeddings(Embeddings):
    """Normalised sentence embeddings (so cosine similarity is a dot product), computed in batches."""

    def __init__(self, name: str = "minilm", batch_size: int = 64, models_dir: Path | None = None) -> None:
        self.name = name
        self.batch_size = batch_size
        self.dimensions = EMBEDDINGS[name].dimensions
        self._model = _load(name, models_dir)
        self._lock = threading.Lock()  # torch inference from several UI threads at once is not faster

    @property
    def model_id(self) -> str:
        return EMBEDDINGS[self.name].hub_name

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return [v.tolist() for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@lru_cache(maxsize=2)
def _load(name: str, models_dir: Path | None) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar for loading 90 MB from disk is noise in the CLI

    path = embedding_model_path(name) if models_dir is None else embedding_model_path(name, models_dir)
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)
