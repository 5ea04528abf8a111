"""The answering model behind one LangChain seam, ``BaseChatModel``: llama.cpp here, or an OpenAI-style API.

Both backends are the same code path. ``local`` starts llama.cpp's own OpenAI-compatible HTTP server inside
this process (``xllamacpp.Server``, on 127.0.0.1, a free port and a random API key) and talks to it with
``ChatOpenAI``, exactly as ``openai`` talks to a remote server. llama.cpp applies the chat template stored in
the GGUF and stops at the model's end-of-generation token or after ``max_tokens``.

Failures reach callers as ``LLMError`` (or ``ModelError`` / ``ConfigError`` for setup problems), each saying
what happened and what to do.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr, SecretStr

from assistant.config import Settings
from assistant.errors import ConfigError, LLMError, ModelError
from assistant.models import gguf_path, gguf_ready, gguf_spec

# A CPU model on 2 cores can take minutes on a long prompt; a remote API should answer much sooner.
LOCAL_TIMEOUT = httpx.Timeout(900.0, connect=5.0)
REMOTE_TIMEOUT = httpx.Timeout(180.0, connect=10.0)
CHARS_PER_TOKEN = 3  # the fallback estimate: deliberately high for English (about 4 characters per token)


# --- The llama.cpp server ----------------------------------------------------------------------------


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
        return _tokenize(self.tokenize_url, self.api_key, text)

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


# --- The chat model ----------------------------------------------------------------------------------


class OpenAICompatibleChat(ChatOpenAI):
    """``ChatOpenAI`` whose failures are ``LLMError``s, and which counts tokens with the server's tokenizer
    when the server has one (llama.cpp's ``/tokenize``), else estimates them."""

    server_label: str = ""  # how messages name the server, e.g. "the local model (llama.cpp, fast)"
    unreachable_hint: str = "Start it or fix ASSISTANT_OPENAI_BASE_URL."
    tokenize_url: str | None = None
    _tokenizer_works: bool | None = PrivateAttr(default=None)

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        try:
            return super()._generate(*args, **kwargs)
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        try:
            yield from super()._stream(*args, **kwargs)
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc

    async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
        try:
            return await super()._agenerate(*args, **kwargs)
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        try:
            async for chunk in super()._astream(*args, **kwargs):
                yield chunk
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc

    def get_num_tokens(self, text: str) -> int:
        """Exact with a llama.cpp server; otherwise an estimate (``estimate_tokens``), never a download."""
        if self.tokenize_url and self._tokenizer_works is not False:
            key = (
                self.openai_api_key.get_secret_value() if isinstance(self.openai_api_key, SecretStr) else None
            )
            try:
                count = len(_tokenize(self.tokenize_url, key, text))
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                self._tokenizer_works = False  # not llama.cpp: estimate from now on
            else:
                self._tokenizer_works = True
                return count
        return estimate_tokens(text)

    def _error(self, exc: Exception) -> LLMError:
        return describe_error(
            exc,
            self.server_label or f"the OpenAI-compatible server at {self.openai_api_base}",
            self.unreachable_hint,
            self.model_name,
        )


def describe_error(exc: Exception, server: str, unreachable_hint: str, model: str) -> LLMError:
    """An ``LLMError`` that says what went wrong with a request to ``server`` and what to do about it."""
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return LLMError(
            f"{_cap(server)} did not answer in time. It may be busy or too slow for this prompt: ask for "
            "fewer passages (ASSISTANT_K) or a shorter answer (ASSISTANT_MAX_TOKENS), or try again."
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return LLMError(f"Could not reach {server}: {_cause(exc)}. {unreachable_hint}")
    if isinstance(exc, openai.APIStatusError):
        status, detail = exc.status_code, _detail(exc)
        if status == 401 or status == 403:
            return LLMError(
                f"{_cap(server)} refused the API key ({status}: {detail}). Set ASSISTANT_OPENAI_API_KEY "
                "(or OPENAI_API_KEY) to a valid key."
            )
        if status == 404:
            return LLMError(
                f"{_cap(server)} has no model {model!r} or no chat endpoint there (404: {detail}). Fix "
                "ASSISTANT_OPENAI_MODEL, or the base URL (it usually ends in /v1)."
            )
        if status == 429:
            return LLMError(
                f"{_cap(server)} is rate-limiting us or the quota is used up (429: {detail}). Wait "
                "and try again, or check the account's plan."
            )
        if status == 400 and re.search(r"context|too long|exceed", detail, re.IGNORECASE):
            return LLMError(
                f"The prompt does not fit the model's context window ({detail}). Ask for fewer passages "
                "(ASSISTANT_K) or a larger window (ASSISTANT_CONTEXT_TOKENS)."
            )
        if status >= 500:
            return LLMError(f"{_cap(server)} failed ({status}: {detail}). Check its log, or try again.")
        return LLMError(f"{_cap(server)} rejected the request ({status}: {detail}).")
    return LLMError(f"The request to {server} failed: {exc}.")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cause(exc: BaseException) -> str:
    """The innermost transport error's message ("connection refused"), not the SDK's "Connection error."."""
    found: BaseException = exc
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.TransportError | OSError):
            found = current
        current = current.__cause__ or current.__context__
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(found)).strip().rstrip(".") or type(found).__name__
    return text[:1].lower() + text[1:]


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)
    return exc.message


