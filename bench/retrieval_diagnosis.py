"""Where RealTime QA's evidence is lost: the story found but not the passage, and what tuning can recover.

Runs the product's retriever (its default, each question as of its date) over the evaluation index of the
RealTime QA corpus (built by ``assistant eval realtimeqa`` with the same data directory, or here) and reports:

1. among the questions whose own articles hold the answer at all (the evidence ceiling), how often a top-k
   passage comes from such an article, against how often it is the passage that holds the answer;
2. evidence hit@k if each returned passage came with its article's neighbouring chunks (passage windows);
3. evidence and answer hit@5 as the retriever's settings move one at a time (candidate depth, date boost,
   recency weight and half-life).

    python -m bench.retrieval_diagnosis ../shared/data/realtimeqa-2023q1 --out results/retrieval-diagnosis
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.factory import build_retriever
from assistant.retrievers.hybrid import PassageRetriever
from core.answer import Passage
from core.filters import SearchFilter
from core.settings import Settings
from eval import metrics
from eval.datasets import EvalQuestion, load_dataset
from eval.run import collection_name, ensure_index
from ingest.collection import Index, open_index

KS = (1, 5, 10, 20)
SWEEP: dict[str, tuple[float, ...]] = {
    "fetch_k": (30, 60, 100),
    "date_boost": (0.0, 1.0, 2.0, 4.0),
    "recency": (0.0, 1.0, 2.0, 4.0, 8.0),
    "recency_half_life": (2.0, 4.0, 7.0, 14.0, 30.0),
}


@dataclass
class Case:
    question: EvalQuestion
    gold: str  # normalised
    answer_chunks: set[str]  # chunks of the question's own articles that hold the answer
    answer_articles: set[str]  # the articles of those chunks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, help="the realtimeqa-2023q1 folder")
    ap.add_argument("--data-dir", type=Path, default=Path("data/eval"), help="where eval indexes live")
    ap.add_argument("--out", type=Path, default=Path("results/retrieval-diagnosis"))
    args = ap.parse_args(argv)

    data = load_dataset("realtimeqa", args.path)
    settings = Settings(data_dir=args.data_dir, llm="extractive")
    settings = settings.with_overrides(collection=collection_name("realtimeqa", settings))
    index = open_index(settings)
    ensure_index(index, data)
    texts = _normalised_chunks(index)
    cases = _cases(data.questions, index, texts)
    ceiling = [c for c in cases if c.answer_chunks]
    print(f"{len(cases)} questions, {len(ceiling)} with the answer in their own articles", file=sys.stderr)

    base = build_retriever(settings, index, min_relevance=0.0, k=max(KS))
    ranked = _search_all(base, cases, "default")
    result: dict[str, Any] = {
        "questions": len(cases),
        "ceiling": len(ceiling) / len(cases),
        "found": _found(ranked, cases),
        "windows": {str(w): _windowed(ranked, cases, texts, w) for w in (0, 1, 2)},
        "sweep": _sweep(base, cases),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2))
    (args.out / "report.md").write_text(_report(result, " ".join(sys.argv[1:])))
    print((args.out / "report.md").read_text())
    return 0


def _normalised_chunks(index: Index) -> dict[str, str]:
    out: dict[str, str] = {}
    for page in index.chunks.pages():
        out.update((c.id, metrics.normalize(c.text)) for c in page)
    return out


def _cases(questions: list[EvalQuestion], index: Index, texts: dict[str, str]) -> list[Case]:
    by_article: dict[str, list[str]] = {}
    mirror = index.chunks.mirror
    for chunk_id, article_id in zip(mirror.ids, mirror.article_ids, strict=True):
        by_article.setdefault(str(article_id), []).append(chunk_id)
    cases = []
    for q in questions:
        if not q.answerable:
            continue
        gold = metrics.normalize(q.gold)
        own = {
            (a, c)
            for a in q.evidence_ids
            for c in by_article.get(a, [])
            if metrics.contains_normalized(texts[c], gold)
        }
        cases.append(Case(q, gold, {c for _, c in own}, {a for a, _ in own}))
    return cases


def _search_all(retriever: PassageRetriever, cases: list[Case], label: str) -> list[list[Passage]]:
    return [
        retriever.search(c.question.question, k=max(KS), filter=SearchFilter(as_of=c.question.as_of))
        for c in tqdm(cases, desc=label, unit=" questions", file=sys.stderr, mininterval=2)
    ]


def _rate(
    ranked: list[list[Passage]], cases: list[Case], hit: Callable[[Passage, Case], bool], k: int
) -> float:
    return round(
        sum(any(hit(p, c) for p in ps[:k]) for ps, c in zip(ranked, cases, strict=True)) / len(cases), 3
    )


def _evidence(p: Passage, c: Case) -> bool:
    return p.chunk_id in c.answer_chunks


def _found(ranked: list[list[Passage]], cases: list[Case]) -> dict[str, dict[str, float]]:
    """Article found (a passage of an own article that holds the answer somewhere) against passage found."""

    def article(p: Passage, c: Case) -> bool:
        return p.article_id in c.answer_articles

    return {
        "article": {str(k): _rate(ranked, cases, article, k) for k in KS},
        "passage": {str(k): _rate(ranked, cases, _evidence, k) for k in KS},
    }


def _windowed(
    ranked: list[list[Passage]], cases: list[Case], texts: dict[str, str], width: int
) -> dict[str, float]:
    """Evidence hit@k if each passage came with ``width`` chunks of its article on either side."""

    def neighbour(chunk_id: str, step: int) -> str:
        article, number = chunk_id.rsplit("-", 1)
        return f"{article}-{int(number) + step:0{len(number)}d}"

    def hit(p: Passage, c: Case) -> bool:
        if p.article_id not in c.question.evidence_ids:
            return False
        window = (texts.get(neighbour(p.chunk_id, s), "") for s in range(-width, width + 1))
        return any(metrics.contains_normalized(t, c.gold) for t in window)

    return {str(k): _rate(ranked, cases, hit, k) for k in KS}


def _sweep(base: PassageRetriever, cases: list[Case]) -> list[dict[str, Any]]:
    def answer(p: Passage, c: Case) -> bool:
        return metrics.contains_normalized(metrics.normalize(p.text), c.gold)

    rows = []
    for name, values in SWEEP.items():
        for value in values:
            retriever = base.model_copy(update={name: int(value) if name == "fetch_k" else value})
            ranked = _search_all(retriever, cases, f"{name}={value}")
            rows.append(
                {
                    "setting": name,
                    "value": value,
                    "default": value == getattr(base, name),
                    "evidence_hit@5": _rate(ranked, cases, _evidence, 5),
                    "answer_hit@5": _rate(ranked, cases, answer, 5),
                }
            )
    return rows


def _report(r: dict[str, Any], command: str) -> str:
    lines = [
        "# Where RealTime QA's evidence is lost",
        "",
        f"`python -m bench.retrieval_diagnosis {command}`: the default retriever, {r['questions']} questions, "
        f"{r['ceiling']:.3f} of them with the answer in their own articles.",
        "",
        "| top k | an answer-holding own article found | its answer passage found |",
        "|---|---|---|",
    ]
    lines += [
        f"| {k} | {r['found']['article'][str(k)]:.3f} | {r['found']['passage'][str(k)]:.3f} |"
        for k in map(str, KS)
    ]
    lines += [
        "",
        "| passage window (chunks each side) | " + " | ".join(f"evidence hit@{k}" for k in KS) + " |",
    ]
    lines += ["|---|" + "---|" * len(KS)]
    lines += [
        f"| {w} | " + " | ".join(f"{v:.3f}" for v in hits.values()) + " |" for w, hits in r["windows"].items()
    ]
    lines += ["", "| setting | value | evidence hit@5 | answer hit@5 |", "|---|---|---|---|"]
    for row in r["sweep"]:
        mark = " (default)" if row["default"] else ""
        lines.append(
            f"| {row['setting']} | {row['value']:g}{mark} | {row['evidence_hit@5']:.3f} | {row['answer_hit@5']:.3f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
