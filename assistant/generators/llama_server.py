"""llama.cpp's own OpenAI-compatible HTTP server (``xllamacpp.Server``), run inside this process on a loopback
port with a random API key: one per model file, shared by every chat model that uses it, closed at exit."""

from __future__ import annotations

import atexit
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from core.errors import LLMError, ModelError


class LlamaServer:
    """llama.cpp's OpenAI-compatible HTTP server, running in this process on a loopback port.

    Use as a context manager or call ``close()``; the model is unloaded when the server is closed.
    """

    def __init__(
        self,
        gguf: Path,
        *,
        host: str,
        port: int,
        context_tokens: int,
        threads: int,
        api_key: str | None,
        model_name: str,
        verbose: bool,
    ) -> None:
        import xllamacpp

        self.gguf = gguf
        self.context_tokens = context_tokens
        self.threads = threads
        self.api_key = api_key
        self.model_name = model_name
        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        params.model_alias = {model_name}
        params.hostnames = [host]
        params.port = port
        params.n_ctx = context_tokens
        params.n_parallel = 1  # one request at a time gets the whole context window
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.cache_ram_mib = 256  # llama.cpp keeps up to 8 GiB of old prompts by default
        params.api_keys = [api_key] if api_key else []
        params.verbosity = 3 if verbose else 1  # 1: errors only
        started = time.perf_counter()
        try:
            self._server: Any = xllamacpp.Server(params)
        except RuntimeError as exc:  # xllamacpp says only "Failed to init server"; llama.cpp logged why
            raise LLMError(
                f"llama.cpp could not load {gguf} (context {context_tokens} tokens, {threads} threads) "
                f"or serve it on {host}:{port or 'a free port'}; its log above says why. If the file is "
                "damaged, delete it and run `assistant setup-model`; if memory is short, lower "
                "ASSISTANT_CONTEXT_TOKENS; or answer without a model: --llm extractive."
            ) from exc
        self.load_seconds = time.perf_counter() - started
        self.root_url: str = self._server.listening_address.rstrip("/")
        self.base_url = self.root_url + "/v1"
        self._lock = threading.Lock()

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LlamaServer({self.gguf.name!r}, base_url={self.base_url!r}, n_ctx={self.context_tokens})"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def tokenize_url(self) -> str:
        return self.root_url + "/tokenize"

    def tokenize(self, text: str) -> list[int]:
        """The model's token ids for ``text`` (no BOS or other special tokens added)."""
        return tokenize(self.tokenize_url, self.api_key, text)

    def close(self) -> None:
        """Stop the HTTP server and unload the model (the C++ destructor joins its threads)."""
        with self._lock:
            server, self._server = self._server, None
        del server


def start_llama_server(
    gguf: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    context_tokens: int = 4096,
    threads: int | None = None,
    api_key: str | None = None,
    model_name: str | None = None,
    verbose: bool = False,
) -> LlamaServer:
    """Load ``gguf`` and serve the OpenAI-compatible API at ``LlamaServer.base_url`` until closed.

    ``port=0`` picks a free port. With ``api_key`` set, requests must carry it (``/health`` excepted).
    ``model_name`` is the name the server answers to (default: the file's stem); llama.cpp serves its
    one model whatever name a request asks for.
    """
    if not gguf.is_file():
        raise ModelError(f"{gguf} does not exist; set the model up with `assistant setup-model`.")
    with gguf.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelError(f"{gguf} is not a GGUF file; delete it and run `assistant setup-model` again.")
    if port:
        _check_port_free(host, port)
    return LlamaServer(
        gguf,
        host=host,
        port=port,
        context_tokens=context_tokens,
        threads=threads or default_threads(),
        api_key=api_key,
        model_name=model_name or gguf.stem,
        verbose=verbose,
    )


def default_threads() -> int:
    """The cores this process may run on (``os.cpu_count()`` counts the host's, not a container's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise LLMError(
                f"Cannot serve the model on {host}:{port}: {exc.strerror}. Choose another port, or 0 for "
                "any free one."
            ) from exc


# One loaded model per (file, context, threads) for the life of the process.
_LOCAL: dict[tuple[Path, int, int], LlamaServer] = {}
_LOCAL_LOCK = threading.Lock()


def local_server(gguf: Path, *, context_tokens: int, threads: int | None = None) -> LlamaServer:
    """The process-wide server for ``gguf``, started on first use, with a random API key."""
    key = (gguf.resolve(), context_tokens, threads or default_threads())
    with _LOCAL_LOCK:
        server = _LOCAL.get(key)
        if server is None or not server.running:
            server = start_llama_server(
                key[0], context_tokens=key[1], threads=key[2], api_key=secrets.token_urlsafe(24)
            )
            _LOCAL[key] = server
        return server


@atexit.register
def release_local_models() -> None:
    """Stop every server that ``local_server`` started (also runs at interpreter exit)."""
    with _LOCAL_LOCK:
        servers = list(_LOCAL.values())
        _LOCAL.clear()
    for server in servers:
        server.close()


def tokenize(url: str, api_key: str | None, text: str) -> list[int]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    response = httpx.post(url, json={"content": text}, headers=headers, timeout=10.0)
    response.raise_for_status()
    tokens = response.json()["tokens"]
    if not isinstance(tokens, list):
        raise TypeError("tokens is not a list")
    return tokens
