"""The UI's handlers and rendering on the real sample assistant, and its API on a live server on loopback.

The browser tests (tests/browser) drive the same page in chromium.
"""

from __future__ import annotations

import html
import socket
import time
from collections.abc import Iterator
from datetime import datetime

import gradio as gr
import pytest
from gradio_client import Client
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from app.export import conversation_markdown, conversation_pdf
from app.handlers import Handlers, readable
from app.ui import auth_from_env, build_ui, serve
from app.ui_render import (
    NOTHING_SELECTED,
    Scope,
    Turn,
    answer_markdown,
    cite_link,
    evidence_panel,
    exchanges,
    md_text,
    parse_cite_target,
)
from app.workspace import Workspace
from assistant.chain import Assistant
from core.answer import Answer, Citation, Conflict, Passage
from core.errors import ConfigError
from core.filters import SearchFilter
from core.settings import Settings

CAMP = "Which organisation manages the Tamsin Plain camp?"
KESTRIA = "Which deputy governor voted against the Bank of Kestria's rate increase?"
SAMPLE = Scope("sample")


def passage(
    text: str, title: str = "Title", url: str = "https://example.test/a", start: int = 100
) -> Passage:
    return Passage(
        "c", "a", title, "Src", url, "Ann Author", "2024-01-01", text, start, start + len(text), 0.5
    )


@pytest.fixture(scope="module")
def workspace(sample_settings, sample_index, sample_assistant) -> Workspace:
    return Workspace(sample_settings, {"sample": sample_index}, {"sample": sample_assistant})


@pytest.fixture(scope="module")
def handlers(workspace) -> Handlers:
    return Handlers(workspace)


def ask(handlers: Handlers, question: str, turns=(), *, sources=(), since="", until="") -> list[tuple]:
    return list(handlers.respond(question, list(turns), "sample", list(sources), since, until))


# --- Rendering ----------------------------------------------------------------------------------------


def test_evidence_escapes_article_text_and_highlights_the_span():
    text = "Calm day. <img src=x onerror=alert(1)> was posted. <script>alert(2)</script>"
    p = passage(text, title="<b>Title</b>", url="javascript:alert(3)")
    answer = Answer("x [1].", False, [Citation(1, p, 110, 110 + len("<img src=x onerror=alert(1)>"), "")])
    out = evidence_panel([Turn(answer, SAMPLE)])
    assert "<img" not in out and "<script>" not in out and "<b>Title</b>" not in out
    assert "javascript:" not in out
    assert "<mark>" + html.escape("<img src=x onerror=alert(1)>") + "</mark>" in out


def test_answer_bubble_links_only_real_citations_and_escapes_html_and_markdown():
    answer = Answer(
        "Ships *waited* <b>here</b> [1]. Not [3]. Also [2].",
        False,
        citations=[Citation(n, passage("p"), 100, 101, "p") for n in (1, 2)],
    )
    out = answer_markdown(Turn(answer, SAMPLE), 4)
    assert cite_link(4, 1) in out and cite_link(4, 2) in out
    assert r"\[3\]" in out and "&lt;b&gt;here&lt;/b&gt;" in out and r"\*waited\*" in out
    assert parse_cite_target("aa-cite-4-2@1712345") == (4, 2) and parse_cite_target("nonsense") is None
    assert md_text("1. # title") == r"1\. \# title"


