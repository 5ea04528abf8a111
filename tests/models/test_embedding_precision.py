"""Where and how precisely embeddings are computed: int8 (CPUs without native bfloat16) against float32 on
real text with the real MiniLM, and the device and precision chosen from the hardware."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.article import Article
from core.cpu import native_bf16
from ingest.chunk import split_article
from ingest.load import load_articles
from models.embeddings import LocalEmbeddings, _feed_forward_output, choose_device
from tests.conftest import SAMPLE_ARTICLES


def _texts() -> list[str]:
    """The sample corpus as ingest chunks it (800 characters): what is embedded. Twice over, so that one call
    is a bulk one (more than ``QUICK_TEXTS``), which runs at the chosen precision."""
    articles = [a for a in load_articles([SAMPLE_ARTICLES]) if isinstance(a, Article)]
    chunks = [c.text for a in articles for c in split_article(a, chunk_size=800, overlap=1)]
    assert len(chunks) >= 40
    texts = chunks + [f"{text} " for text in chunks]
    assert len(texts) > LocalEmbeddings.QUICK_TEXTS
    return texts


def test_int8_vectors_agree_with_float32_and_leave_the_float32_model_alone(embeddings) -> None:
    texts = _texts()
    before = np.asarray(embeddings.embed_documents(texts[:5]))
    int8 = LocalEmbeddings("minilm", precision="int8")
    assert int8.precision == "int8"
    exact = np.asarray(LocalEmbeddings("minilm", precision="fp32").embed_documents(texts))
    approx = np.asarray(int8.embed_documents(texts))
    cosines = (exact * approx).sum(axis=1)
    # 0.989 here, 0.9906 on 2,000 RealTime QA chunks (docs/benchmarks.md): near float32 ("auto" where bf16 is not native)
    assert cosines.mean() >= 0.985 and cosines.min() >= 0.97, (cosines.mean(), cosines.min())
    assert not np.allclose(exact, approx)  # it really is another computation
    assert np.allclose(np.asarray(embeddings.embed_documents(texts[:5])), before)  # float32 model untouched


def test_int8_keeps_the_feed_forward_outputs_in_float32() -> None:
    model = LocalEmbeddings("minilm", precision="int8")._bulk[0]
    kinds = {name: type(module).__module__ for name, module in model.named_modules() if "layer.0." in name}
    (query,) = [n for n in kinds if n.endswith("attention.self.query")]
    assert "quantized" in kinds[query]
    ffn_out = [n for n in kinds if _feed_forward_output(n)]
    assert ffn_out and all(isinstance(dict(model.named_modules())[n], torch.nn.Linear) for n in ffn_out)
    assert all("quantized" not in kinds[n] for n in ffn_out)


@pytest.mark.parametrize(
    ("precision", "cuda", "bf16", "int8", "expected"),
    [
        ("auto", True, False, True, ("cuda", "fp16")),  # a GPU: float16 there
        ("auto", True, True, True, ("cuda", "fp16")),
        ("fp32", True, True, True, ("cuda", "fp32")),
        ("int8", True, True, True, ("cpu", "int8")),  # torch's dynamic int8 is a CPU path
        ("auto", False, True, True, ("cpu", "bf16")),  # AMX or AVX512-BF16
        ("auto", False, False, True, ("cpu", "int8")),  # AVX2 only: int8, measured equivalent at scale
        ("auto", False, False, False, ("cpu", "fp32")),  # a model whose int8 retrieval was not measured
        ("int8", False, False, False, ("cpu", "int8")),  # asked for: given
    ],
)
def test_device_and_precision_follow_the_hardware(precision, cuda, bf16, int8, expected) -> None:
    assert choose_device(precision, cuda=cuda, bf16=bf16, int8=int8) == expected


def test_auto_embeds_minilm_in_int8_on_a_cpu_without_native_bfloat16(monkeypatch) -> None:
    from models import embeddings as module

    monkeypatch.setattr(module, "native_bf16", lambda: False)  # the CPU is the boundary: an AVX2-only one
    monkeypatch.setattr(module, "_cuda_available", lambda: False)
    model = LocalEmbeddings("minilm", precision="auto")
    assert model.precision == "int8"
    assert any("quantized" in type(m).__module__ for m in model._bulk[0].modules())
    assert "mpnet" not in module.INT8_MEASURED  # so "auto" keeps mpnet in float32 there


def test_this_machine_embeds_where_choose_device_says(embeddings) -> None:
    assert (embeddings.device, embeddings.precision) == choose_device(
        "auto", cuda=torch.cuda.is_available(), bf16=native_bf16()
    )
    assert str(embeddings._bulk[0].device).startswith(embeddings.device)
