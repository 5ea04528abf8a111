"""The chat UI: thin Gradio handlers over ``Assistant.stream``; all logic lives in the chain."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.answer import Answer
from assistant.chain import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError

EMPTY_SOURCES = "<p class='aa-muted'>Sources of the answer appear here.</p>"
CSS = """
.aa-source {border-left: 3px solid #6b8afd; padding: 4px 10px; margin: 8px 0;}
.aa-meta {color: #666; font-size: 0.9em;}
.aa-passage mark {background: #fff1a8;}
.aa-muted {color: #888;}
.aa-warn {color: #a15c00;}
"""


def render_sources(answer: Answer) -> str:
    """HTML for the cited passages, the supporting span highlighted. Every article string is escaped."""
    if answer.declined:
        return "<p class='aa-muted'>No passage in the articles answers this question.</p>"
    parts = []
    for c in answer.citations:
        p = c.passage
        meta = " · ".join(html.escape(x) for x in (p.source, p.author, p.published) if x)
        web = p.url.lower().startswith(("http://", "https://"))  # never a javascript: or data: link
        link = (
            f" <a href='{html.escape(p.url, quote=True)}' target='_blank' rel='noopener'>link</a>"
            if web
            else ""
        )
        lo, hi = c.start - p.start, c.end - p.start
        passage = (
            html.escape(p.text[:lo])
            + "<mark>"
            + html.escape(p.text[lo:hi])
            + "</mark>"
            + html.escape(p.text[hi:])
        )
        parts.append(
            f"<div class='aa-source' id='source-{c.n}'><b>[{c.n}] {html.escape(p.title)}</b>"
            f"<div class='aa-meta'>{meta}{link}</div><div class='aa-passage'>{passage}</div></div>"
        )
    flagged = [s.text for s in answer.sentences if not s.supported] + answer.warnings
    parts.extend(f"<p class='aa-warn'>⚠ {html.escape(text)}</p>" for text in flagged)
    return "".join(parts)


def _escape_markdown_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_ui(assistant: Assistant, settings: Settings) -> gr.Blocks:
    articles, chunks = assistant.articles.counts()

    def respond(
        message: str, history: list[dict[str, Any]]
    ) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
        message = message.strip()
        if not message:
            yield history, "", EMPTY_SOURCES
            return
        pairs = _pairs(history)
        history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        yield history, "", EMPTY_SOURCES
        draft = ""
        try:
            for item in assistant.stream(message, pairs):
                if isinstance(item, Answer):
                    text = _escape_markdown_html(item.text)
                    if item.rewritten_question:
                        text += (
                            f"\n\n<sub>searched for: {_escape_markdown_html(item.rewritten_question)}</sub>"
                        )
                    history[-1] = {"role": "assistant", "content": text}
                    yield history, "", render_sources(item)
                else:
                    draft += item
                    history[-1] = {"role": "assistant", "content": _escape_markdown_html(draft)}
                    yield history, "", EMPTY_SOURCES
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    def ask_json(question: str) -> dict[str, Any]:
        """Answer one question; the Answer as JSON (answer, declined, citations, ...)."""
        try:
            return assistant.ask(question).to_dict()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="Article Assistant", analytics_enabled=False) as demo:
        gr.Markdown(
            f"## Article Assistant\nAsk about the **{articles}** articles in collection "
            f"`{html.escape(settings.collection)}` ({chunks} passages). Answers cite their passages as [n]; "
            f"answerer: `{assistant.backend}`."
        )
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=480, sanitize_html=True, feedback_options=None)
                box = gr.Textbox(
                    placeholder="Ask a question about the articles…", show_label=False, submit_btn=True
                )
                clear = gr.Button("New chat", size="sm")
            with gr.Column(scale=2):
                sources = gr.HTML(EMPTY_SOURCES, label="Sources")
        box.submit(respond, [box, chat], [chat, box, sources], api_name="chat")
        clear.click(lambda: ([], EMPTY_SOURCES), None, [chat, sources], api_visibility="private")
        gr.api(ask_json, api_name="ask")
    return demo


def _pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    question = None
    for message in history:
        text = message_text(message.get("content"))
        if message.get("role") == "user":
            question = text
        elif question is not None:
            pairs.append((question, text))
            question = None
    return pairs


def message_text(content: Any) -> str:
    """The text of a chat message, whether Gradio gives it as a string or as a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(message_text(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or "")
    return ""


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    from assistant.factory import build_assistant

    assistant = build_assistant(settings)
    demo = build_ui(assistant, settings)
    demo.queue(default_concurrency_limit=2)
    print(f"Article Assistant on http://{host}:{port} (answerer: {assistant.backend})", flush=True)
    demo.launch(server_name=host, server_port=port, css=CSS, footer_links=["api"])