def test_export_holds_each_question_its_answer_and_numbered_sources():
    p = passage("The quay was renamed <Saltreach Pier> on Tuesday.", title="Harbour notice")
    answer = Answer(
        "The quay was renamed [1].",
        False,
        [Citation(1, p, 100, 137, p.text[:37])],
        [p],
        question="Q?",
        rewritten_question="Q? and <b>more</b>",
    )
    scoped = Scope("sample", SearchFilter(sources=("Src",)))
    turns = [Turn(answer, scoped), Turn(Answer("", True, question="R?"), scoped)]
    out = conversation_markdown(exchanges(turns), datetime(2026, 1, 2))
    assert "## 1. Q?" in out and "The quay was renamed [^1-1]." in out
    assert (
        "[^1-1]: **Harbour notice**, Src, Ann Author, 2024-01-01. <https://example.test/a> "
        "“The quay was renamed &lt;Saltreach Pier&gt;”" in out
    )
    assert "searched for: Q? and &lt;b&gt;more&lt;/b&gt;*" in out  # escaped once
    assert (
        f"## 2. R?\n\n*collection `sample` · only source Src · answerer extractive*\n\n{NOTHING_SELECTED}."
        in out
    )
    pdf = conversation_pdf(exchanges(turns), datetime(2026, 1, 2))
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_differing_reports_are_flagged_in_the_bubble_the_panel_and_the_export():
    p = passage("The Fed raised rates by 75 basis points <b>again</b>.")
    answer = Answer(
        "By a quarter point [1].",
        False,
        [Citation(1, p, 100, 101, "x")],
        [p],
        question="Q?",
        conflicts=[Conflict(1, "2022-11-03", p.text, 100, 100 + len(p.text), ("0.75 pt",))],
    )
    turn = Turn(answer, SAMPLE)
    assert "⇄ reports differ: \\[1\\] of 2022-11-03" in answer_markdown(turn, 0)
    panel = evidence_panel([turn])
    assert "Reports differ: [1] of 2022-11-03" in panel and "<b>again</b>" not in panel
    assert "Reports differ: [^1-1] of 2022-11-03" in conversation_markdown(
        exchanges([turn]), datetime(2026, 1, 2)
    )
    plain = Answer("No conflict [1].", False, [Citation(1, p, 100, 101, "x")], [p])
    assert "reports differ" not in answer_markdown(Turn(plain, SAMPLE), 0)


# --- Chat -----------------------------------------------------------------------------------------------


def test_chat_streams_then_links_citations_and_opens_the_first(handlers):
    updates = ask(handlers, CAMP)
    first_chat, box, *_ = updates[0]
    assert "Searching the articles" in first_chat[-1]["content"] and box == ""
    reading, _, _, sources = updates[1]  # the sources, before the first word of the answer
    assert "Reading " in reading[-1]["content"] and " passages" in reading[-1]["content"]
    assert "Sources for: " in sources and "Overcrowding" in sources
    assert any("▍" in u[0][-1]["content"] for u in updates[2:-1])  # the draft, before verification
    chat, box, turns, panel = updates[-1]
    assert "International Relief Coordination Office" in chat[-1]["content"]
    assert cite_link(0, 1) in chat[-1]["content"] and len(turns) == 1
    assert "Answer 1: " in panel and "<mark>" in panel and "[1] Overcrowding" in panel


def test_a_follow_up_is_rewritten_and_a_clicked_citation_opens_its_passage(handlers):
    *_, (_, _, turns, _) = ask(handlers, KESTRIA)
    *_, (chat, _, turns, _) = ask(handlers, "And what did he say?", turns)
    assert len(turns) == 2 and "searched for: Which deputy governor" in chat[-1]["content"]
    second = turns[0].answer.citations[-1]
    panel = handlers.select_citation(f"aa-cite-0-{second.n}@1712345", turns)
    assert f"Answer 1: {html.escape(KESTRIA)}" in panel
    assert f"[{second.n}] {html.escape(second.passage.title)}</div>" in panel
    label = f"[{second.n}] {html.escape(second.passage.title)}"
    assert f"<li class='aa-on'>{cite_link(0, second.n, label)}" in panel  # selected in the source list


def test_filters_limit_the_sources_and_an_empty_selection_says_so(handlers):
    *_, (_, _, turns, _) = ask(handlers, CAMP, sources=["Frontier Dispatch"])
    assert all(c.passage.source == "Frontier Dispatch" for c in turns[-1].answer.citations)
    *_, (chat, _, turns, panel) = ask(handlers, CAMP, since="2031-01-01")
    assert chat[-1]["content"].startswith(md_text(NOTHING_SELECTED)) and "since 2031" in chat[-1]["content"]
    assert "Nothing in the selected articles." in panel and "filters (since 2031-01-01): widen them" in panel


