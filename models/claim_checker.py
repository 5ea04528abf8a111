"""The claim checker's model: a cross-encoder that reads a (claim, evidence) pair and gives the probabilities
of *supported*, *not supported* and *contradicted*.

all-MiniLM-L6-v2 fine-tuned here (``training/``; data, splits and scores in ``models/checker/MODEL_CARD.md``),
shipped in this repository as an int8 ONNX graph and run by ONNX Runtime: no torch in a process that answers.
Its SHA-256 is checked against the catalog's before the first use, like every other model's; the tokenizer is
all-MiniLM-L6-v2's own (the verified package's ``tokenizer.json``).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.errors import ModelError
from models.catalog import CLAIM_CHECKER, embedding_model_path
from models.weights import verify_sha256

GRAPH_NAME = CLAIM_CHECKER.file_name
LABELS = CLAIM_CHECKER.labels
SUPPORTED, NOT_SUPPORTED, CONTRADICTED = range(3)


def claim_text(question: str, answer: str) -> str:
    """What the checker reads as the claim of an answer sentence: the question and the answer given to it, so
    that the evidence must state the answer *to the question asked* (the same form in training and here)."""
    return f"{question.strip()} {answer.strip()}".strip()


def graph_path() -> Path:
    return Path(__file__).resolve().parent / "checker" / GRAPH_NAME


def claim_checker_ready() -> bool:
    """Whether the checker's graph is in place (its hash is checked when it is loaded)."""
    return graph_path().is_file()


class ClaimModel:
    """The checker's graph in ONNX Runtime; thread-safe (the UI verifies from threads)."""

    def __init__(
        self,
        graph: Path | None = None,
        expected_sha256: str | None = CLAIM_CHECKER.sha256,
        threads: int | None = None,
        max_tokens: int = CLAIM_CHECKER.max_tokens,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        graph = graph or graph_path()
        if not graph.is_file():
            raise ModelError(
                f"The claim checker's model is missing at {graph}: it ships in the repository; restore it with "
                "`git checkout -- models/checker`, or verify with the lexical checker only (claim_checker=off)."
            )
        if expected_sha256 is not None:
            verify_sha256(graph, expected_sha256, remember=False)
        self.max_tokens = max_tokens
        self.tokenizer = Tokenizer.from_file(str(embedding_model_path(CLAIM_CHECKER.base) / "tokenizer.json"))
        # the longer of the two is cut first (the evidence, nearly always): a claim past max_tokens is cut too
        self.tokenizer.enable_truncation(max_tokens, strategy="longest_first")
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def probabilities(self, pairs: list[tuple[str, str]], batch_size: int = 16) -> np.ndarray:
        """(supported, not supported, contradicted) for each (claim, evidence) pair, rows in input order."""
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for at in range(0, len(order), batch_size):
            rows = order[at : at + batch_size]
            out[rows] = self._batch([pairs[i] for i in rows])
        return out

    def _batch(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(pairs)
        feeds = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        with self._lock:
            (logits,) = self.session.run(None, feeds)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


@lru_cache(maxsize=1)
def shared_claim_model() -> ClaimModel:
    """One checker per process (loading takes about a second)."""
    return ClaimModel()
