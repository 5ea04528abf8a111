"""The analyst's chat UI: the Gradio layout and thin handlers over the chain.

What is shown is rendered in ``app/ui_render.py`` and what each event does is in ``app/handlers.py``;
this module lays out the page and wires the events. The public API is
``/ask`` (an answer with its citations, as JSON) and ``/search`` (passages only, no answerer).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import gradio as gr

from app.analysis_handlers import AnalysisHandlers
from app.handlers import Handlers
from app.ui_analysis import (
    ANALYSIS_CSS,
    CHECK_BRIDGE_JS,
    EMPTY_CHECK_PANEL,
    EMPTY_EVENT_PANEL,
    EVENT_BRIDGE_JS,
)
from app.ui_render import CITE_BRIDGE_JS, CSS, EMPTY_PANEL
from app.workspace import MAX_UPLOAD_MB, Workspace
from core.errors import ConfigError
from core.settings import Settings
from ingest.load import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

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


def auth_from_env(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The UI's username and password from ``ASSISTANT_UI_USER``/``ASSISTANT_UI_PASSWORD``, if both are set."""
    user, password = (env.get(name, "") for name in AUTH_ENV)
    if bool(user) != bool(password):
        raise ConfigError(f"Set both {AUTH_ENV[0]} and {AUTH_ENV[1]} to require a login, or neither.")
    return (user, password) if user else None


def build_ui(workspace: Workspace) -> gr.Blocks:
    """The page, its events and its queue. ``serve`` launches it."""
    h = Handlers(workspace)
    a = AnalysisHandlers(workspace)
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
                        export_pdf = gr.Button("Export as PDF", size="sm")
                    exported = gr.File(
                        label="Conversation with citations", visible=False, elem_id="aa-export"
                    )
                with gr.Column(scale=2):
                    panel = gr.HTML(EMPTY_PANEL, elem_id="aa-panel")
            with gr.Tab("Check", elem_id="aa-check-tab"), gr.Row():
                with gr.Column(scale=3):
                    draft = gr.Textbox(
                        placeholder="Paste a sentence or a paragraph: each sentence is checked against the articles…",
                        show_label=False,
                        lines=5,
                        elem_id="aa-check-text",
                    )
                    with gr.Row():
                        as_of = gr.Textbox(
                            label="As of", placeholder="YYYY-MM-DD (later articles are ignored)", scale=1
                        )
                        check = gr.Button("Check", variant="primary", scale=1, elem_id="aa-check")
                    checked = gr.HTML(elem_id="aa-checked")
                    with gr.Row():
                        export_checks = gr.Button("Export as Markdown", size="sm", elem_id="aa-check-md")
                        export_checks_pdf = gr.Button("Export as PDF", size="sm", elem_id="aa-check-pdf")
                    checks_file = gr.File(
                        label="Checked sentences with their reports", visible=False, elem_id="aa-check-export"
                    )
                with gr.Column(scale=2):
                    check_panel = gr.HTML(EMPTY_CHECK_PANEL, elem_id="aa-check-panel")
            with gr.Tab("Timeline", elem_id="aa-timeline-tab"):
                date_range = gr.Markdown(
                    a.date_range(default), elem_classes="aa-status", elem_id="aa-date-range"
                )
                with gr.Row(equal_height=True):
                    topic = gr.Textbox(
                        placeholder="A story, e.g. 'Bank of Kestria interest rate'",
                        show_label=False,
                        scale=3,
                        elem_id="aa-topic",
                    )
                    event_as_of = gr.Textbox(label="As of", placeholder="YYYY-MM-DD", scale=1)
                    new_since = gr.Textbox(
                        label="What changed since", placeholder="YYYY-MM-DD or 'last week'", scale=1
                    )
                with gr.Row():
                    show_timeline = gr.Button("Timeline", variant="primary", elem_id="aa-timeline")
                    show_brief = gr.Button("What changed", elem_id="aa-brief")
                with gr.Row():
                    with gr.Column(scale=3):
                        chart = gr.Plot(label="Reports per day, by outlet", elem_id="aa-chart")
                        events = gr.HTML(elem_id="aa-events")
                    with gr.Column(scale=2):
                        event_view = gr.HTML(EMPTY_EVENT_PANEL, elem_id="aa-event-panel")
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
        check_bridge = gr.HTML("", js_on_load=CHECK_BRIDGE_JS, visible="hidden", elem_id="aa-check-bridge")
        checks = gr.State([])
        event_bridge = gr.HTML("", js_on_load=EVENT_BRIDGE_JS, visible="hidden", elem_id="aa-event-bridge")
        story = gr.State(None)

        box.submit(h.respond, [box, turns, *scope], [chat, box, turns, panel], **private, **answering)
        chat.example_select(h.pick_example, None, box, **private).then(
            h.respond, [box, turns, *scope], [chat, box, turns, panel], **private, **answering
        )
        bridge.change(h.select_citation, [bridge, turns], panel, **private, show_progress="hidden")
        for starts_over in (clear.click, chat.clear):  # the button, and the chat's own trash icon
            starts_over(h.new_chat, None, [chat, turns, panel, exported], **private)
        export.click(h.export, turns, exported, **private)
        export_pdf.click(h.export_pdf, turns, exported, **private)
        collection.change(h.switch_collection, collection, [status, sources, articles], **private)
        add.click(
            h.upload,
            [files, collection],
            [results, status, sources, articles, files],
            **private,
            concurrency_id="ingest",
            concurrency_limit=1,
        )
        check.click(a.check, [draft, *scope, as_of], [checked, check_panel, checks, checks_file], **private)
        check_bridge.change(
            a.select_check, [check_bridge, checks], [checked, check_panel], **private, show_progress="hidden"
        )
        export_checks.click(a.export_checks, checks, checks_file, **private)
        export_checks_pdf.click(a.export_checks_pdf, checks, checks_file, **private)
        shown = [events, chart, event_view, story]
        for asks in (show_timeline.click, topic.submit):
            asks(a.timeline, [topic, *scope, event_as_of], shown, **private, **answering)
        show_brief.click(
            a.brief, [topic, new_since, collection, sources, event_as_of], shown, **private, **answering
        )
        event_bridge.change(
            a.select_event, [event_bridge, story], [events, event_view], **private, show_progress="hidden"
        )
        collection.change(a.date_range, collection, date_range, **private)
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
        css=CSS + ANALYSIS_CSS,
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
