"""What the answering model reads, without running it: the share of RealTime QA questions whose answer text is in
the excerpts, and the share of MultiHop-RAG queries all of whose evidence articles are (each under the same
character budget). The cheap half of choosing how excerpts are picked; answer quality is the other half.

    python -m bench.reading ../shared/data --out bench/results/reading

Arms: ``top5`` (excerpts chosen from the retriever's top 5, as before issue 21), ``top20`` (from the top 20
candidates), ``top20+parts`` (the product: also the best passages in each source a question names, each part
read). Uses the evaluation's default indexes (``assistant eval DATASET PATH --no-answers`` builds them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tqdm import tqdm

import assistant.generators.excerpts as excerpts_module
from assistant.chain import Assistant
from assistant.factory import build_assistant
from assistant.generators.prompts import format_excerpt
from assistant.ranking import ScoredSentence, score_sentences
from core.answer import Passage
from core.cpu import describe_cpu
from core.settings import settings_from_env
from eval.datasets import EvalQuestion, load_dataset, select
from eval.metrics import contains_answer
from eval.presets import PRESETS, question_filter
from eval.run import collection_name
from ingest.collection import open_index

ARMS = {  # name -> (candidates, parts, rank penalty, constraint weight); None: the product's
    "top5": (5, False, None, None),
    "top20": (20, False, None, None),
    "top20+parts": (20, True, None, None),
}
_scored: dict[tuple[str, tuple[str, ...]], list[ScoredSentence]] = {}


def _score_once(question: str, passages: list[Passage], embeddings: Any) -> list[ScoredSentence]:
    """Each question's sentences are scored once, whatever the arm (the arms differ in how they choose)."""
    key = (question, tuple(p.chunk_id for p in passages))
    if key not in _scored:
        if len(_scored) > 4096:
            _scored.clear()
        _scored[key] = score_sentences(question, passages, embeddings)
    return _scored[key]


@contextmanager
def _arm(penalty: Callable[[int], float] | None, weight: float | None) -> Iterator[None]:
    saved = excerpts_module.rank_penalty, excerpts_module.CONSTRAINT_WEIGHT
    if penalty is not None:
        excerpts_module.rank_penalty = penalty  # type: ignore[assignment]
    if weight is not None:
        excerpts_module.CONSTRAINT_WEIGHT = weight
    try:
        yield
    finally:
        excerpts_module.rank_penalty, excerpts_module.CONSTRAINT_WEIGHT = saved


def read_one(
    assistant: Assistant, q: EvalQuestion, arm: str, dataset: str
) -> tuple[list[Passage], str, list[Passage]]:
    """The passages read, the text read, and the candidates, for question ``q`` under ``arm``."""
    candidates_k, parts, penalty, weight = ARMS[arm]
    assistant.split_parts = parts
    candidates, groups = assistant.retrieve(q.question, question_filter(q, PRESETS["default"]), candidates_k)
    with _arm(penalty, weight):
        reading = assistant.read(q.question, candidates, groups)
    text = "\n".join(format_excerpt(e) for e in reading.excerpts)
    return reading.passages, text, candidates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="../shared/data")
    parser.add_argument("--datasets", nargs="+", default=["realtimeqa", "multihop"])
    parser.add_argument("--arms", nargs="+", default=list(ARMS))
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--data-dir", type=Path, default=Path("data/eval"))
    parser.add_argument("--out", type=Path, help="write results.json here")
    args = parser.parse_args(argv)
    excerpts_module.score_sentences = _score_once  # type: ignore[assignment]
    folders = {"realtimeqa": "realtimeqa-2023q1", "multihop": "multihop-rag-500"}
    results: dict[str, Any] = {"cpu": describe_cpu(), "limit": args.limit, "seed": args.seed, "rows": []}
    for name in args.datasets:
        dataset = load_dataset(name, args.data / folders[name])
        settings = settings_from_env(data_dir=args.data_dir, llm="extractive")
        settings = settings.with_overrides(collection=collection_name(name, settings))
        index = open_index(settings)
        if not index.chunks.count():
            parser.error(f"no {name} index in {args.data_dir}: run `assistant eval {name} PATH --no-answers`")
        assistant = build_assistant(settings, index)
        questions = [q for q in select(dataset.questions, args.limit, args.seed) if q.answerable]
        for arm in args.arms:
            hits = ceiling = 0
            chars: list[int] = []
            read_counts: list[int] = []
            for q in tqdm(questions, desc=f"{name} {arm}", file=sys.stderr, mininterval=2):
                passages, text, candidates = read_one(assistant, q, arm, name)
                chars.append(len(text))
                read_counts.append(len(passages))
                if name == "realtimeqa":
                    hits += contains_answer(text, q.gold)
                    ceiling += any(contains_answer(p.text, q.gold) for p in candidates)
                else:
                    wanted = {a.url for a in q.evidence}
                    hits += wanted <= {p.url for p in passages}
                    ceiling += wanted <= {p.url for p in candidates}
            n = len(questions)
            row = {
                "dataset": name,
                "arm": arm,
                "questions": n,
                "metric": "answer text read" if name == "realtimeqa" else "every evidence article read",
                "read": round(hits / n, 3),
                "in_candidates": round(ceiling / n, 3),
                "median_chars": round(statistics.median(chars)),
                "median_passages_read": statistics.median(read_counts),
            }
            results["rows"].append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