def _tokenize(url: str, api_key: str | None, text: str) -> list[int]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    response = httpx.post(url, json={"content": text}, headers=headers, timeout=10.0)
    response.raise_for_status()
    tokens = response.json()["tokens"]
    if not isinstance(tokens, list):
        raise TypeError("tokens is not a list")
    return tokens


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate for English text (3 characters a token; English averages ~4).

    Text in scripts without spaces (Chinese, Japanese) can take a token per character, so this undercounts.
    """
    return len(text) // CHARS_PER_TOKEN + 1


def count_tokens(model: BaseChatModel | None, text: str) -> int:
    """Tokens ``text`` takes for ``model``: exact for llama.cpp (local or a llama.cpp server), else estimated.

    For ``prompts.build_messages(count_tokens=functools.partial(count_tokens, llm))``. The chat template adds
    a few tokens per message on top (about 5 for ChatML), which the prompt budget's margin covers.
    """
    if isinstance(model, OpenAICompatibleChat):
        return model.get_num_tokens(text)
    return estimate_tokens(text)


# --- Choosing the backend ----------------------------------------------------------------------------


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model ``settings.llm`` asks for; ``None`` means extractive answers (no language model).

    ``auto`` is the local model when ``assistant setup-model`` has put it in place, else extractive.
    """
    if settings.llm == "extractive":
        return None
    if settings.llm == "openai":
        return _openai_model(settings)
    if settings.llm == "auto" and not gguf_ready(settings.llm_profile, settings.models_dir):
        return None
    return _local_model(settings)


def _local_model(settings: Settings) -> OpenAICompatibleChat:
    spec = gguf_spec(settings.llm_profile)
    try:
        path = gguf_path(spec, settings.models_dir)
    except ModelError as exc:
        raise ModelError(
            f"{exc} (The local model for profile {spec.profile!r} is set up by `assistant setup-model "
            f"--profile {spec.profile}`; or answer without a model: --llm extractive.)"
        ) from exc
    server = local_server(path, context_tokens=settings.context_tokens, threads=settings.threads or None)
    return OpenAICompatibleChat(
        base_url=server.base_url,
        api_key=SecretStr(server.api_key or "local"),
        model=server.model_name,
        temperature=settings.temperature,
        max_completion_tokens=settings.max_tokens,
        timeout=LOCAL_TIMEOUT,
        max_retries=0,  # a retry would only repeat minutes of CPU work
        server_label=f"the local model ({spec.description}, llama.cpp in this process)",
        unreachable_hint="The in-process llama.cpp server has stopped; restart the assistant.",
        tokenize_url=server.tokenize_url,
    )


def _openai_model(settings: Settings) -> OpenAICompatibleChat:
    url = settings.openai_base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"ASSISTANT_OPENAI_BASE_URL={settings.openai_base_url!r} is not an http(s) URL; set it to the "
            "server's OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1."
        )
    official = parts.hostname.endswith("api.openai.com")
    if official and not settings.openai_api_key:
        raise ConfigError(
            "The OpenAI API at api.openai.com needs a key: set ASSISTANT_OPENAI_API_KEY (or OPENAI_API_KEY), "
            "or point ASSISTANT_OPENAI_BASE_URL at a local OpenAI-compatible server."
        )
    root = url[: -len("/v1")] if url.endswith("/v1") else url
    return OpenAICompatibleChat(
        base_url=url,
        api_key=SecretStr(
            settings.openai_api_key or "not-needed"
        ),  # local servers ignore it; the SDK wants one
        model=settings.openai_model,
        temperature=settings.temperature,
        max_completion_tokens=settings.max_tokens,
        timeout=REMOTE_TIMEOUT,
        max_retries=2,
        tokenize_url=None if official else root + "/tokenize",  # llama.cpp servers have it; others fall back
    )
