"""The HTTP API (``assistant serve``): cited answers where analysts already work.

- ``POST /v1/chat/completions``: OpenAI's chat API, streamed (server-sent events) or not. The last user message
  is the question, earlier turns the history. The message content is the verified answer with its ``[n]`` marks
  and a source list, so a plain client shows the sources; the response also carries ``citations`` (each with
  its quoted span and offsets) and the whole ``answer``. Streamed, a first frame carries the passages being
  read (``sources``, as Open WebUI reads them), then the model's words, then a final frame with the verified
  answer (its differences from the words streamed, if any, and the sources).
- ``GET /v1/models`` (one model per collection), ``GET /health``.
- Native: ``POST /v1/search``, ``POST /v1/ask``, ``GET /v1/articles/{id}``; OpenAPI docs at ``/docs``.
- ``/mcp``: the MCP server (``app.mcp_server``) over streamable HTTP.

Safety: an optional bearer token (``ASSISTANT_API_TOKEN``) on ``/v1`` and ``/mcp``, no CORS unless origins
are given, a request size limit, and answers written one at a time per loaded model behind a bounded queue
(``app.gate``: past it, 429 with ``Retry-After``). A client that goes away mid-answer frees its slot.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api_schema import (
    MODEL_PREFIX,
    AskRequest,
    BriefRequest,
    ChatRequest,
    CheckRequest,
    Filters,
    SearchRequest,
    TimelineRequest,
    api_error,
    validation_message,
)
from app.export import answer_markdown, checks_markdown, sources_markdown
from app.gate import CHECKER, Busy, Gate, Held, gated
from app.workspace import Workspace
from assistant.chain import Assistant, AssistantInput
from core.answer import Answer, Passage, Sources
from core.errors import AssistantError, LLMError

MAX_BODY_BYTES = 1_000_000
ANSWER_QUEUE = 8  # answers that may wait for the model; past this, 429
_SOURCES_MARK = "\n\n**Sources**"


class NotFound(Exception):
    """A model, collection or article that does not exist (404 with what does)."""


def create_app(
    workspace: Workspace,
    *,
    token: str = "",
    cors_origins: tuple[str, ...] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    queue: int = ANSWER_QUEUE,
    mcp: bool = True,
    host: str = "127.0.0.1",
) -> FastAPI:
    """The API over ``workspace``'s collections (each opened, and its assistant built, once). ``host``: the
    interface served on (on loopback, MCP refuses requests that name another host: DNS rebinding)."""
    gates = Gates(queue)
    mcp_app = None
    if mcp:
        from app.mcp_server import build_mcp

        server = build_mcp(workspace, gates, streamable_http_path="/mcp", host=host)
        mcp_app = server.streamable_http_app()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if mcp_app is None:
            yield
            return
        async with server.session_manager.run():
            yield

    app = FastAPI(
        title="Article Assistant",
        description="Cited answers about the indexed news articles: OpenAI-compatible chat, search, ask, MCP.",
        version="1",
        lifespan=lifespan,
    )
    app.state.gates = gates
    app.include_router(_routes(workspace, gates))
    _errors(app)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["*"], allow_headers=["*"]
        )
    if mcp_app is not None:
        app.mount("/", mcp_app)  # its one route is /mcp; FastAPI's own routes match first
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)  # type: ignore[arg-type]
    if token:
        app.add_middleware(BearerToken, token=token)  # type: ignore[arg-type]
    return app


class Gates:
    """One ``Gate`` per loaded model: the local model writes one answer at a time, others a few (and the claim
    checker a few checks)."""

    def __init__(self, queue: int) -> None:
        self.queue = queue
        self._gates: dict[str, Gate] = {}

    def for_backend(self, backend: str) -> Gate:
        if backend not in self._gates:
            slots = 1 if backend.startswith("local") else 4
            self._gates[backend] = Gate(slots, self.queue)
        return self._gates[backend]


# --- Routes ------------------------------------------------------------------------------------------------


def _routes(workspace: Workspace, gates: Gates) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "collections": workspace.collections()}

    @router.get("/v1/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {
                    "id": f"{MODEL_PREFIX}{name}",
                    "object": "model",
                    "created": 0,
                    "owned_by": "article-assistant",
                }
                for name in workspace.collections()
            ],
        }

    @router.post("/v1/chat/completions", response_model=None)
    async def chat(body: ChatRequest, request: Request) -> Response:
        collection = _collection_of_model(workspace, body.model, body.collection)
        assistant = await run_in_threadpool(workspace.assistant, collection)
        question, history = _conversation(body)
        request_input, search = _answer_input(question, history, body)
        gate = gates.for_backend(assistant.backend)
        await gate.enter()
        items = _answering(assistant, request_input, search, Held(gate, asyncio.get_running_loop()))
        if body.stream:
            return StreamingResponse(
                _chat_events(items, body.model),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-store"},
            )
        answer = await _final(items)
        return JSONResponse(_completion(answer, body.model))

    @router.post("/v1/search")
    async def search(body: SearchRequest) -> dict[str, Any]:
        assistant = await run_in_threadpool(workspace.assistant, body.collection or "")
        passages = await run_in_threadpool(
            assistant.retriever.search, body.query, body.k or assistant.k, body.search_filter()
        )
        return {"query": body.query, "passages": [_passage(p) for p in passages]}

    @router.post("/v1/ask", response_model=None)
    async def ask(body: AskRequest) -> Response:
        assistant = await run_in_threadpool(workspace.assistant, body.collection or "")
        request_input, search = _answer_input(body.question, list(body.history), body)
        gate = gates.for_backend(assistant.backend)
        await gate.enter()
        answer = await _final(
            _answering(assistant, request_input, search, Held(gate, asyncio.get_running_loop()))
        )
        if body.format == "markdown":
            return PlainTextResponse(answer_markdown(answer), media_type="text/markdown; charset=utf-8")
        return JSONResponse(answer.to_dict())

    @router.post("/v1/check", response_model=None)
    async def check(body: CheckRequest) -> Response:
        """Each sentence of ``text`` checked against the archive: supported, contradicted or not_found, with
        the reports that say so (latest first) and the passages read."""
        assistant = await run_in_threadpool(workspace.assistant, body.collection or "")
        checks = await gated(
            gates.for_backend(CHECKER), lambda: assistant.check_text(body.text, body.search_filter())
        )
        if body.format == "markdown":
            notes = [f"collection {body.collection or workspace.settings.collection}"]
            return PlainTextResponse(
                checks_markdown(checks, datetime.now(), notes), media_type="text/markdown; charset=utf-8"
            )
        return JSONResponse(
            {
                "collection": body.collection or workspace.settings.collection,
                "claims": [c.to_dict() for c in checks],
            }
        )

    @router.post("/v1/timeline")
    async def timeline(body: TimelineRequest) -> dict[str, Any]:
        """How ``topic`` developed: dated events in order, each cited to every report that gave it."""
        assistant = await run_in_threadpool(workspace.assistant, body.collection or "")
        found = await gated(
            gates.for_backend(assistant.backend),
            lambda: assistant.timeline(body.topic, body.search_filter(), max_events=body.max_events),
        )
        return found.to_dict()

    @router.post("/v1/brief")
    async def brief(body: BriefRequest) -> dict[str, Any]:
        """What is new on ``topic`` since ``since``, latest first, and what it changed."""
        assistant = await run_in_threadpool(workspace.assistant, body.collection or "")
        found = await gated(
            gates.for_backend(assistant.backend),
            lambda: assistant.brief(body.topic, body.since, body.search_filter()),
        )
        return found.to_dict()

    @router.get("/v1/articles/{article_id}")
    async def article(article_id: str, collection: str = "") -> dict[str, Any]:
        index = await run_in_threadpool(workspace.index, collection)
        found = await run_in_threadpool(index.articles.article, article_id)
        if found is None:
            raise NotFound(
                f"No article {article_id!r} in collection {index.settings.collection!r}: take article ids from "
                "the citations of an answer or the passages of a search."
            )
        return {
            "id": found.id,
            "title": found.title,
            "source": found.source,
            "url": found.url,
            "author": found.author,
            "published": found.published,
            "text": found.text,
            "collection": index.settings.collection,
        }

    return router


def _collection_of_model(workspace: Workspace, model: str, collection: str | None) -> str:
    if collection:
        return collection
    known = workspace.collections()
    name = model.removeprefix(MODEL_PREFIX) if model.startswith(MODEL_PREFIX) else None
    if name not in known:
        listed = ", ".join(f"{MODEL_PREFIX}{n}" for n in known)
        raise NotFound(f"No model {model!r}: the models are {listed} (GET /v1/models), one per collection.")
    return name


def _conversation(body: ChatRequest) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the history (earlier user/assistant pairs, the sources
    lists this API appended to its answers left out)."""
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user" or not turns[-1].text().strip():
        raise AssistantError(
            'The last message must be the user\'s question: {"role": "user", "content": "..."}.'
        )
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in turns[:-1]:
        if m.role == "user":
            pending = m.text()
        elif pending is not None:
            history.append((pending, m.text().split(_SOURCES_MARK)[0].strip()))
            pending = None
    return turns[-1].text().strip(), history


