"""The collections of one data directory as the UI serves them: each index opened, and its assistant built,
once per process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from assistant.chain import Assistant
from assistant.factory import build_assistant
from core.article import Article, LoadError, Skipped
from core.settings import Settings
from ingest.collection import Index, list_collections, open_index
from ingest.index import IngestReport

MAX_UPLOAD_MB = 20  # per file; Gradio refuses bigger uploads before they reach a handler


class Workspace:
    """The collections of one data directory: each opened, and its ``Assistant`` built, once per process.

    Every session shares them (the local llama.cpp server is shared per process anyway).
    """

    def __init__(
        self,
        settings: Settings,
        indexes: Mapping[str, Index] | None = None,
        assistants: Mapping[str, Assistant] | None = None,
        *,
        max_upload_mb: float = MAX_UPLOAD_MB,
    ) -> None:
        """``indexes`` and ``assistants``: ones already opened or built, by collection name."""
        self.settings = settings
        self.max_upload_mb = max_upload_mb
        self._indexes: dict[str, Index] = dict(indexes or {})
        self._assistants: dict[str, Assistant] = dict(assistants or {})
        self._lock = threading.Lock()
        self._ingesting = threading.Lock()

    def collections(self) -> list[str]:
        return sorted(set(list_collections(self.settings)) | {self.settings.collection})

    def settings_for(self, collection: str) -> Settings:
        return replace(self.settings, collection=collection or self.settings.collection)

    def index(self, collection: str = "") -> Index:
        settings = self.settings_for(collection)
        with self._lock:
            if settings.collection not in self._indexes:
                self._indexes[settings.collection] = open_index(settings)
            return self._indexes[settings.collection]

    def assistant(self, collection: str = "") -> Assistant:
        settings = self.settings_for(collection)
        with self._lock:
            built = self._assistants.get(settings.collection)
        if built is not None:
            return built
        index = self.index(settings.collection)
        with self._lock:
            if settings.collection not in self._assistants:
                self._assistants[settings.collection] = build_assistant(settings, index)
            return self._assistants[settings.collection]

    def ingest(
        self,
        collection: str,
        items: Iterable[Article | LoadError | Skipped],
        on_progress: Callable[[IngestReport], None] | None = None,
    ) -> IngestReport:
        """Index ``items`` into ``collection``, one ingest at a time; questions see them right after."""
        index = self.index(collection)
        with self._ingesting:
            return index.ingest(items, on_progress)  # its chunk index refreshes its mirror as it ends