def test_a_bad_date_or_an_empty_range_is_a_readable_error(handlers):
    with pytest.raises(gr.Error, match="'31/01/2024' is not a date: write YYYY-MM-DD"):
        ask(handlers, CAMP, since="31/01/2024")
    with pytest.raises(gr.Error, match="The date range is empty"):
        ask(handlers, CAMP, since="2024-02-01", until="2024-01-01")


def test_a_failing_model_is_a_message_in_the_chat_not_a_traceback(sample_assistant):
    broken = FakeListChatModel(responses=["The camp is run by IRCO [1]."], error_on_chunk_number=3)
    assistant = Assistant(
        sample_assistant.retriever, sample_assistant.embeddings, sample_assistant.articles, broken
    )
    workspace = Workspace(Settings(collection="sample", llm="extractive"), assistants={"sample": assistant})
    with pytest.warns(UserWarning, match="The language model failed while answering"):
        *_, (chat, box, turns, _) = ask(Handlers(workspace), CAMP)
    assert chat[-1]["content"].startswith("⚠ The language model failed while answering")
    assert "Traceback" not in chat[-1]["content"] and box == CAMP and turns == []
    assert readable(RuntimeError("boom"), "Answering") == (
        "Answering failed (RuntimeError: boom). The server log has the details."
    )


def test_new_chat_clears_and_export_needs_a_conversation(handlers):
    chat, turns, panel, _ = handlers.new_chat()
    assert chat == [] and turns == [] and "Ask a question" in panel
    with pytest.raises(gr.Error, match="Nothing to export yet"):
        handlers.export([])


# --- Articles: uploads and collections ----------------------------------------------------------------


