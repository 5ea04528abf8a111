"""Where a run ran: Python, platform, CPU model and its vector extensions, memory, key package versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

from core.cpu import cpu_features, describe_cpu


def environment() -> dict[str, Any]:
    """The machine and packages behind a run's figures (speeds differ between the CPUs this runs on)."""
    packages = {}
    for name in ("chromadb", "langchain-core", "sentence-transformers", "torch", "bm25s", "xllamacpp"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": describe_cpu(),
        "cpu_features": cpu_features(),
        "cpus": os.cpu_count(),
        "memory_gb": round(memory, 1),
        "packages": packages,
    }
