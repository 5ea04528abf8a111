"""What the chat UI does on each event: scope a question to a collection and filters, stream its answer,
search, list and ingest articles, and turn every failure into a readable message (rendering is in
``app/ui_render.py``)."""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from app.export import conversation_markdown, conversation_pdf
from app.ui_render import (
    EMPTY_PANEL,
    Scope,
    Turn,
    chat_messages,
    evidence_panel,
    exchanges,
    md_text,
    parse_cite_target,
    passages_html,
    sources_panel,
)
from app.workspace import Workspace
from core.answer import Answer, Passage, Sources
from core.article import Article, LoadError, Skipped
from core.errors import AssistantError, QuestionError
from core.filters import SearchFilter
from ingest.load import SUPPORTED_SUFFIXES, load_articles

log = logging.getLogger(__name__)
ARTICLE_LIMIT = 2000  # rows in the article list
MAX_PASSAGES = 50  # the most /search returns
_PROGRESS = gr.Progress()  # as a default, it tells Gradio to give the handler a progress bar


def parse_scope(collection: str, sources: Sequence[str] | str | None, since: str, until: str) -> Scope:
    """The filters as typed in the UI (or passed to the API: sources comma-separated) as a ``Scope``."""
    if isinstance(sources, str):
        sources = sources.split(",")
    return Scope(  # an empty date range is refused here, before anything is asked
        collection=collection or "",
        filter=SearchFilter(
            sources=tuple(s.strip() for s in sources or () if s.strip()),
            since=parse_day("Since", since),
            until=parse_day("Until", until),
        ),
    )


def parse_day(label: str, value: str | None) -> date | None:
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


def download(
    stem: str, kind: str, markdown: Callable[[datetime], str], pdf: Callable[[datetime], bytes]
) -> Any:
    """A Markdown (``kind`` "md") or PDF export as a file for the page to offer: ``stem-<time>.<kind>``."""
    now = datetime.now()
    path = Path(tempfile.mkdtemp(prefix="assistant-export-")) / f"{stem}-{now:%Y%m%d-%H%M%S}.{kind}"
    if kind == "pdf":
        path.write_bytes(pdf(now))
    else:
        path.write_text(markdown(now), encoding="utf-8")
    return gr.File(value=str(path), visible=True)


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
        return self._export(turns, "md")

    def export_pdf(self, turns: list[Turn]) -> Any:
        """The conversation and its citations as a PDF to download."""
        return self._export(turns, "pdf")

    def _export(self, turns: list[Turn], kind: str) -> Any:
        if not turns:
            raise gr.Error("Nothing to export yet: ask a question first.")
        return download("conversation", kind, lambda now: conversation_markdown(exchanges(turns), now),
                        lambda now: conversation_pdf(exchanges(turns), now))  # fmt: skip

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
