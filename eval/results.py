"""What a run measures, as types: built by the scorers, written to results.json, read back by the report.

``to_dict`` writes the JSON layout results.json has always had, and ``from_dict`` reads it back, tolerating
files written before a field existed (it takes its default), so any saved run can be re-rendered.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from eval.datasets import Baseline

T = TypeVar("T")
Summary = dict[str, float]  # a latency_summary: n, mean, p50, p95, max


@dataclass
class RetrievalRow:
    """Where one question's first useful passage ranked (1-based; None when not in the list)."""

    answer_rank: int | None = None
    evidence_rank: int | None = None
    article_rank: int | None = None
    latency_ms: float = math.nan
    top: list[list[Any]] = field(default_factory=list)  # [article_id, published, score] of the top five


@dataclass
class DeclineRecord:
    """Why an answerable question was declined, with the model's draft and each sentence's support checks."""

    cause: str
    draft: str = ""
    sentences: list[list[Any]] = field(default_factory=list)  # text, cites, alone, together, elsewhere, cos


@dataclass
class AnswerRow:
    """One question's answer, scored."""

    text: str = ""
    declined: bool = False
    correct: bool = False
    answer_in_passages: bool = False
    latency_s: float = math.nan
    first_token_s: float | None = None
    prompt_tokens: float | None = None
    cached_tokens: float | None = None
    citations: list[list[Any]] = field(default_factory=list)  # [n, article_id, quote]
    choice: int | None = None
    brief: str | None = None
    decline: DeclineRecord | None = None
    choice_correct: bool | None = None
    em: float | None = None
    f1: float | None = None
    wrong: str | None = None  # shown but wrong: why (eval.wrong)
    words: int | None = None  # the shown answer's length in words, citation marks left out
    # RealTime QA: the answer text is in what the model read; MultiHop-RAG: every evidence article was read.
    # None when the run did not record what the model read.
    read_answer: bool | None = None
    conflicts: int = 0  # differing reports the answer notes


@dataclass
class QuestionRow:
    id: str
    question: str = ""
    gold: Any = None  # the gold answer: text, or a list of acceptable texts
    qtype: str | None = None
    retrieval: RetrievalRow | None = None
    answer: AnswerRow | None = None


@dataclass
class RetrievalScores:
    ks: list[int] = field(default_factory=list)
    answer_hit: dict[str, float] | None = None  # hit rate by k (as text: JSON keys)
    answer_mrr: float | None = None
    evidence_hit: dict[str, float] | None = None
    evidence_mrr: float | None = None
    article_hit: dict[str, float] | None = None
    latency_ms: Summary = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)


@dataclass
class CitationScores:
    """ALCE citation recall and precision by the entailment judge, and the share of uncited sentences."""

    recall: float = math.nan
    precision: float = math.nan
    uncited: float = math.nan
    sentences: int = 0
    judge: str = ""


@dataclass
class DeclineCauseCount:
    cause: str
    description: str = ""
    count: int = 0
    share: float = 0.0


@dataclass
class TypeAccuracy:
    correct: int = 0
    total: int = 0
    accuracy: float = math.nan


@dataclass
class AnswerScores:
    n: int = 0
    backend: str = ""
    choice_accuracy: float | None = None
    exact_match: float | None = None
    token_f1: float | None = None
    accuracy: float | None = None
    accuracy_by_type: dict[str, TypeAccuracy] | None = None
    declined_unanswerable: float | None = None
    declined_answerable: float | None = None
    right_when_answered: float | None = None  # of the answerable questions answered (not declined), right
    declined_answer_in_passages: float | None = None  # declined although the passages held the answer
    answer_in_passages: float | None = None
    decline_causes: list[DeclineCauseCount] = field(default_factory=list)
    wrong_causes: list[DeclineCauseCount] = field(default_factory=list)  # shown but wrong, by cause
    shown_wrong: float | None = None  # of the answerable questions answered, wrong
    median_answer_words: float | None = None  # of the shown answers
    answer_read: float | None = (
        None  # share of answerable questions whose answer the model read (read_answer)
    )
    with_conflicts: int | None = None  # shown answers that note a differing report
    first_token_s: Summary = field(default_factory=dict)
    prompt_tokens: Summary = field(default_factory=dict)
    new_prompt_tokens: Summary = field(default_factory=dict)  # what llama.cpp read, not from its cache
    citation: CitationScores | None = None
    latency_s: Summary = field(default_factory=dict)
    latencies_s: list[float] = field(default_factory=list)
    cache: str = ""  # the answer cache file behind these answers


@dataclass
class IngestRecord:
    seconds: float = math.nan
    chunks: int = 0
    articles: int = 0
    chunks_per_s: float = math.nan
    errors: int = 0
    skipped: int = 0
    reused: bool = False


@dataclass
class ConfigResult:
    """One configuration's results: its index, retrieval, answers, and every question's row."""

    name: str
    description: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    ingest: IngestRecord | None = None
    retrieval: RetrievalScores | None = None
    answers: AnswerScores | None = None
    rows: list[QuestionRow] = field(default_factory=list)
    peak_rss_mb: float | None = None


@dataclass
class Agreement:
    """A judge's verdicts against hand labels."""

    n: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    agreement: float = math.nan
    kappa: float = math.nan


@dataclass
class JudgeCheck(Agreement):
    """The citation judge checked on every hand-labelled pair, and on the held-out ones alone."""

    model: str = ""
    held_out: Agreement | None = None


@dataclass
class RunResult:
    """One ``assistant eval`` run: where and how it ran, the baselines, and each configuration's results."""

    dataset: str
    dataset_path: str = ""
    created: str = ""
    command: str = ""
    environment: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    seed: int | None = None
    questions: int = 0
    baselines: list[Baseline] = field(default_factory=list)
    judge: JudgeCheck | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    configs: list[ConfigResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        return from_dict(cls, data)

    @classmethod
    def load(cls, path: Path) -> RunResult:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        """Write results.json atomically (a reader sees the old file or the new one)."""
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1, default=str), encoding="utf-8")
        tmp.replace(path)


def from_dict(cls: type[T], data: Any) -> T:
    """A ``cls`` dataclass from its ``asdict`` form; missing fields take their defaults, unknown keys are
    ignored (results.json files written by other versions)."""
    hints = _hints(cls)  # type: ignore[arg-type]
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(
        **{
            k: _convert(hints[k], v)
            for k, v in (data or {}).items()
            if k in known and (v is not None or _optional(hints[k]))  # else the field's default
        }
    )


def _optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return from_dict(tp, value)  # type: ignore[arg-type]
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(tp)
        return [_convert(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        _, item = typing.get_args(tp)
        return {k: _convert(item, v) for k, v in value.items()}
    return value


def jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """Settings as JSON values (paths as text), without secrets."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items() if k != "openai_api_key"}
