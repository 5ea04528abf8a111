"""Retrieval scored per question: where the first passage holding the answer (or from an evidence article)
ranks, hit@k over the run, and search latency."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tqdm import tqdm

from core.answer import Passage
from eval import metrics
from eval.datasets import Dataset, EvalQuestion
from eval.presets import KS
from eval.results import QuestionRow, RetrievalRow, RetrievalScores


def score_retrieval(
    dataset: Dataset,
    questions: list[EvalQuestion],
    search: Callable[[EvalQuestion], list[Passage]],
    rows: list[QuestionRow],
) -> RetrievalScores:
    """Answer hit and evidence hit at each k, and search latency, over the questions that have evidence.

    RealTime QA's evidence hit needs a passage that holds the answer and comes from one of the question's
    own articles, and its article hit only the latter: the gap between the two is passages of the right
    article that do not hold the answer (a question of passage choice, not of finding the story); for
    MultiHop-RAG and the sample (whose gold answers are often "yes"/"no") a passage from
    an evidence article is the hit, and answer hit is not scored.
    """
    needs_answer = dataset.name == "realtimeqa"
    answer_ranks: list[int | None] = []
    evidence_ranks: list[int | None] = []
    article_ranks: list[int | None] = []
    latencies: list[float] = []
    for q, row in zip(
        tqdm(
            questions,
            desc="Retrieving",
            unit=" questions",
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=2,
        ),
        rows,
        strict=True,
    ):
        if not q.answerable:
            continue
        began = time.perf_counter()
        passages = search(q)
        latencies.append((time.perf_counter() - began) * 1000)
        texts = [p.text for p in passages]
        own = [p.article_id in q.evidence_ids for p in passages]
        answer_rank = metrics.first_hit_rank(texts, q.gold) if needs_answer else None
        article_rank = next((i for i, hit in enumerate(own, start=1) if hit), None)
        evidence_rank = metrics.first_hit_rank(texts, q.gold, allowed=own) if needs_answer else article_rank
        answer_ranks.append(answer_rank)
        evidence_ranks.append(evidence_rank)
        article_ranks.append(article_rank)
        row.retrieval = RetrievalRow(
            answer_rank=answer_rank,
            evidence_rank=evidence_rank,
            article_rank=article_rank,
            latency_ms=round(latencies[-1], 2),
            top=[[p.article_id, p.published, round(p.score, 3)] for p in passages[:5]],
        )
    return RetrievalScores(
        ks=list(KS),
        answer_hit=_hits(answer_ranks) if needs_answer else None,
        answer_mrr=metrics.mean_reciprocal_rank(answer_ranks) if needs_answer else None,
        evidence_hit=_hits(evidence_ranks),
        evidence_mrr=metrics.mean_reciprocal_rank(evidence_ranks),
        article_hit=_hits(article_ranks) if needs_answer else None,
        latency_ms=metrics.latency_summary(latencies),
        latencies_ms=[round(x, 2) for x in latencies],
    )


def _hits(ranks: list[int | None]) -> dict[str, float]:
    return {str(k): v for k, v in metrics.hits_at_k(ranks, KS).items()}
