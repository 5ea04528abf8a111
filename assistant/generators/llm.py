"""The answering model behind one LangChain seam, ``BaseChatModel``: llama.cpp here, or an OpenAI-style API.

Both backends are the same code path. ``local`` starts llama.cpp's own OpenAI-compatible HTTP server inside
this process (``xllamacpp.Server``, on 127.0.0.1, a free port and a random API key) and talks to it with
``ChatOpenAI``, exactly as ``openai`` talks to a remote server. llama.cpp applies the chat template stored in
the GGUF and stops at the model's end-of-generation token or after ``max_tokens``.

Failures reach callers as ``LLMError`` (or ``ModelError`` / ``ConfigError`` for setup problems), each saying
what happened and what to do.

openai 2.x speaks HTTP through ``httpx`` and 3.x through ``httpx2``: nothing of either crosses the openai
boundary from here (timeouts are ``openai.Timeout``), and errors are caught as the installed client raises them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr, SecretStr

from assistant.generators.llama_server import local_server, tokenize
from assistant.generators.tokens import estimate_tokens
from core.errors import ConfigError, LLMError, ModelError
from core.settings import Settings
from models.catalog import gguf_path, gguf_ready, gguf_spec

# The HTTP library under the installed openai client (httpx for openai 2.x, httpx2 for 3.x), whose errors can
# escape the SDK mid-stream; and this module's own (the llama.cpp tokenizer is asked through httpx).
_client_http = importlib.import_module("httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx")
HTTP_ERRORS: tuple[type[Exception], ...] = tuple({httpx.HTTPError, _client_http.HTTPError})
TIMEOUTS: tuple[type[Exception], ...] = tuple({httpx.TimeoutException, _client_http.TimeoutException})
TRANSPORT_ERRORS: tuple[type[Exception], ...] = tuple({httpx.TransportError, _client_http.TransportError})
REQUEST_ERRORS: tuple[type[Exception], ...] = (openai.OpenAIError, *HTTP_ERRORS)

# A CPU model on 2 cores can take minutes on a long prompt; a remote API should answer much sooner.
LOCAL_TIMEOUT = openai.Timeout(900.0, connect=5.0)
REMOTE_TIMEOUT = openai.Timeout(180.0, connect=10.0)


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
        except REQUEST_ERRORS as exc:
            raise self._error(exc) from exc

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        try:
            yield from super()._stream(*args, **kwargs)
        except REQUEST_ERRORS as exc:
            raise self._error(exc) from exc

    async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
        try:
            return await super()._agenerate(*args, **kwargs)
        except REQUEST_ERRORS as exc:
            raise self._error(exc) from exc

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        try:
            async for chunk in super()._astream(*args, **kwargs):
                yield chunk
        except REQUEST_ERRORS as exc:
            raise self._error(exc) from exc

    def get_num_tokens(self, text: str) -> int:
        """Exact with a llama.cpp server; otherwise an estimate (``estimate_tokens``), never a download."""
        if self.tokenize_url and self._tokenizer_works is not False:
            key = (
                self.openai_api_key.get_secret_value() if isinstance(self.openai_api_key, SecretStr) else None
            )
            try:
                count = len(tokenize(self.tokenize_url, key, text))
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
    if isinstance(exc, (openai.APITimeoutError, *TIMEOUTS)):
        return LLMError(
            f"{_cap(server)} did not answer in time. It may be busy or too slow for this prompt: ask for "
            "fewer passages (ASSISTANT_K) or a shorter answer (ASSISTANT_MAX_TOKENS), or try again."
        )
    if isinstance(exc, (openai.APIConnectionError, *TRANSPORT_ERRORS)):
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
        if isinstance(current, (*TRANSPORT_ERRORS, OSError)):
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
