"""Chroma itself: one client per store, and the embedded store's single-writer lock."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
from chromadb.config import Settings as ChromaSettings

from core.errors import StoreError

_CLIENTS: dict[str, chromadb.ClientAPI] = {}
_CLIENTS_LOCK = threading.Lock()


def open_client(data_dir: Path, url: str = "") -> chromadb.ClientAPI:
    """One Chroma client per store per process: the server at ``url``, else embedded in ``data_dir``."""
    key = url.rstrip("/") or str(data_dir.resolve())
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = _http_client(url) if url else _embedded_client(data_dir.resolve())
        return _CLIENTS[key]


def _embedded_client(folder: Path) -> chromadb.ClientAPI:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the data directory {folder}: {exc}. Pass another --data-dir."
        ) from exc
    return chromadb.PersistentClient(
        path=str(folder / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )


def _http_client(url: str) -> chromadb.ClientAPI:
    parts = urlsplit(url)
    try:
        client = chromadb.HttpClient(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        client.heartbeat()
    except Exception as exc:
        raise StoreError(
            f"Cannot reach the Chroma server at {url} ({str(exc).rstrip('.')}). Start it (`chroma run --path DIR --port "
            f"{parts.port or 8000}`) or unset --chroma-url / ASSISTANT_CHROMA_URL to use the embedded store."
        ) from None
    return client


class StoreBusyError(StoreError):
    """Another process is writing to the same embedded store."""


@contextmanager
def writer_lock(data_dir: Path, what: str = "ingest") -> Iterator[None]:
    """Hold the embedded store's writer lock, or fail at once if another process holds it.

    Two processes writing one embedded Chroma directory corrupt it; a Chroma server (``chroma_url``)
    serialises writers itself and needs no lock.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "write.lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreBusyError(
                f"{holder} is writing to {data_dir.resolve()} right now, and an embedded Chroma store takes "
                "one writer at a time. Wait for it to finish, or share the store through a Chroma server: "
                f"`chroma run --path {data_dir.resolve() / 'chroma'} --port 8000`, then pass "
                "--chroma-url http://127.0.0.1:8000 (or set ASSISTANT_CHROMA_URL) in every process."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} ({what})")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
