"""The analyst's chat UI: the Gradio layout and thin handlers over the chain.

What is shown is rendered in ``assistant/ui_render.py``; this module wires events, scopes questions to a
collection and filters, ingests uploads, and turns every failure into a readable message. The public API is
``/ask`` (an answer with its citations, as JSON) and ``/search`` (passages only, no answerer).
"""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answer import Answer, Passage, Sources
from assistant.chain import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError, ConfigError, QuestionError
from assistant.factory import Index, build_assistant, list_collections, open_index
from assistant.ui_render import (
    CITE_BRIDGE_JS,
    CSS,
    EMPTY_PANEL,
    Scope,
    Turn,
    chat_messages,
    conversation_markdown,
    evidence_panel,
    md_text,
    parse_cite_target,
    passages_html,
    sources_panel,
)
from ingest.article import Article, LoadError
from ingest.index import IngestReport
from ingest.load import SUPPORTED_SUFFIXES, Skipped, load_articles

log = logging.getLogger(__name__)

MAX_UPLOAD_MB = 20  # per file; Gradio refuses bigger uploads before they reach a handler
ANSWER_CONCURRENCY = 4  # answers in progress at once (extractive, or a remote OpenAI-compatible server)
LOCAL_ANSWER_CONCURRENCY = 1  # one in-process llama.cpp server on a few cores: answers take turns
OTHER_CONCURRENCY = 8  # retrieval-only work (search, citations, article list) never waits behind answers
AUTH_ENV = ("ASSISTANT_UI_USER", "ASSISTANT_UI_PASSWORD")
EXAMPLES = [  # questions the bundled sample corpus answers
    "Which organisation manages the Tamsin Plain camp?",
    "Which deputy governor voted against the Bank of Kestria's rate increase?",
    "How many people were forced to evacuate because of the Caldera Ridge fire?",
    "What price per share is Quillon offering Nebulite shareholders?",
]
CHAT_PLACEHOLDER = (
    "**Ask about the articles.** Every sentence of an answer cites its passage as [n]: click one to see the "
    "passage and the words that support it.\n\nExamples for the bundled sample corpus:"
)
ARTICLE_COLUMNS = ["title", "source", "author", "published", "passages"]
RESULT_COLUMNS = ["file", "result", "title", "reason"]
ARTICLE_LIMIT = 2000  # rows in the article list
MAX_PASSAGES = 50  # the most /search returns
_PROGRESS = gr.Progress()  # as a default, it tells Gradio to give the handler a progress bar


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
            report = index.ingest(items, on_progress)
        with self._lock:  # its retriever holds the BM25 index from before: rebuilt on the next question
            self._assistants.pop(self.settings_for(collection).collection, None)
        return report


