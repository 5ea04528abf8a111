"""The UI's handlers on the real sample assistant (the browser tests belong to the analyst-UI work)."""

from __future__ import annotations

import html

from assistant.answer import Answer, Citation, Passage
from assistant.ui import _pairs, build_ui, message_text, render_sources


def test_history_in_gradio_6_message_format_becomes_question_answer_pairs():
    history = [
        {"role": "user", "content": [{"type": "text", "text": "Who leads the union?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Ada Brenn [1]."}]},
        {"role": "user", "content": "And what did they demand?"},
        {"role": "assistant", "content": "A raise [2]."},
    ]
    assert _pairs(history) == [
        ("Who leads the union?", "Ada Brenn [1]."),
        ("And what did they demand?", "A raise [2]."),
    ]
    assert message_text({"text": "x"}) == "x"


def test_sources_escape_article_text_and_highlight_the_span():
    text = "Calm day. <img src=x onerror=alert(1)> was posted. <script>alert(2)</script>"
    p = Passage(
        "c",
        "a",
        "<b>Title</b>",
        "Src",
        "javascript:alert(3)",
        "",
        "2024-01-01",
        text,
        100,
        100 + len(text),
        0.5,
    )
    answer = Answer("x [1].", False, [Citation(1, p, 110, 110 + len("<img src=x onerror=alert(1)>"), "")])
    out = render_sources(answer)
    assert "<img" not in out and "<script>" not in out and "<b>Title</b>" not in out
    assert "javascript:" not in out
    assert "<mark>" + html.escape("<img src=x onerror=alert(1)>") + "</mark>" in out


def test_chat_handler_streams_an_answer_with_its_sources(sample_assistant, sample_settings):
    demo = build_ui(sample_assistant, sample_settings)
    respond = next(fn.fn for fn in demo.fns.values() if fn.api_name == "chat")
    updates = list(respond("Which organisation manages the Tamsin Plain camp?", []))
    history, box, sources = updates[-1]
    assert box == ""
    assert "International Relief Coordination Office" in history[-1]["content"]
    assert "aa-source" in sources and "<mark>" in sources