def test_uploads_report_each_file_and_are_answerable_at_once(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", collection="uploads", llm="extractive")
    handlers = Handlers(Workspace(settings, max_upload_mb=0.001))  # 1 KB per file
    fact = tmp_path / "observatory.txt"
    fact.write_text(
        "Title: Quorvath Observatory Counts Record Meteor Shower\nSource: Skyline Courier\n\n"
        "Astronomers at the Quorvath Observatory counted 1,482 meteors in one night.\n"
    )
    big, exe, broken = tmp_path / "big.txt", tmp_path / "tool.exe", tmp_path / "feed.json"
    big.write_text("word " * 400)
    exe.write_bytes(b"MZ")
    broken.write_text('{"title": "Half')
    rows, status, sources, articles, cleared = handlers.upload(
        [str(p) for p in (fact, big, exe, broken)], "uploads"
    )
    by_file = {row[0]: row for row in rows}
    assert by_file["observatory.txt"][1:3] == ["added", "Quorvath Observatory Counts Record Meteor Shower"]
    assert by_file["big.txt"][1] == "error" and "over the 0.001 MB limit" in by_file["big.txt"][3]
    assert by_file["tool.exe"][1] == "error" and ".exe is not a supported type" in by_file["tool.exe"][3]
    assert by_file["feed.json"][1] == "error" and "JSON" in by_file["feed.json"][3]
    assert "**1** articles" in status and "`uploads`" in status and cleared is None
    assert sources.choices == [("Skyline Courier", "Skyline Courier")]
    assert articles[0][:2] == ["Quorvath Observatory Counts Record Meteor Shower", "Skyline Courier"]
    assert (settings.data_dir / "uploads" / "uploads" / "observatory.txt").exists()  # kept beside the index
    *_, (chat, _, turns, _) = list(
        handlers.respond("How many meteors did Quorvath count?", [], "uploads", [], "", "")
    )
    assert "1,482" in chat[-1]["content"] and turns[0].answer.citations
    rows, *_ = handlers.upload([str(fact)], "uploads")
    assert rows == [["observatory.txt", "unchanged", "Quorvath Observatory Counts Record Meteor Shower", ""]]
    with pytest.raises(gr.Error, match="Choose files to add first"):
        handlers.upload([], "uploads")


def test_switching_collection_shows_its_counts_sources_and_articles(handlers, workspace):
    assert "sample" in workspace.collections()
    status, sources, articles = handlers.switch_collection("sample")
    assert "articles (" in status and "`sample`" in status
    assert ("Frontier Dispatch", "Frontier Dispatch") in sources.choices and sources.value == []
    assert len(articles) >= 14 and all(len(row) == 5 for row in articles)
    with pytest.raises(gr.Error, match="Collection name"):
        handlers.switch_collection("no")


def test_login_comes_from_both_environment_variables_or_neither():
    assert auth_from_env({}) is None
    assert auth_from_env({"ASSISTANT_UI_USER": "ana", "ASSISTANT_UI_PASSWORD": "s3cret"}) == ("ana", "s3cret")
    with pytest.raises(ConfigError, match="Set both"):
        auth_from_env({"ASSISTANT_UI_USER": "ana"})


# --- The API, on a live server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(workspace, sample_assistant) -> Iterator[tuple[str, gr.Blocks]]:
    """The UI on loopback; collection "slow" answers through a model that takes about 4 s (the LLM boundary)."""
    slow = FakeListChatModel(responses=["The camp is managed by the relief office. " * 3], sleep=0.03)
    a = sample_assistant
    workspace = Workspace(
        workspace.settings,
        assistants={
            "sample": a,
            "slow": Assistant(a.retriever, a.embeddings, a.articles, slow, backend="slow"),
        },
    )
    demo = build_ui(workspace)
    url = serve(demo, "127.0.0.1", free_port(), block=False)
    yield url, demo
    demo.close()


def test_api_ask_returns_the_answer_and_its_citations_as_json(live):
    url, _ = live
    result = Client(url, verbose=False).predict(CAMP, api_name="/ask")
    assert "International Relief Coordination Office" in result["answer"] and result["declined"] is False
    citation = result["citations"][0]
    assert {"n", "title", "source", "url", "author", "published", "passage", "quote", "start", "end"} <= set(
        citation
    )
    assert citation["quote"] in citation["passage"]
    filtered = Client(url, verbose=False).predict(CAMP, "sample", "", "2031-01-01", "", api_name="/ask")
    assert filtered["declined"] and filtered["passages"] == []


def test_api_errors_are_readable_messages(live):
    url, _ = live
    with pytest.raises(Exception, match="The question is empty") as error:
        Client(url, verbose=False).predict("  ", api_name="/ask")
    assert "Traceback" not in str(error.value)
    with pytest.raises(Exception, match="k must be between 1 and 50"):
        Client(url, verbose=False).predict("camp", "", "", "", "", 0, api_name="/search")


def test_retrieval_is_not_blocked_by_a_long_answer_in_another_session(live):
    url, demo = live
    answering = Client(url, verbose=False).submit(CAMP, "slow", api_name="/ask")
    time.sleep(0.8)  # the slow answer is being generated
    began = time.perf_counter()
    hits = Client(url, verbose=False).predict("refugee camp water", api_name="/search")
    assert time.perf_counter() - began < 2.0 and not answering.done()
    assert hits and hits[0]["title"].startswith("Overcrowding")
    assert answering.result(timeout=30)["backend"] == "slow"
    limits = {fn.api_name: (fn.concurrency_id, fn.concurrency_limit) for fn in demo.fns.values()}
    assert limits["ask"][0] == "answer" and limits["search"][0] != "answer"


def test_a_login_is_required_when_one_is_set(workspace):
    demo = build_ui(workspace)
    url = serve(demo, "127.0.0.1", free_port(), auth=("ana", "s3cret"), block=False)
    try:
        with pytest.raises(Exception):  # noqa: B017 - the client's error for a refused login varies
            Client(url, verbose=False)
        hits = Client(url, auth=("ana", "s3cret"), verbose=False).predict("meteors", api_name="/search")
        assert isinstance(hits, list)
    finally:
        demo.close()
