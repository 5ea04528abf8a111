"""The quick embedding engine: MiniLM exported to ONNX from the verified weights, checked on load, giving the
sentence-transformer's float32 vectors, and short calls that never load torch."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.article import Article
from ingest.chunk import split_article
from ingest.load import load_articles
from models.embeddings import LocalEmbeddings
from models.onnx_encoder import OnnxEncoder, graph_path
from tests.conftest import REPO, SAMPLE_ARTICLES


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    articles = [a for a in load_articles([SAMPLE_ARTICLES]) if isinstance(a, Article)]
    return [c.text for a in articles for c in split_article(a, chunk_size=800, overlap=1)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder of this module's own, so that altering its graph leaves the shared one alone."""
    models = tmp_path_factory.mktemp("models")
    OnnxEncoder("minilm", models)  # exports on first use
    return models


def _float32_torch(texts: list[str]) -> np.ndarray:
    """The reference: the sentence-transformer in float32, in torch (a bulk call at precision fp32)."""
    model = LocalEmbeddings("minilm", precision="fp32")
    return np.asarray(model._embed(model._bulk[0], texts, model._autocast()))


def test_onnx_vectors_are_the_sentence_transformers_float32_ones(exported: Path, chunks: list[str]) -> None:
    long_text = " ".join(chunks[:4])  # over the model's 256 tokens: truncated the same way
    texts = [*chunks, long_text, "Who leads Hamas?"]
    reference = _float32_torch(texts)
    onnx = OnnxEncoder("minilm", exported).encode(texts)
    cosines = (reference * onnx).sum(axis=1)
    assert cosines.min() > 0.9999, cosines.min()
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_padding_in_a_batch_does_not_change_a_vector(exported: Path, chunks: list[str]) -> None:
    encoder = OnnxEncoder("minilm", exported)
    short, long_ = "Brenn resigned.", chunks[0]
    together = encoder.encode([short, long_])
    alone = np.vstack([encoder.encode([short]), encoder.encode([long_])])
    assert np.allclose(together, alone, atol=1e-5)


def test_the_export_record_holds_the_graphs_hash_and_an_altered_graph_is_exported_again(
    tmp_path: Path, chunks: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    import hashlib

    before = OnnxEncoder("minilm", tmp_path).encode(chunks[:3])
    graph = graph_path("minilm", tmp_path)
    record = json.loads(graph.with_name(graph.name + ".sha256.json").read_text())
    assert record["sha256"] == hashlib.sha256(graph.read_bytes()).hexdigest()
    assert len(record["source_sha256"]) == 64  # the published weights it was exported from

    with graph.open("r+b") as fh:  # corrupt a byte inside the graph, keeping its size
        fh.seek(graph.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with caplog.at_level(logging.WARNING, logger="models.onnx_encoder"):
        after = OnnxEncoder("minilm", tmp_path).encode(chunks[:3])
    assert "exporting it again" in caplog.text
    assert hashlib.sha256(graph.read_bytes()).hexdigest() == record["sha256"]  # the export is deterministic
    assert np.allclose(before, after, atol=1e-6)


def test_short_calls_use_onnx_and_bulk_calls_torch(chunks: list[str]) -> None:
    model = LocalEmbeddings("minilm")
    question = model.embed_query("Who leads Hamas?")
    few = model.embed_documents(chunks[:5])
    assert "_bulk" not in model.__dict__  # torch's model not loaded
    many = chunks * 2
    assert len(many) > model.QUICK_TEXTS
    bulk = np.asarray(model.embed_documents(many))
    assert "_bulk" in model.__dict__
    cosines = (bulk[:5] * np.asarray(few)).sum(axis=1)  # the same texts by both engines
    # bf16 here agrees to 0.9999; int8 (an AVX2-only CPU's "auto") as in test_embedding_precision
    assert cosines.mean() >= 0.985 and cosines.min() >= 0.97, cosines
    assert np.isclose(np.linalg.norm(question), 1.0, atol=1e-5)


def test_a_quick_extractive_answer_imports_neither_torch_nor_the_openai_client(tmp_path: Path) -> None:
    """``assistant ask --llm extractive`` is quick because it needs neither (``python -X importtime``)."""
    script = f"""
import sys
from core.settings import Settings
from assistant.factory import build_assistant
from ingest.collection import open_index
from ingest.load import load_articles
settings = Settings(data_dir={str(tmp_path)!r}, collection="quick", llm="extractive")
index = open_index(settings)
index.ingest(load_articles([{str(SAMPLE_ARTICLES)!r}]))
answer = build_assistant(settings, index).ask("How many container ships were stuck?")
print(answer.text)
print(sorted(m for m in ("torch", "sentence_transformers", "transformers", "openai") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300, check=True
    )
    text, imported = done.stdout.strip().splitlines()[-2:]
    assert "38" in text
    assert imported == "[]", done.stderr
