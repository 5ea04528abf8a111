"""Benchmark datasets in one shape for the evaluation harness: questions, a corpus to index, baselines.

``load_dataset("realtimeqa" | "multihop" | "sample", path)`` reads RealTime QA 2023Q1, MultiHop-RAG 500 (see
``../shared/data/README.md`` for their layouts) or the bundled sample corpus. Data is read in place, never copied.
"""

from __future__ import annotations

import random
from pathlib import Path

from eval.datasets import multihop, realtimeqa, sample
from eval.datasets.base import Baseline, Dataset, EvalQuestion
from eval.datasets.multihop import load_multihop
from eval.datasets.realtimeqa import load_realtimeqa, rtqa_baselines
from eval.datasets.sample import SAMPLE_CORPUS, load_sample

__all__ = ["DATASETS", "Baseline", "Dataset", "EvalQuestion", "load_dataset", "rtqa_baselines", "select"]

DATASETS = ("realtimeqa", "multihop", "sample")
_FOLDERS = {"realtimeqa": realtimeqa.FOLDER, "multihop": multihop.FOLDER, "sample": sample.FOLDER}


def load_dataset(name: str, path: Path | str | None = None) -> Dataset:
    """The dataset ``name`` (realtimeqa, multihop, sample) read from its folder ``path``.

    ``path`` may be omitted only for "sample" (the bundled sample corpus). Raises ValueError saying what is
    missing and which folder to pass.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)}")
    folder = _FOLDERS[name]
    if path is None:
        if name != "sample":
            raise ValueError(
                f"dataset {name!r} needs a path: pass the {folder} folder (e.g. ../shared/data/{folder})"
            )
        path = SAMPLE_CORPUS
    path = Path(path)
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise ValueError(f"{path} {what}: pass the {folder} folder")
    loader = {"realtimeqa": load_realtimeqa, "multihop": load_multihop, "sample": load_sample}[name]
    return loader(path)


def select(questions: list[EvalQuestion], limit: int | None, seed: int | None) -> list[EvalQuestion]:
    """All questions (limit None), the first ``limit`` (seed None), or a seeded random ``limit`` in original order."""
    if limit is None:
        return list(questions)
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if seed is None:
        return questions[:limit]
    picked = set(random.Random(seed).sample(range(len(questions)), min(limit, len(questions))))
    return [q for i, q in enumerate(questions) if i in picked]