def _answer_input(
    question: str, history: list[tuple[str, str]], body: Filters
) -> tuple[AssistantInput, dict[str, Any]]:
    search: dict[str, Any] = {"filter": body.search_filter()}
    if body.k:
        search["k"] = body.k
    if body.as_of:
        search["as_of"] = body.as_of
    return AssistantInput(question=question, history=history), search


# --- Answering in a worker thread ---------------------------------------------------------------------------


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def _answering(
    assistant: Assistant, request_input: AssistantInput, search: dict[str, Any], held: Held
) -> AsyncIterator[Sources | str | Answer]:
    """``assistant.stream`` in a worker thread, started now, its items handed to the event loop as they
    come. The slot is given back when the worker stops: at the end, on an error, or at the next word after
    the client went away (closing the stream closes the request to the model, which stops writing)."""
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[Any] = asyncio.Queue()
    cancel = threading.Event()

    def work() -> None:
        stream: Iterator[Any] | None = None
        try:
            stream = assistant.stream(request_input, **search)
            for item in stream:
                loop.call_soon_threadsafe(items.put_nowait, item)
                if cancel.is_set():
                    break
        except BaseException as exc:  # handed to the loop, raised there
            loop.call_soon_threadsafe(items.put_nowait, _Failed(exc))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            held.release()
            loop.call_soon_threadsafe(items.put_nowait, _END)

    threading.Thread(target=work, name="answer", daemon=True).start()

    async def drain() -> AsyncIterator[Sources | str | Answer]:
        try:
            while (item := await items.get()) is not _END:
                if isinstance(item, _Failed):
                    raise item.error
                yield item
        finally:
            cancel.set()

    return drain()


