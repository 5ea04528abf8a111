"""A sentence-transformer exported to ONNX, run by ONNX Runtime: the embedder for short texts without torch.

A question, or an answer's few sentences, is embedded in about 5 ms here (p50) against 10.7 ms through
sentence-transformers (whose per-call work dominates a short text), and a process that only answers never
imports torch, transformers or sentence-transformers (about 5 s of a CLI start on 2 cores).

The graph is exported in float32 from the verified safetensors (``assistant setup-model``, or on first use),
once per model, into the models folder; its SHA-256 is recorded beside it at export and checked on every load,
with the SHA-256 of the weights it came from. A graph that fails the check is exported again from the
verified weights. The vectors are those of the sentence-transformer in float32 (cosine 1.0000 on 2,000
RealTime QA chunks, docs/benchmarks.md, "Embedding precision").
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ModelError
from models.catalog import EMBEDDINGS, embedding_model_path
from models.weights import sha256_file, verify_sha256

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)

OPSET = 17
_FORMAT = 1  # bump when the exported graph's inputs or outputs change: older graphs are exported again


def graph_path(name: str, models_dir: Path) -> Path:
    return models_dir / "onnx" / f"{name}-fp32.onnx"


def _record_path(graph: Path) -> Path:
    return graph.with_name(graph.name + ".sha256.json")


def export_graph(name: str, models_dir: Path) -> Path:
    """Export embedding model ``name`` (its transformer; pooling is done here) to ONNX in ``models_dir``, with
    a record of its SHA-256 and of the verified weights it came from. Needs torch and onnx; about 3 s."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    source = embedding_model_path(name, models_dir)  # verifies the publisher's SHA-256
    model = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    encoder = model[0].auto_model
    assert isinstance(encoder, torch.nn.Module)
    transformer: torch.nn.Module = encoder.eval()
    # Two texts of different lengths, so the traced graph applies the padding mask
    sample = model.tokenizer(["an example sentence", "another"], padding=True, return_tensors="pt")
    inputs = [key for key in ("input_ids", "attention_mask", "token_type_ids") if key in sample]

    class _Hidden(torch.nn.Module):  # positional inputs in, the last hidden state out
        transformer: torch.nn.Module

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.transformer(**dict(zip(inputs, args, strict=True))).last_hidden_state

    graph = graph_path(name, models_dir)
    graph.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=graph.parent, prefix=f".{graph.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on constants that are constant for BERT
            torch.onnx.export(
                _Hidden(),
                tuple(sample[key] for key in inputs),
                str(tmp),
                input_names=inputs,
                output_names=["last_hidden_state"],
                dynamic_axes={key: {0: "batch", 1: "tokens"} for key in [*inputs, "last_hidden_state"]},
                opset_version=OPSET,
                dynamo=False,
            )
        record = {
            "format": _FORMAT,
            "sha256": sha256_file(tmp),
            "source_sha256": EMBEDDINGS[name].sha256,
            "max_tokens": int(model.max_seq_length or 512),
            "inputs": inputs,
            "torch": torch.__version__,
        }
        os.replace(tmp, graph)  # readers see the old graph or the whole new one, never half of it
    finally:
        tmp.unlink(missing_ok=True)
    _record_path(graph).write_text(json.dumps(record, indent=1))
    log.info("Exported %s to %s", EMBEDDINGS[name].hub_name, graph)
    return graph


def _checked_record(graph: Path, name: str) -> dict[str, Any] | None:
    """The graph's export record if the graph matches it and it came from ``name``'s verified weights."""
    try:
        record = json.loads(_record_path(graph).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if (
        not isinstance(record, dict)
        or record.get("format") != _FORMAT
        or record.get("source_sha256") != EMBEDDINGS[name].sha256
    ):
        return None
    try:
        verify_sha256(graph, str(record.get("sha256")))  # hashed once, then remembered by size and time
    except (ModelError, OSError):
        log.warning("%s does not match the SHA-256 recorded at its export; exporting it again.", graph)
        return None
    return record


def ready_graph(name: str, models_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The checked ONNX graph of ``name`` and its record, exported first if missing, stale or altered."""
    graph = graph_path(name, models_dir)
    record = _checked_record(graph, name)
    if record is None:
        export_graph(name, models_dir)
        record = _checked_record(graph, name)
        if record is None:
            raise ModelError(
                f"The ONNX export of {name!r} at {graph} could not be checked after exporting it; delete "
                f"{graph.parent} and run `assistant setup-model` again."
            )
    return graph, record


class OnnxEncoder:
    """Normalised mean-pooled embeddings from the checked ONNX graph of ``name`` (see the module docstring)."""

    def __init__(self, name: str, models_dir: Path, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        graph, record = ready_graph(name, models_dir)
        self.dimensions = EMBEDDINGS[name].dimensions
        self.inputs: list[str] = list(record["inputs"])
        self.tokenizer = Tokenizer.from_file(str(embedding_model_path(name, models_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(record["max_tokens"]))
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3  # errors only: its warnings about unused initializers are noise
        # Idle threads sleep instead of spinning: spinning ones took the cores from the vector scan that
        # follows a question's embedding (RealTime QA retrieval p50 24.1 ms with spinning, 12.3 without).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            str(graph), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        """Unit vectors for ``texts``, float32, one row each (batched in order of length, rows in input order)."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for at in range(0, len(order), batch_size):
            rows = order[at : at + batch_size]
            out[rows] = self._batch([texts[i] for i in rows])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        with self._lock:
            (hidden,) = self.session.run(None, {key: feeds[key] for key in self.inputs})
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
