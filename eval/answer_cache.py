"""The answer cache: one JSON line per answered question, under a key of everything the answer depends on,
so a killed multi-hour run resumes where it stopped, here or on another machine with the same code."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.chain import Assistant
from assistant.generators.prompts import BRIEF_TASK, SYSTEM, choice_task
from assistant.verifiers.answers import verdict
from assistant.verifiers.claims import ClaimReader
from core.answer import Answer, Passage
from core.settings import Settings
from eval.datasets import Dataset
from eval.presets import Preset
from eval.results import jsonable


class AnswerCache:
    """Append-only JSON lines, one per answered question: safe to kill at any moment, resumed on the next run."""

    def __init__(self, folder: Path, key: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{key}.jsonl"
        self._records: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self._records[entry["id"]] = entry["record"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # the half-written last line of a killed run
        self._file = self.path.open("a", encoding="utf-8")
        if self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            self._file.write("\n")  # end the killed run's half line, so the next record starts clean

    def __contains__(self, qid: str) -> bool:
        return qid in self._records

    def get(self, qid: str) -> dict[str, Any] | None:
        return self._records.get(qid)

    def put(self, qid: str, record: dict[str, Any]) -> None:
        self._records[qid] = record
        self._file.write(json.dumps({"id": qid, "record": record}) + "\n")
        self._file.flush()

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self._records.items())


def cache_key(dataset: Dataset, preset: Preset, settings: Settings, assistant: Assistant) -> str:
    """Everything an answer depends on: corpus, configuration, answerer and prompts."""
    parts = {
        "corpus": dataset.fingerprint,
        "preset": [preset.name, preset.overrides, preset.as_of, preset.gold],
        "settings": {
            k: v
            for k, v in jsonable(settings.__dict__).items()
            # claim_checker decides verification, which a cached draft is given again (``reverified``)
            if k not in ("data_dir", "models_dir", "openai_api_key", "claim_checker")
        },
        "backend": assistant.backend,
        "prompts": [SYSTEM, BRIEF_TASK, choice_task(["x"])],
        "code": _answer_code_digest(),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{preset.name}-{assistant.backend.replace(':', '-')}-{digest}"


# The modules whose code decides the answerer's draft (and its choice and brief answer), for ``cache_key``.
DRAFT_CODE = (
    "core.words",
    "assistant.retrievers.hybrid",
    "core.filters",
    "store.chunk_index",
    "store.mirror",
    "store.bm25",
    "store.vectors",
    "assistant.retrievers.dates",
    "assistant.retrievers.parts",
    "core.sentences",
    "assistant.generators.prompts",
    "assistant.ranking",
    "assistant.generators.excerpts",
    "assistant.generators.extractive",
    "assistant.chain",
    "models.embeddings",  # which engine embeds the question and the sentences excerpts are chosen by
    "models.onnx_encoder",
)
# Not in the key: the verifier (assistant.verifiers.citations, .answers). A cached record keeps the draft and
# its passages, and ``reverified`` checks them again with the verifier of the day, so a change to verification
# is measured on every question of a multi-hour run in a minute, and never hidden by answers cached before it.


def reverified(
    record: dict[str, Any],
    embeddings: Embeddings,
    as_of: date | None = None,
    reader: ClaimReader | None = None,
) -> dict[str, Any]:
    """``record`` (as ``ask`` made it) with its answer verified again, from its draft and passages, by the
    current verifier (``as_of``: the question's date, for which report is the latest)."""
    cached = record["answer"]
    passages = [Passage(**p) for p in cached["passages"]]
    question = cached.get("rewritten_question") or cached["question"]
    backend = cached.get("backend", "")
    checked = verdict(
        cached.get("draft", ""),
        question,
        passages,
        embeddings,
        closest=backend != "extractive",
        as_of=as_of,
        reader=reader,
    )
    answer = Answer.of(
        checked,
        passages=passages,
        question=cached["question"],
        rewritten_question=cached.get("rewritten_question"),
        backend=backend,
        timings=cached.get("timings", {}),
        warnings=tuple(w for w in cached.get("warnings", []) if w.startswith("Only ")),  # the context note
        draft=cached.get("draft", ""),
        read={int(r["n"]): r["text"] for r in cached.get("read", [])},
    )
    return {**record, "answer": answer.to_dict()}


def _answer_code_digest() -> str:
    """The drafting code itself: a change to retrieval, prompts or the extractive answerer must not be hidden
    by answers cached before it."""
    digest = hashlib.sha256()
    for module in DRAFT_CODE:
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:12]
