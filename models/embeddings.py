"""Sentence-transformer embeddings behind LangChain's ``Embeddings`` seam, from verified local weights: ONNX
Runtime for short texts, torch for bulk ones."""

from __future__ import annotations

import contextlib
import logging
import threading
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from core.cpu import native_bf16
from core.errors import ModelError
from core.settings import default_models_dir
from models.catalog import EMBEDDINGS, embedding_model_path

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from models.onnx_encoder import OnnxEncoder


INT8_MEASURED = frozenset({"minilm"})  # int8 retrieval measured equivalent to float32 ("auto" may choose it)


class LocalEmbeddings(Embeddings):
    """Normalised sentence embeddings (so cosine similarity is a dot product), computed by two engines.

    **Short calls** (a question; the sentences of an answer's passages: at most ``QUICK_TEXTS`` texts, and
    every call at answer time in the benchmarks' 1,090 cached answers has 51 or fewer) go through the
    model's ONNX export in float32 (``OnnxEncoder``): about 5 ms a question against 10.7 ms through
    sentence-transformers, and without importing torch, which is most of a CLI start. Where the export
    cannot be made or loaded, they take the bulk engine in float32 instead.

    **Bulk calls** (ingest, 512 chunks at a time) go through sentence-transformers in torch, loaded on the
    first such call, at ``precision``. "auto" computes in bfloat16 where the CPU does so natively (2.3x the
    float32 speed on this project's machine, vectors within cosine 0.99997 of float32 ones), else in int8.
    "int8" runs the encoder's linear layers as int8 (torch's dynamic quantization, weights per output
    channel) except each feed-forward block's output projection, whose inputs have outliers that int8
    cannot hold: on 2,000 RealTime QA chunks the vectors' mean cosine to float32 is 0.9906 (min 0.978), and
    RealTime QA retrieval from an int8 index of its 40,263 chunks is within 2 of 390 questions of a float32
    one at every k (docs/benchmarks.md, "Embedding precision"), at 1.7x the float32 speed on a 2-core AMD EPYC. Where
    torch has no int8 kernels it falls back to float32. (ONNX Runtime's int8 was slower here: 45 chunks/s
    against torch's 53.) On a machine where torch sees a CUDA GPU, bulk calls run there, "auto" in float16
    (``choose_device``).

    The engines' vectors agree (cosine 1.0000 between the float32 ones), so a collection built by either
    answers the same. ``batch_size`` texts go through the model at once (each call's texts sorted by length
    first). 16 is as fast as 64 and keeps the heap small: the model's large activations of varying shapes
    fragment it, and embedding 12,000 chunks peaked at 1.4 GB with 16 against 2.0 GB with 64.
    """

    QUICK_TEXTS = 64

    def __init__(
        self,
        name: str = "minilm",
        batch_size: int = 16,
        models_dir: Path | None = None,
        precision: str = "auto",
    ) -> None:
        if name not in EMBEDDINGS:
            raise ModelError(f"Unknown embedding model {name!r}; choose one of {', '.join(EMBEDDINGS)}.")
        self.name = name
        self.batch_size = batch_size
        self.dimensions = EMBEDDINGS[name].dimensions
        self.models_dir = models_dir
        self.requested_precision = precision
        # The weights are there and verified: fail here, not in the middle of an answer
        embedding_model_path(name, models_dir)
        self._lock = threading.Lock()  # inference from several UI threads at once is not faster

    @property
    def model_id(self) -> str:
        return EMBEDDINGS[self.name].hub_name

    @property
    def device(self) -> str:
        """Where bulk calls run (loads the bulk engine)."""
        return self._bulk[1]

    @property
    def precision(self) -> str:
        """The precision of bulk calls (loads the bulk engine); short calls are float32."""
        return self._bulk[2]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if len(texts) <= self.QUICK_TEXTS:
            return self._short(texts)
        return self._embed(self._bulk[0], texts, self._autocast())

    def embed_query(self, text: str) -> list[float]:
        return self._short([text])[0]

    def _short(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._quick is not None:
            return [v.tolist() for v in self._quick.encode(texts, self.batch_size)]
        # No ONNX engine: the bulk model in float32 (faster than bfloat16 for a few short texts)
        return self._embed(self._bulk[0], texts, contextlib.nullcontext())

    def _embed(
        self,
        model: SentenceTransformer,
        texts: list[str],
        precision: contextlib.AbstractContextManager[object],
    ) -> list[list[float]]:
        if not texts:
            return []
        with self._lock, precision:
            vectors = model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return [v.tolist() for v in vectors]

    @cached_property
    def _quick(self) -> OnnxEncoder | None:
        return _onnx_encoder(self.name, self.models_dir or default_models_dir())

    @cached_property
    def _bulk(self) -> tuple[SentenceTransformer, str, str]:
        """The sentence-transformer for bulk calls, where it runs and in what precision."""
        device, precision = choose_device(
            self.requested_precision,
            cuda=_cuda_available(),
            bf16=native_bf16(),
            int8=self.name in INT8_MEASURED,
        )
        model = _load(self.name, self.models_dir, device)
        if precision == "int8":
            quantized = _quantized(self.name, self.models_dir)
            model, precision = (quantized, "int8") if quantized is not None else (model, "fp32")
        return model, device, precision

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.precision in ("bf16", "fp16"):
            import torch

            dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
            return torch.autocast(self.device, dtype=dtype)
        return contextlib.nullcontext()


def choose_device(precision: str, *, cuda: bool, bf16: bool, int8: bool = True) -> tuple[str, str]:
    """Where and in what precision to embed: a CUDA GPU when torch sees one ("auto": float16 there), else
    the CPU ("auto": bfloat16 where the CPU has it natively, else int8 when ``int8`` (the model's int8
    retrieval was measured equivalent), else float32). int8 is a CPU path."""
    if precision == "int8" or not cuda:
        if precision == "auto":
            return "cpu", "bf16" if bf16 else "int8" if int8 else "fp32"
        return "cpu", precision
    return "cuda", "fp16" if precision == "auto" else precision


def _cuda_available() -> bool:
    import torch  # loaded anyway with the model

    return bool(torch.cuda.is_available())


@lru_cache(maxsize=4)
def _onnx_encoder(name: str, models_dir: Path) -> OnnxEncoder | None:
    """The ONNX engine of ``name``, one per process (as ``_load`` is), or None where it cannot be had."""
    from models.onnx_encoder import OnnxEncoder

    try:
        return OnnxEncoder(name, models_dir)
    except Exception as exc:  # any failure here leaves the (slower) torch engine
        log.warning(
            "The ONNX export of %s is unavailable (%s); embedding short texts with torch. "
            "`assistant setup-model` exports it.",
            EMBEDDINGS[name].hub_name,
            exc,
        )
        return None


@lru_cache(maxsize=4)
def _load(name: str, models_dir: Path | None, device: str = "cpu") -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar for loading 90 MB from disk is noise in the CLI

    path = embedding_model_path(name) if models_dir is None else embedding_model_path(name, models_dir)
    return SentenceTransformer(str(path), device=device, local_files_only=True)


@lru_cache(maxsize=2)
def _quantized(name: str, models_dir: Path | None) -> SentenceTransformer | None:
    """An int8 copy of the model (see ``LocalEmbeddings``), or None where torch has no int8 kernels."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    if torch.backends.quantized.engine in ("none", ""):
        log.warning("This torch has no int8 kernels on this CPU; embedding in float32 instead.")
        return None
    model = _load(name, models_dir)
    layers = {
        module_name: per_channel_dynamic_qconfig
        for module_name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not _feed_forward_output(module_name)
    }
    return quantize_dynamic(model, layers, dtype=torch.qint8)  # a copy: the float32 model stays as it is


def _feed_forward_output(module_name: str) -> bool:
    """``encoder.layer.N.output.dense`` (BERT, MPNet): the projection back from the wide feed-forward layer."""
    return module_name.endswith(".output.dense") and "attention" not in module_name
