"""Article Assistant: answers questions about news articles, every claim cited to its passage.

Python API::

    from assistant import build_assistant, settings_from_env
    answer = build_assistant(settings_from_env(data_dir="data")).invoke("Who won the election?")

``build_assistant`` returns a LangChain ``Runnable`` (question -> verified ``Answer``); ``build_retriever`` the
hybrid ``BaseRetriever``; ``check_claim(claim, texts)`` a ``ClaimCheck`` (supported, not_supported or
contradicted, with its spans), ``build_checker`` the same as a ``Runnable``; ``open_index(settings).as_vectorstore()`` a read-only ``Chroma`` view.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Answer": "core.answer",
    "Citation": "core.answer",
    "Passage": "core.answer",
    "Sentence": "core.answer",
    "Assistant": "assistant.chain",
    "Settings": "core.settings",
    "settings_from_env": "core.settings",
    "AssistantError": "core.errors",
    "build_assistant": "assistant.factory",
    "build_retriever": "assistant.factory",
    "build_checker": "assistant.checking",
    "check_claim": "assistant.checking",
    "ClaimCheck": "core.claims",
    "ClaimSpan": "core.claims",
    "open_index": "ingest.collection",
    "SearchFilter": "core.filters",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # imported on first use: the CLI's --help should not load torch
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
