"""Shared real components: MiniLM embeddings, and the bundled sample corpus indexed into a temp Chroma."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "assistant" / "sample_corpus"
SAMPLE_ARTICLES = SAMPLE / "articles"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may talk to loopback servers they start, never to the outside world."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        inet = self.family in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")):
            raise AssertionError(f"test tried to connect to {address!r}; tests stay on loopback")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def embeddings():
    from models.embeddings import LocalEmbeddings

    return LocalEmbeddings("minilm")


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory):
    from core.settings import Settings

    return Settings(data_dir=tmp_path_factory.mktemp("sample-data"), collection="sample", llm="extractive")


@pytest.fixture(scope="session")
def sample_index(sample_settings, embeddings):
    """The sample corpus ingested once for the session (read-only for tests)."""
    from ingest.collection import open_index
    from ingest.load import load_articles

    index = open_index(sample_settings)
    report = index.ingest(load_articles([SAMPLE_ARTICLES]))
    assert not report.errors, report.errors
    return index


@pytest.fixture(scope="session")
def sample_assistant(sample_settings, sample_index):
    from assistant.factory import build_assistant

    return build_assistant(sample_settings, sample_index)


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"{path} is not present (the evaluation data lives in ../shared/data beside the checkout)"
        )
    return path