def auth_from_env(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The UI's username and password from ``ASSISTANT_UI_USER``/``ASSISTANT_UI_PASSWORD``, if both are set."""
    user, password = (env.get(name, "") for name in AUTH_ENV)
    if bool(user) != bool(password):
        raise ConfigError(f"Set both {AUTH_ENV[0]} and {AUTH_ENV[1]} to require a login, or neither.")
    return (user, password) if user else None


def parse_scope(collection: str, sources: Sequence[str] | str | None, since: str, until: str) -> Scope:
    """The filters as typed in the UI (or passed to the API: sources comma-separated) as a ``Scope``."""
    if isinstance(sources, str):
        sources = sources.split(",")
    scope = Scope(
        collection=collection or "",
        sources=tuple(s.strip() for s in sources or () if s.strip()),
        since=_parse_day("Since", since),
        until=_parse_day("Until", until),
    )
    _ = scope.filter  # an empty date range is refused here, before anything is asked
    return scope


def _parse_day(label: str, value: str | None) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QuestionError(
            f"{label} date {value!r} is not a date: write YYYY-MM-DD, e.g. 2024-01-31."
        ) from None


def readable(exc: Exception, action: str) -> str:
    """A message for the analyst: ours as they are; anything else named, with its details in the log only."""
    if isinstance(exc, AssistantError):
        return str(exc)
    log.error("%s failed", action, exc_info=exc)
    return f"{action} failed ({type(exc).__name__}: {exc}). The server log has the details."


def toast(message: str) -> str:
    """A message for Gradio's pop-ups, which render HTML: it may quote a file name or an article."""
    return html.escape(message, quote=False)


@contextmanager
def readable_errors(action: str) -> Iterator[None]:
    """Show any failure inside as a readable message in the page (never a stack trace)."""
    try:
        yield
    except gr.Error:
        raise
    except Exception as exc:
        raise gr.Error(toast(readable(exc, action))) from None


class Handlers:
    """What the page's events do. Each takes the components' values and returns what they show."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    # --- Chat ---------------------------------------------------------------------------------------------

    def respond(
        self,
        message: str,
        turns: list[Turn],
        collection: str,
        sources: Sequence[str] | None,
        since: str,
        until: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream the answer into the chat; then show it with linked citations and its evidence."""
        question = " ".join((message or "").split())
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        with readable_errors("Reading the filters"):
            scope = parse_scope(collection, sources, since, until)
        shown = [*chat_messages(turns), {"role": "user", "content": md_text(question)}]
        pending = {"role": "assistant", "content": "<span class='aa-note'>Searching the articles…</span>"}
        yield [*shown, pending], "", turns, gr.skip()
        history = [(t.answer.question, t.answer.text) for t in turns]
        draft = ""
        try:
            assistant = self.workspace.assistant(scope.collection)
            for item in assistant.stream({"question": question, "history": history}, filter=scope.filter):
                if isinstance(item, Answer):
                    turns = [*turns, Turn(item, scope)]
                    yield chat_messages(turns), "", turns, evidence_panel(turns)
                elif isinstance(item, Sources):  # readable while the model writes
                    reading = {
                        "role": "assistant",
                        "content": f"<span class='aa-note'>Reading {len(item.passages)} passages…</span>",
                    }
                    yield [*shown, reading], "", turns, sources_panel(question, item.passages)
                else:
                    draft += item
                    yield (
                        [*shown, {"role": "assistant", "content": md_text(draft) + " ▍"}],
                        "",
                        turns,
                        gr.skip(),
                    )
        except Exception as exc:
            error = readable(exc, "Answering")
            gr.Warning(toast(error))
            failed = {"role": "assistant", "content": f"⚠ {md_text(error)}"}
            yield [*shown, failed], message, turns, gr.skip()

    def pick_example(self, selected: gr.SelectData) -> str:
        return str(selected.value.get("text", "")) if isinstance(selected.value, dict) else ""

    def select_citation(self, target: str, turns: list[Turn]) -> str:
        """The evidence panel for the citation link that was clicked (``aa-cite-<turn>-<n>``)."""
        chosen = parse_cite_target(target)
        return evidence_panel(turns, *chosen) if chosen else evidence_panel(turns)

    def new_chat(self) -> tuple[Any, ...]:
        return [], [], EMPTY_PANEL, gr.File(value=None, visible=False)

    def export(self, turns: list[Turn]) -> Any:
        """The conversation and its citations as a Markdown file to download."""
        if not turns:
            raise gr.Error("Nothing to export yet: ask a question first.")
        now = datetime.now()
        path = Path(tempfile.mkdtemp(prefix="assistant-export-")) / f"conversation-{now:%Y%m%d-%H%M%S}.md"
        path.write_text(conversation_markdown(turns, now), encoding="utf-8")
        return gr.File(value=str(path), visible=True)

    # --- Collections and articles -------------------------------------------------------------------------

    def status(self, collection: str) -> str:
        assistant = self.workspace.assistant(collection)
        articles, chunks = assistant.articles.counts()
        name = self.workspace.settings_for(collection).collection
        return (
            f"**{articles}** articles ({chunks} passages) in collection `{name}` · answers by "
            f"`{assistant.backend}` · every sentence cites its passage as [n]: click one to check it"
        )

    def articles(self, collection: str) -> list[list[Any]]:
        stored = self.workspace.assistant(collection).articles.list(ARTICLE_LIMIT)
        return [[a.title, a.source, a.author, a.published, a.chunks] for a in stored]

    def source_choices(self, collection: str) -> list[str]:
        stored = self.workspace.assistant(collection).articles.list()
        return sorted({a.source for a in stored if a.source}, key=str.lower)

    def switch_collection(self, collection: str) -> tuple[Any, ...]:
        """Show another collection: its counts, its sources to filter by, its articles."""
        with readable_errors(f"Opening collection {collection!r}"):
            return (
                self.status(collection),
                gr.Dropdown(choices=self.source_choices(collection), value=[], multiselect=True),
                self.articles(collection),
            )

    def upload(
        self, files: list[str] | None, collection: str, progress: gr.Progress = _PROGRESS
    ) -> tuple[Any, ...]:
        """Ingest uploaded files into the collection; one result row per file (or record)."""
        paths = [Path(f) for f in files or []]
        if not paths:
            raise gr.Error(f"Choose files to add first ({', '.join(SUPPORTED_SUFFIXES)}).")
        rows: list[list[str]] = []
        accepted: list[Path] = []
        with readable_errors("Adding the files"):
            for path in paths:
                problem = self.upload_problem(path)
                if problem:
                    rows.append([path.name, "error", "", problem])
                else:
                    accepted.append(self._keep(path, collection))
            if accepted:
                report = self.workspace.ingest(collection, self._read(accepted, progress))
                rows += [[Path(o.path).name, o.status, o.title, o.reason] for o in report.outcomes]
            return rows, *self.switch_collection(collection), None

    def upload_problem(self, path: Path) -> str:
        """Why an uploaded file is refused, or "" when it may be ingested."""
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            kind = path.suffix or "a file without an extension"
            return f"{kind} is not a supported type; upload {', '.join(SUPPORTED_SUFFIXES)}"
        size_mb = path.stat().st_size / 1e6
        if size_mb > self.workspace.max_upload_mb:
            return (
                f"{size_mb:.1f} MB is over the {self.workspace.max_upload_mb:g} MB limit for one upload: split "
                "it, or ingest it with `assistant ingest`"
            )
        return ""

    def _keep(self, path: Path, collection: str) -> Path:
        """A copy of the upload under the data directory: the article's path stays readable after Gradio's."""
        folder = (
            self.workspace.settings.data_dir / "uploads" / self.workspace.settings_for(collection).collection
        )
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(path, folder / path.name))

    @staticmethod
    def _read(paths: Sequence[Path], progress: gr.Progress) -> Iterator[Article | LoadError | Skipped]:
        for i, path in enumerate(paths):
            progress((i, len(paths)), desc=f"Reading and indexing {path.name}", unit="files")
            yield from load_articles([path])
        progress((len(paths), len(paths)), desc="Updating the search index", unit="files")

    # --- Retrieval only, and the API ----------------------------------------------------------------------

    def passages(self, query: str, scope: Scope, k: int = 5) -> list[Passage]:
        if not query.strip():
            raise QuestionError("The search is empty: type the words to look for.")
        if not 1 <= k <= MAX_PASSAGES:
            raise QuestionError(f"k must be between 1 and {MAX_PASSAGES}. Currently, k is {k}.")
        return self.workspace.assistant(scope.collection).retriever.search(query, k=k, filter=scope.filter)

    def search_html(
        self, query: str, collection: str, sources: Sequence[str] | None, since: str, until: str
    ) -> str:
        with readable_errors("Searching"):
            return passages_html(self.passages(query, parse_scope(collection, sources, since, until)))

    def ask(
        self, question: str, collection: str = "", sources: str = "", since: str = "", until: str = ""
    ) -> dict[str, Any]:
        """Answer a question about the articles. Returns the answer as JSON: `answer`, `declined`, and
        `citations` (each `n`, `title`, `source`, `url`, `author`, `published`, `passage`, `quote`, and
        `start`/`end`, the quote's offsets in the article), plus `sentences`, `passages`, `rewritten_question`,
        `timings` and `warnings`. Optional: `collection`, `sources` (comma-separated), `since`/`until`
        (YYYY-MM-DD)."""
        with readable_errors("Answering"):
            scope = parse_scope(collection, sources, since, until)
            return self.workspace.assistant(scope.collection).ask(question, filter=scope.filter).to_dict()

    def search(
        self,
        query: str,
        collection: str = "",
        sources: str = "",
        since: str = "",
        until: str = "",
        k: int = 5,
    ) -> list[dict[str, Any]]:
        """Retrieval only, no answerer: the `k` passages that best match `query`, best first, as JSON. The
        same optional filters as `/ask`."""
        with readable_errors("Searching"):
            return [
                p.to_dict() for p in self.passages(query, parse_scope(collection, sources, since, until), k)
            ]