async def _final(items: AsyncIterator[Sources | str | Answer]) -> Answer:
    answer: Answer | None = None
    async for item in items:
        if isinstance(item, Answer):
            answer = item
    assert answer is not None
    return answer


# --- OpenAI shapes ------------------------------------------------------------------------------------------


def chat_content(answer: Answer) -> str:
    """What a chat client shows: the verified answer with its ``[n]`` marks, then the numbered sources."""
    sources = sources_markdown(answer.citations)
    return answer.text + (f"\n\n{sources}" if sources else "")


def _completion(answer: Answer, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": chat_content(answer)},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(answer),
        "citations": [c.to_dict() for c in answer.citations],
        "answer": answer.to_dict(),
    }


def _usage(answer: Answer) -> dict[str, int]:
    prompt = int(answer.timings.get("prompt_tokens", 0))
    completion = int(answer.timings.get("answer_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def _chat_events(items: AsyncIterator[Sources | str | Answer], model: str) -> AsyncIterator[str]:
    """Server-sent events: the passages first, the words as they are written, the verified answer last."""
    chunk_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def frame(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    written = ""
    try:
        async for item in items:
            if isinstance(item, Sources):
                yield frame(
                    {"role": "assistant", "content": ""},
                    sources=[_source(p, n) for n, p in enumerate(item.passages, 1)],
                )
            elif isinstance(item, str):
                written += item
                yield frame({"content": item})
            else:
                yield frame(
                    {"content": _after_words(written, item)},
                    "stop",
                    citations=[c.to_dict() for c in item.citations],
                    answer=item.to_dict(),
                    usage=_usage(item),
                )
    except (AssistantError, LLMError) as exc:
        yield f"data: {json.dumps(api_error(str(exc), 'server_error'))}\n\n"
    yield "data: [DONE]\n\n"


def _after_words(written: str, answer: Answer) -> str:
    """What follows the streamed words in a chat client: the verified answer where it differs from them (a
    moved citation, an added date, the latest report first, a refusal), then the sources."""

    def plain(text: str) -> str:
        return " ".join(text.replace("[", " [").split())

    same = plain(written).strip() and plain(written) == plain(answer.text)
    head = "" if same or not written.strip() else f"\n\n**Checked against the passages:** {answer.text}"
    if not written.strip():
        head = answer.text
    sources = sources_markdown(answer.citations)
    return head + (f"\n\n{sources}" if sources else "")


def _source(p: Passage, n: int) -> dict[str, Any]:
    """A passage as Open WebUI's ``sources`` entries take it (and with its number, as the answer cites it)."""
    return {
        "source": {"id": p.article_id, "name": p.title or p.url or p.article_id, "url": p.url},
        "document": [p.text],
        "metadata": [{"source": p.url or p.article_id, "name": p.title, "published": p.published, "n": n}],
    }


def _passage(p: Passage) -> dict[str, Any]:
    return {k: v for k, v in p.to_dict().items() if k != "chunk_id"} | {"chunk_id": p.chunk_id}


# --- Errors -------------------------------------------------------------------------------------------------


def _errors(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = validation_message(list(exc.errors()))
        return JSONResponse(api_error(message, param=field), status_code=400)

    @app.exception_handler(Busy)
    async def busy(_: Request, exc: Busy) -> JSONResponse:
        return JSONResponse(
            api_error(str(exc), "rate_limit_exceeded"),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(NotFound)
    async def missing(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(api_error(str(exc), "not_found_error"), status_code=404)

    @app.exception_handler(LLMError)
    async def model_failed(_: Request, exc: LLMError) -> JSONResponse:
        return JSONResponse(api_error(str(exc), "server_error"), status_code=502)

    @app.exception_handler(AssistantError)
    async def bad_request(_: Request, exc: AssistantError) -> JSONResponse:
        return JSONResponse(api_error(str(exc)), status_code=400)


# --- Middleware ---------------------------------------------------------------------------------------------


class BearerToken:
    """``Authorization: Bearer <token>`` required on /v1 and /mcp (401 without it); /health and the docs
    stay open."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(("/v1", "/mcp")):
            header = dict(scope.get("headers") or []).get(b"authorization", b"")
            given = header[7:] if header[:7].lower() == b"bearer " else b""
            if not hmac.compare_digest(given, self.token):
                message = (
                    "Missing or wrong API token: send the header 'Authorization: Bearer <token>' with the token "
                    "the server was started with (ASSISTANT_API_TOKEN)."
                )
                response = JSONResponse(
                    api_error(message, "authentication_error"),
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses a request body over ``max_bytes`` with 413, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is over {self.max_bytes // 1000} kB: send a shorter question or history."
        await JSONResponse(api_error(message), status_code=413)(scope, receive, send)


class _TooLarge(Exception):
    pass
