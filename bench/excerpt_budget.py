"""How much of the passages the answering model must read: for each excerpt budget, the share of RealTime QA
questions whose answer text is still in what the model reads, and how long that is.

    python -m bench.excerpt_budget ../shared/data/realtimeqa-2023q1 --budgets 600 900 1200 1600 0

Uses the evaluation's default index (``assistant eval realtimeqa ... --no-answers`` builds it) and the product's
default retriever, each question asked as of its date with k passages. Budget 0 is the whole passages. No
language model runs: this is the cheap half of choosing the budget (the other half is answer quality).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from tqdm import tqdm

import assistant.generators.excerpts
from assistant.factory import build_retriever
from assistant.generators.excerpts import select_excerpts
from assistant.generators.prompts import format_excerpt
from assistant.ranking import ScoredSentence, score_sentences
from core.answer import Passage
from core.filters import SearchFilter
from core.settings import settings_from_env
from eval.datasets import load_dataset, select
from eval.metrics import contains_answer
from eval.run import collection_name
from ingest.collection import open_index

_scored: dict[tuple[str, tuple[str, ...]], list[ScoredSentence]] = {}


def _score_once(question: str, passages: list[Passage], embeddings: object) -> list[ScoredSentence]:
    """The sentences of one question's passages are scored once, whatever the number of budgets tried."""
    key = (question, tuple(p.chunk_id for p in passages))
    if key not in _scored:
        _scored.clear()
        _scored[key] = score_sentences(question, passages, embeddings)  # type: ignore[arg-type]
    return _scored[key]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="the realtimeqa-2023q1 folder")
    parser.add_argument("--budgets", nargs="+", type=int, default=[600, 900, 1200, 1600, 0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--data-dir", type=Path, default=Path("data/eval"))
    parser.add_argument("--json", type=Path, help="write the table here")
    args = parser.parse_args(argv)
    assistant.generators.excerpts.score_sentences = _score_once  # type: ignore[assignment]
    dataset = load_dataset("realtimeqa", args.path)
    settings = settings_from_env(data_dir=args.data_dir, k=args.k, min_relevance=0.0)
    settings = settings.with_overrides(collection=collection_name("realtimeqa", settings))
    index = open_index(settings)
    if not index.chunks.count():
        parser.error(
            f"no index in {args.data_dir}: run `assistant eval realtimeqa {args.path} --no-answers` first"
        )
    retriever = build_retriever(settings, index)
    questions = select(dataset.questions, args.limit, args.seed)
    found = {b: 0 for b in args.budgets}
    chars: dict[int, list[int]] = {b: [] for b in args.budgets}
    in_passages = 0
    for q in tqdm(questions, desc="Questions", file=sys.stderr, mininterval=2):
        passages = retriever.search(q.question, k=args.k, filter=SearchFilter(as_of=q.as_of))
        in_passages += any(contains_answer(p.text, q.gold) for p in passages)
        for budget in args.budgets:
            excerpts = select_excerpts(q.question, passages, index.embeddings, budget_chars=budget)
            shown = "\n".join(format_excerpt(e) for e in excerpts)
            found[budget] += contains_answer(shown, q.gold)
            chars[budget].append(len(shown))
    n = len(questions)
    rows = [
        {
            "budget_chars": b or "whole passages",
            "answer_in_what_the_model_reads": round(found[b] / n, 3),
            "median_chars": round(statistics.median(chars[b])),
            "median_tokens_est": round(statistics.median(chars[b]) / 4.2),
        }
        for b in args.budgets
    ]
    print(f"{n} questions; the answer text is in the top {args.k} passages for {in_passages / n:.3f}")
    print("| budget (characters) | answer in what the model reads | median characters | ~tokens |")
    print("|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['budget_chars']} | {r['answer_in_what_the_model_reads']:.3f} | {r['median_chars']} | "
            f"{r['median_tokens_est']} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"questions": n, "in_passages": in_passages / n, "rows": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