def build_ui(workspace: Workspace) -> gr.Blocks:
    """The page, its events and its queue. ``serve`` launches it."""
    h = Handlers(workspace)
    default = workspace.settings.collection
    backend = workspace.assistant(default).backend
    answer_limit = LOCAL_ANSWER_CONCURRENCY if backend.startswith("local") else ANSWER_CONCURRENCY
    answering: dict[str, Any] = {"concurrency_id": "answer", "concurrency_limit": answer_limit}
    private: dict[str, Any] = {"api_visibility": "private"}

    with gr.Blocks(title="Article Assistant", analytics_enabled=False) as demo:
        gr.Markdown("## Article Assistant")
        status = gr.Markdown(h.status(default), elem_classes="aa-status")
        turns = gr.State([])
        with gr.Row(equal_height=True):
            collection = gr.Dropdown(workspace.collections(), value=default, label="Collection", scale=1)
            sources = gr.Dropdown(
                h.source_choices(default),
                value=[],
                multiselect=True,
                label="Sources (all when empty)",
                scale=2,
            )
            since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD", scale=1)
            until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD", scale=1)
        scope = [collection, sources, since, until]
        with gr.Tabs():
            with gr.Tab("Ask"), gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        label="Chat",
                        height=480,
                        sanitize_html=True,
                        latex_delimiters=[],
                        feedback_options=None,
                        buttons=["copy"],
                        placeholder=CHAT_PLACEHOLDER,
                        examples=[{"text": q} for q in EXAMPLES],
                        elem_id="aa-chat",
                    )
                    box = gr.Textbox(
                        placeholder="Ask a question about the articles…", show_label=False, submit_btn=True
                    )
                    with gr.Row():
                        clear = gr.Button("New chat", size="sm")
                        export = gr.Button("Export as Markdown", size="sm")
                    exported = gr.File(
                        label="Conversation with citations", visible=False, elem_id="aa-export"
                    )
                with gr.Column(scale=2):
                    panel = gr.HTML(EMPTY_PANEL, elem_id="aa-panel")
            with gr.Tab("Articles"):
                files = gr.File(
                    label=f"Add articles: {', '.join(SUPPORTED_SUFFIXES)}, up to {workspace.max_upload_mb:g} MB each",
                    file_count="multiple",
                    file_types=list(SUPPORTED_SUFFIXES),
                    elem_id="aa-upload",
                )
                add = gr.Button("Add to collection", variant="primary", elem_id="aa-add")
                results = gr.Dataframe(
                    headers=RESULT_COLUMNS,
                    label="Upload results",
                    interactive=False,
                    wrap=True,
                    column_widths=["22%", "10%", "33%", "35%"],
                    elem_id="aa-results",
                )
                articles = gr.Dataframe(
                    h.articles(default),
                    headers=ARTICLE_COLUMNS,
                    label="Articles in the collection",
                    interactive=False,
                    wrap=True,
                    show_search="search",
                    column_widths=["48%", "20%", "16%", "10%", "6%"],
                    elem_id="aa-articles",
                )
            with gr.Tab("Search passages"):
                query = gr.Textbox(
                    placeholder="Words to look for (retrieval only, no answer)",
                    show_label=False,
                    submit_btn=True,
                )
                hits = gr.HTML(elem_id="aa-hits")
        bridge = gr.HTML("", js_on_load=CITE_BRIDGE_JS, visible="hidden", elem_id="aa-cite-bridge")

        box.submit(h.respond, [box, turns, *scope], [chat, box, turns, panel], **private, **answering)
        chat.example_select(h.pick_example, None, box, **private).then(
            h.respond, [box, turns, *scope], [chat, box, turns, panel], **private, **answering
        )
        bridge.change(h.select_citation, [bridge, turns], panel, **private, show_progress="hidden")
        for starts_over in (clear.click, chat.clear):  # the button, and the chat's own trash icon
            starts_over(h.new_chat, None, [chat, turns, panel, exported], **private)
        export.click(h.export, turns, exported, **private)
        collection.change(h.switch_collection, collection, [status, sources, articles], **private)
        add.click(
            h.upload,
            [files, collection],
            [results, status, sources, articles, files],
            **private,
            concurrency_id="ingest",
            concurrency_limit=1,
        )
        query.submit(h.search_html, [query, *scope], hits, **private)
        gr.api(h.ask, api_name="ask", **answering)
        gr.api(h.search, api_name="search")
    demo.queue(default_concurrency_limit=OTHER_CONCURRENCY)
    return demo


def serve(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    max_upload_mb: float = MAX_UPLOAD_MB,
) -> str:
    """Start the UI on ``host:port`` (loopback unless told otherwise); returns its URL."""
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Article Assistant: sign in with the user and password the server was started with.",
        max_file_size=f"{max_upload_mb:g}mb",
        css=CSS,
        footer_links=["api"],
        show_error=False,
        prevent_thread_lock=not block,
        quiet=not block,
    )
    return url


def launch(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None
) -> None:
    workspace = Workspace(settings)
    demo = build_ui(workspace)
    backend = workspace.assistant().backend
    print(f"Article Assistant on http://{host}:{port} (answerer: {backend})", flush=True)
    if auth is None and host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Warning: {host} is reachable from other machines and no login is set ({AUTH_ENV[0]}).")
    serve(demo, host, port, auth=auth)
