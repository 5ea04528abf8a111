"""The LLM backends through LangChain's BaseChatModel seam, against real llama.cpp servers (SmolLM2-135M)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.generators.llama_server import release_local_models, start_llama_server
from assistant.generators.llm import OpenAICompatibleChat, make_chat_model
from assistant.generators.tokens import count_tokens, estimate_tokens
from core.errors import ConfigError, LLMError, ModelError
from core.settings import Settings
from models.catalog import gguf_path


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gguf_path("tiny", tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def local_settings(tiny_gguf: Path) -> Iterator[Settings]:
    yield Settings(
        llm="local", llm_profile="tiny", models_dir=tiny_gguf.parent, max_tokens=24, context_tokens=2048
    )
    release_local_models()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
def test_local_backend_answers_and_streams(local_settings: Settings) -> None:
    model = make_chat_model(local_settings)
    assert isinstance(model, OpenAICompatibleChat)

    reply = model.invoke("What is the capital of France? Answer in one sentence.")
    assert isinstance(reply.content, str) and reply.content.strip()
    assert reply.response_metadata["finish_reason"] in ("stop", "length")
    assert 0 < reply.usage_metadata["output_tokens"] <= 24  # type: ignore[index]

    chunks = [c.content for c in model.stream("Count from one to five.") if c.content]
    assert len(chunks) > 1
    assert "".join(str(c) for c in chunks).strip()


@pytest.mark.integration
def test_local_backend_loads_the_model_once(local_settings: Settings) -> None:
    first, second = make_chat_model(local_settings), make_chat_model(local_settings)
    assert isinstance(first, OpenAICompatibleChat) and isinstance(second, OpenAICompatibleChat)
    assert first.openai_api_base == second.openai_api_base


@pytest.mark.integration
def test_local_token_counts_come_from_the_model_tokenizer(local_settings: Settings) -> None:
    model = make_chat_model(local_settings)
    text = "The ministry denied the report on Tuesday."
    exact = count_tokens(model, text)
    assert 5 <= exact <= 15
    assert exact <= estimate_tokens(text)  # the fallback estimate stays on the high side
    assert count_tokens(None, text) == estimate_tokens(text)


@pytest.mark.integration
def test_a_prompt_longer_than_the_context_window_is_an_llm_error(local_settings: Settings) -> None:
    model = make_chat_model(local_settings)
    assert model is not None
    with pytest.raises(LLMError, match=r"does not fit the model's context window.*ASSISTANT_CONTEXT_TOKENS"):
        model.invoke("word " * 3000)


@pytest.mark.integration
def test_openai_backend_over_real_http(tiny_gguf: Path) -> None:
    with start_llama_server(tiny_gguf, context_tokens=1024, api_key="x") as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
        url = server.base_url
        model = make_chat_model(
            Settings(
                llm="openai", openai_base_url=url, openai_model="tiny", openai_api_key="x", max_tokens=12
            )
        )
        assert model is not None
        reply = model.invoke("Say hello.")
        assert isinstance(reply.content, str) and reply.content.strip()
        assert count_tokens(model, "hello world") == len(server.tokenize("hello world"))

        wrong_key = make_chat_model(Settings(llm="openai", openai_base_url=url, openai_api_key="y"))
        assert wrong_key is not None
        with pytest.raises(LLMError, match=r"refused the API key \(401.*ASSISTANT_OPENAI_API_KEY"):
            wrong_key.invoke("Say hello.")
    assert not server.running


def test_an_unreachable_server_is_a_readable_llm_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    model = make_chat_model(Settings(llm="openai", openai_base_url=url, openai_api_key="x"))
    assert model is not None
    expected = rf"Could not reach the OpenAI-compatible server at {url}: connection refused\. Start it or fix"
    with pytest.raises(LLMError, match=expected):
        model.invoke("hello")
    with pytest.raises(LLMError, match=expected):
        list(model.stream("hello"))
    assert count_tokens(model, "hello world") == estimate_tokens("hello world")  # no tokenizer there


def test_backend_choice(tmp_path: Path) -> None:
    assert make_chat_model(Settings(llm="extractive")) is None
    # "auto" without the model assembled in models_dir: extractive, and nothing is assembled.
    assert make_chat_model(Settings(llm="auto", llm_profile="fast", models_dir=tmp_path)) is None
    assert list(tmp_path.iterdir()) == []


def test_openai_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"api\.openai\.com needs a key"):
        make_chat_model(Settings(llm="openai", openai_api_key=""))
    with pytest.raises(ConfigError, match="is not an http"):
        make_chat_model(Settings(llm="openai", openai_base_url="localhost:8080"))


def test_start_llama_server_rejects_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="is not a GGUF file"):
        start_llama_server(bogus)
    with pytest.raises(ModelError, match="does not exist"):
        start_llama_server(tmp_path / "missing.gguf")


@pytest.mark.integration
def test_a_damaged_gguf_is_an_llm_error(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(b"GGUF" + bytes(4096))
    with pytest.raises(LLMError, match=r"llama\.cpp could not load .*assistant setup-model"):
        start_llama_server(damaged)


@pytest.mark.integration
def test_a_busy_port_is_an_llm_error(tiny_gguf: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LLMError, match=rf"Cannot serve the model on 127\.0\.0\.1:{port}"):
            start_llama_server(tiny_gguf, port=port)
