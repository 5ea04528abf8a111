"""The HTTP API on a real uvicorn server on loopback, driven by the official ``openai`` client and httpx:
cited answers streamed and not, follow-ups, filters, refusals, bad requests, the token, the queue bound."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import openai
import pytest
import uvicorn
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from app.api import create_app
from app.gate import Busy, Gate
from app.workspace import Workspace
from assistant.chain import Assistant

VELMORA = "How many vessels were left waiting at anchor during the Velmora dock stoppage?"
UNANSWERABLE = "What transfer fee did the football club pay for its new centre-forward this summer?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def workspace(sample_settings, sample_index, sample_assistant) -> Workspace:
    return Workspace(sample_settings, {"sample": sample_index}, {"sample": sample_assistant})


@pytest.fixture(scope="module")
def api(workspace) -> Iterator[str]:
    with running(create_app(workspace)) as url:
        yield url


@pytest.fixture(scope="module")
def client(api) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api}/v1", api_key="not-needed", max_retries=0)


def test_models_are_the_collections(client):
    assert [m.id for m in client.models.list()] == ["articles:sample"]


def test_a_chat_answer_carries_its_sources_in_the_text_and_as_citations(client):
    reply = client.chat.completions.create(
        model="articles:sample", messages=[{"role": "user", "content": VELMORA}]
    )
    content = reply.choices[0].message.content or ""
    assert "38 container ships" in content and "[1]" in content and "**Sources**" in content
    extra = reply.model_extra or {}
    citation = extra["citations"][0]
    assert {"article_id", "title", "source", "url", "published", "quote", "start", "end"} <= set(citation)
    assert citation["quote"] and citation["end"] > citation["start"]
    assert extra["answer"]["declined"] is False and extra["answer"]["citations"] == extra["citations"]
    assert f"[{citation['n']}] **{citation['title']}**" in content


def test_a_streamed_answer_sends_the_passages_first_and_the_verified_answer_last(client):
    chunks = list(
        client.chat.completions.create(
            model="articles:sample", messages=[{"role": "user", "content": VELMORA}], stream=True
        )
    )
    first, last = chunks[0].model_extra or {}, chunks[-1].model_extra or {}
    assert first["sources"] and {"source", "document", "metadata"} <= set(first["sources"][0])
    assert "citations" not in first
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "38 container ships" in text and "**Sources**" in text
    assert last["citations"] and last["answer"]["declined"] is False
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_follow_up_is_rewritten_with_the_conversation(client):
    first = client.chat.completions.create(
        model="articles:sample", messages=[{"role": "user", "content": VELMORA}]
    )
    reply = client.chat.completions.create(
        model="articles:sample",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": VELMORA},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "And who chairs the mediation talks there?"},
        ],
    )
    answer = (reply.model_extra or {})["answer"]
    assert answer["rewritten_question"] and "Velmora" in answer["rewritten_question"]


def test_filters_are_set_through_extra_body(client):
    reply = client.chat.completions.create(
        model="articles:sample",
        messages=[{"role": "user", "content": VELMORA}],
        extra_body={"sources": ["Harbor Ledger"], "since": "2020-01-01", "k": 3},
    )
    citations = (reply.model_extra or {})["citations"]
    assert citations and {c["source"] for c in citations} == {"Harbor Ledger"}
    elsewhere = client.chat.completions.create(
        model="articles:sample",
        messages=[{"role": "user", "content": VELMORA}],
        extra_body={"sources": ["Agrarian Weekly"]},
    )
    assert "38 container ships" not in (elsewhere.choices[0].message.content or "")


def test_a_question_the_articles_do_not_answer_is_declined(client):
    reply = client.chat.completions.create(
        model="articles:sample", messages=[{"role": "user", "content": UNANSWERABLE}]
    )
    assert (reply.model_extra or {})["answer"]["declined"] is True
    assert "do not contain the answer" in (reply.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"since": "last week"}, "YYYY-MM-DD"),
        ({"k": 0}, "from 1 to 50"),
        ({"sources": ["No Such Outlet"]}, "Known sources include"),
    ],
)
def test_bad_filters_are_400s_that_say_what_to_write(client, body, says):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="articles:sample", messages=[{"role": "user", "content": VELMORA}], extra_body=body
        )
    assert says in str(caught.value)


def test_bad_requests_say_what_is_wrong(client, api):
    with pytest.raises(openai.NotFoundError, match="articles:sample"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": VELMORA}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user's question"):
        client.chat.completions.create(
            model="articles:sample", messages=[{"role": "assistant", "content": "Hi"}]
        )
    too_big = httpx.post(f"{api}/v1/ask", json={"question": "x" * 2_000_000}, timeout=30)
    assert too_big.status_code == 413 and "kB" in too_big.json()["error"]["message"]


def test_the_native_api_searches_asks_and_gets_articles(api):
    found = httpx.post(f"{api}/v1/search", json={"query": "Velmora port strike", "k": 2}, timeout=60).json()
    assert len(found["passages"]) == 2 and found["passages"][0]["score"] > 0
    answer = httpx.post(f"{api}/v1/ask", json={"question": VELMORA}, timeout=60).json()
    assert not answer["declined"] and answer["citations"]
    article_id = answer["citations"][0]["article_id"]
    article = httpx.get(f"{api}/v1/articles/{article_id}", timeout=30).json()
    quote = answer["citations"][0]
    assert article["text"][quote["start"] : quote["end"]] == quote["quote"]
    missing = httpx.get(f"{api}/v1/articles/nope", timeout=30)
    assert missing.status_code == 404 and "citations" in missing.json()["error"]["message"]
    markdown = httpx.post(f"{api}/v1/ask", json={"question": VELMORA, "format": "markdown"}, timeout=60)
    assert markdown.headers["content-type"].startswith("text/markdown") and "[^1]: **" in markdown.text
    assert httpx.get(f"{api}/docs", timeout=30).status_code == 200
    assert httpx.get(f"{api}/health", timeout=30).json()["status"] == "ok"


def test_check_marks_each_sentence_with_the_reports_that_decided_it(api):
    paragraph = (
        "During the dock strike at the Port of Velmora, 38 container ships were waiting at anchor in Serrin Bay. "
        "The Bank of Kestria raised its main refinancing rate to 8.25 percent."
    )
    found = httpx.post(f"{api}/v1/check", json={"text": paragraph}, timeout=60).json()
    assert found["collection"] == "sample"
    assert [c["label"] for c in found["claims"]] == ["supported", "contradicted"]
    span = found["claims"][1]["spans"][0]
    passage = found["claims"][1]["passages"][span["text"]]
    assert span["verdict"] == "contradicts" and passage["source"] == "Kestrian Financial Observer"
    assert "7.25 percent" in span["quote"] and "which gave 7.25 percent" in found["claims"][1]["notes"][0]
    narrowed = httpx.post(
        f"{api}/v1/check",
        json={"text": paragraph, "sources": ["Kestrian"], "as_of": "2023-01-01"},
        timeout=60,
    ).json()
    assert [c["label"] for c in narrowed["claims"]] == ["not_found", "not_found"]  # the report came later
    markdown = httpx.post(f"{api}/v1/check", json={"text": paragraph, "format": "markdown"}, timeout=60)
    assert (
        markdown.headers["content-type"].startswith("text/markdown")
        and "2. **Contradicted**" in markdown.text
    )
    for body, says in (
        ({"text": ""}, "send the claim or paragraph to check"),
        ({"text": "Thanks. OK."}, "no sentence to check"),
        ({"text": "The harbour board met on a Monday. " * 120}, "check at most 100"),
    ):
        refused = httpx.post(f"{api}/v1/check", json=body, timeout=60)
        assert refused.status_code == 400 and says in refused.json()["error"]["message"], refused.text


def test_timeline_and_brief_give_dated_cited_events(api):
    found = httpx.post(
        f"{api}/v1/timeline", json={"topic": "Bank of Kestria interest rate"}, timeout=60
    ).json()
    assert found["events"] and found["events"] == sorted(found["events"], key=lambda e: e["date"])
    kestria = next(e for e in found["events"] if "7.25 percent" in e["sentence"])
    assert kestria["date"] == "2023-06-22" and kestria["sources"] == ["Kestrian Financial Observer"]
    assert kestria["citations"][0]["quote"] == kestria["sentence"]
    brief = httpx.post(
        f"{api}/v1/brief",
        json={"topic": "Bank of Kestria interest rate", "since": "last week", "as_of": "2023-06-25"},
        timeout=60,
    ).json()
    assert brief["since"] == "2023-06-11" and any("7.25 percent" in e["sentence"] for e in brief["new"])
    for path, body, says in (
        ("timeline", {"topic": ""}, "name the story"),
        ("timeline", {"topic": "rates", "max_events": 0}, "from 1 to 100"),
        ("brief", {"topic": "rates", "since": "2023-07-01", "as_of": "2023-06-01"}, "after the as-of date"),
        ("brief", {"topic": "rates", "since": "someday"}, "not a date"),
    ):
        refused = httpx.post(f"{api}/v1/{path}", json=body, timeout=60)
        assert refused.status_code == 400 and says in refused.json()["error"]["message"], refused.text


def test_no_cross_origin_access_unless_asked(api):
    preflight = httpx.options(
        f"{api}/v1/models",
        headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"},
        timeout=30,
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_a_token_is_required_when_the_server_has_one(workspace):
    with running(create_app(workspace, token="s3cret")) as url:
        anonymous = openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError, match="ASSISTANT_API_TOKEN"):
            anonymous.models.list()
        assert httpx.post(f"{url}/mcp", json={}, timeout=30).status_code == 401
        assert httpx.get(f"{url}/health", timeout=30).status_code == 200
        allowed = openai.OpenAI(base_url=f"{url}/v1", api_key="s3cret", max_retries=0)
        assert [m.id for m in allowed.models.list()] == ["articles:sample"]


def test_the_gate_queues_up_to_its_bound():
    async def scenario() -> None:
        gate = Gate(1, 1, seconds_per_answer=4.0)
        await gate.enter()
        waiting = asyncio.create_task(gate.enter())
        await asyncio.sleep(0)
        with pytest.raises(Busy) as caught:
            await gate.enter()
        assert caught.value.retry_after == 8  # one writing and one waiting, 4 s each
        gate.leave(4.0)
        await waiting
        assert gate.busy == 1 and gate.waiting == 0

    asyncio.run(scenario())


class SlowModel(BaseChatModel):
    """Writes one word a second: long enough for a client to go away mid-answer."""

    @property
    def _llm_type(self) -> str:
        return "slow"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessageChunk(content="Thirty [1]."))])

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for word in ["Thirty ", "eight ", "ships ", "waited ", "at ", "anchor ", "[1]."] * 3:
            time.sleep(0.5)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


@pytest.fixture
def slow_app(sample_settings, sample_index, sample_assistant) -> Any:
    slow = Assistant(
        sample_assistant.retriever,
        sample_assistant.embeddings,
        sample_assistant.articles,
        SlowModel(),
        excerpt_chars=1200,
        backend="local:slow",
    )
    return create_app(Workspace(sample_settings, {"sample": sample_index}, {"sample": slow}), queue=0)


def test_past_the_queue_an_answer_is_refused_at_once_and_search_stays_open(slow_app):
    with running(slow_app) as url:
        writing = threading.Thread(
            target=httpx.post, args=(f"{url}/v1/ask",), kwargs={"json": {"question": VELMORA}, "timeout": 120}
        )
        writing.start()
        gate = slow_app.state.gates.for_backend("local:slow")
        deadline = time.monotonic() + 30
        while not gate.busy and time.monotonic() < deadline:
            time.sleep(0.05)
        began = time.monotonic()
        refused = httpx.post(f"{url}/v1/ask", json={"question": VELMORA}, timeout=30)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "busy" in refused.json()["error"]["message"]
        found = httpx.post(f"{url}/v1/search", json={"query": "Velmora"}, timeout=30)
        assert found.status_code == 200 and time.monotonic() - began < 5
        writing.join(120)


def test_a_client_that_goes_away_mid_stream_frees_its_slot(slow_app):
    app = slow_app
    with running(app) as url:
        gate = None
        with httpx.stream(
            "POST",
            f"{url}/v1/chat/completions",
            json={
                "model": "articles:sample",
                "messages": [{"role": "user", "content": VELMORA}],
                "stream": True,
            },
            timeout=60,
        ) as response:
            frames = response.iter_lines()
            first = json.loads(next(line for line in frames if line.startswith("data: "))[6:])
            assert first["sources"]
            gate = app.state.gates.for_backend("local:slow")
            assert gate.busy == 1
        deadline = time.monotonic() + 10
        while gate.busy and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gate.busy == 0  # the writer stopped at its next word and gave the slot back
