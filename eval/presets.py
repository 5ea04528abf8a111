"""The configurations an evaluation compares: named settings, and how questions are put to each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.filters import SearchFilter
from eval.datasets import EvalQuestion

KS = (1, 5, 10, 20)


@dataclass(frozen=True)
class Preset:
    """A named configuration: settings on top of the run's, and how questions are put to it."""

    name: str
    description: str
    overrides: dict[str, Any] = field(default_factory=dict)
    as_of: bool = False  # pass each question's date: later articles are not evidence
    naive: bool = False  # the LangChain baseline instead of the assistant's retriever
    gold: bool = False  # answer from the question's gold evidence (no retrieval)


_NO_DATES = {"date_boost": 0.0, "recency": 0.0}
PRESETS = {
    p.name: p
    for p in [
        Preset(
            "naive", "LangChain recipe: recursive splitter 1000/100, MiniLM, Chroma similarity", naive=True
        ),
        Preset("dense", "MiniLM dense search over contextual chunks", {"retriever": "dense", **_NO_DATES}),
        Preset("bm25", "BM25 (bm25s, stemmed) over contextual chunks", {"retriever": "bm25", **_NO_DATES}),
        Preset("hybrid", "BM25 + dense, reciprocal-rank fusion", {"retriever": "hybrid", **_NO_DATES}),
        Preset(
            "hybrid+mmr", "hybrid, then MMR (lambda 0.7)", {"retriever": "hybrid", "mmr": 0.7, **_NO_DATES}
        ),
        Preset(
            "dense+date",
            "dense, later articles excluded, the period the question names boosted",
            {"retriever": "dense", "recency": 0.0},
            as_of=True,
        ),
        Preset(
            "hybrid+date",
            "hybrid, later articles excluded, the period the question names boosted",
            {"retriever": "hybrid", "recency": 0.0},
            as_of=True,
        ),
        Preset(
            "default",
            "the product default: hybrid+date, and articles from the days before the question preferred",
            {"retriever": "hybrid"},
            as_of=True,
        ),
        Preset(
            "default+mmr", "default, then MMR (lambda 0.7) for diverse passages", {"mmr": 0.7}, as_of=True
        ),
        Preset(
            "default+mpnet",
            "default, candidates re-ranked with all-mpnet-base-v2",
            {"rescore": "mpnet"},
            as_of=True,
        ),
        Preset("mpnet", "default on an all-mpnet-base-v2 index", {"embedding_model": "mpnet"}, as_of=True),
        Preset(
            "gold-evidence", "answers from the question's gold evidence passages (no retrieval)", gold=True
        ),
    ]
}
# default+mpnet is left out of the defaults: re-embedding 60 candidates with mpnet costs 8 s a question on
# 2 CPU cores, for +0.012 evidence hit@5 on 80 RealTime QA questions (docs/evaluation.md). Ask for it with --config.
DEFAULT_CONFIGS = {
    "realtimeqa": ["naive", "dense", "bm25", "hybrid", "dense+date", "hybrid+date", "default", "default+mmr"],
    "multihop": ["dense", "bm25", "hybrid", "hybrid+mmr", "default", "mpnet", "gold-evidence"],
    "sample": ["dense", "bm25", "hybrid", "default"],
}
# Which configurations answer questions when the run asks for answers: the product's default.
ANSWER_CONFIGS = {"realtimeqa": ["default"], "multihop": ["default", "gold-evidence"], "sample": ["default"]}


def question_filter(q: EvalQuestion, preset: Preset) -> SearchFilter | None:
    """The question's date as the search's as-of date, for the presets that pass it."""
    return SearchFilter(as_of=q.as_of) if preset.as_of and q.as_of else None
