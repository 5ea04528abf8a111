"""Answers asked and scored per question (correct, declined and why, choice, exact match, F1, timings),
then summarised over the run."""

from __future__ import annotations

import math
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.chain import Assistant
from core.answer import Passage
from core.article import Article
from core.settings import Settings
from eval import metrics
from eval.answer_cache import AnswerCache, cache_key, reverified
from eval.datasets import Dataset, EvalQuestion
from eval.declines import cause_table, decline_cause
from eval.presets import Preset, question_filter
from eval.results import (
    AnswerRow,
    AnswerScores,
    DeclineCauseCount,
    DeclineRecord,
    QuestionRow,
    TypeAccuracy,
)
from eval.wrong import wrong_cause, wrong_table


def score_answers(
    dataset: Dataset,
    questions: list[EvalQuestion],
    preset: Preset,
    settings: Settings,
    assistant: Assistant,
    rows: list[QuestionRow],
    cache_dir: Path,
) -> AnswerScores:
    """Ask every question (answers come from the cache when this configuration answered them before)."""
    cache = AnswerCache(cache_dir / dataset.name, cache_key(dataset, preset, settings, assistant))
    cached = sum(q.id in cache for q in questions)
    print(f"  answers: {cached} of {len(questions)} cached in {cache.path}", file=sys.stderr)
    bar = tqdm(
        questions, desc="Answering", unit=" questions", file=sys.stderr, dynamic_ncols=True, mininterval=2
    )
    for q, row in zip(bar, rows, strict=True):
        record = cache.get(q.id)
        if record is None:
            record = ask(assistant, q, preset, settings)
            cache.put(q.id, record)
        else:
            record = reverified(record, assistant.embeddings, q.as_of, assistant.reader)
        row.answer = score_answer(dataset, q, record, assistant.embeddings)
    scores = summarize_answers(dataset, questions, rows, assistant.backend)
    scores.cache = str(cache.path)
    return scores


def ask(assistant: Assistant, q: EvalQuestion, preset: Preset, settings: Settings) -> dict[str, Any]:
    """Put one question to the assistant: the cited answer, and for multiple choice the choice and a brief answer."""
    began = time.perf_counter()
    if preset.gold:
        answer = assistant.ask(q.question, passages=[_passage(a) for a in q.evidence])
    else:
        answer = assistant.ask(q.question, filter=question_filter(q, preset))
    record: dict[str, Any] = {"answer": answer.to_dict(), "latency_s": round(time.perf_counter() - began, 3)}
    if q.choices:
        # The assistant's passages, without its relevance floor: a guess among four beats no answer.
        passages = answer.passages or assistant.retriever.search(
            q.question, k=settings.k, filter=question_filter(q, preset), min_relevance=0.0
        )
        record["choice"] = assistant.choose(q.question, list(q.choices), passages)
        record["brief"] = assistant.short_answer(q.question, passages)
    return record


def score_answer(
    dataset: Dataset, q: EvalQuestion, record: dict[str, Any], embeddings: Embeddings | None = None
) -> AnswerRow:
    """One cached answer record (``ask``'s) scored against the question's gold answer."""
    a = record["answer"]
    text = a["answer"]
    found = answer_in_passages(dataset, q, a["passages"])
    if q.answerable:
        correct = not a["declined"] and metrics.contains_answer(_uncited(text), q.gold)
    else:
        correct = bool(a["declined"])
    timings = a.get("timings", {})
    row = AnswerRow(
        text=text,
        declined=a["declined"],
        correct=correct,
        answer_in_passages=found,
        latency_s=record["latency_s"],
        first_token_s=timings.get("first_token"),
        prompt_tokens=timings.get("prompt_tokens"),
        cached_tokens=timings.get("cached_tokens"),
        citations=[[c["n"], c["article_id"], c["quote"][:300]] for c in a["citations"]],
        choice=record.get("choice"),
        brief=record.get("brief"),
    )
    if q.answerable and a["declined"]:
        cause, checks = decline_cause(q.question, q.gold, a, answer_in_passages=found, embeddings=embeddings)
        row.decline = DeclineRecord(
            cause=cause,
            draft=a.get("draft", ""),
            sentences=[
                [
                    c.text,
                    list(c.cites),
                    round(c.alone, 3),
                    round(c.together, 3),
                    round(c.elsewhere, 3),
                    round(c.similarity, 3),
                ]
                for c in checks
            ],
        )
    if q.answerable and not a["declined"]:
        row.words = len(_uncited(text).split())
        row.conflicts = len(a.get("conflicts") or [])
        if not correct:
            row.wrong = wrong_cause(str(q.gold), a, q.as_of)
    row.read_answer = answer_read(dataset, q, a)
    if q.choices:
        row.choice_correct = record.get("choice") == q.answer_index
        row.em = metrics.exact_match(record.get("brief") or "", q.gold)
        row.f1 = metrics.token_f1(record.get("brief") or "", q.gold)
    return row


def answer_in_passages(dataset: Dataset, q: EvalQuestion, passages: list[dict[str, Any]]) -> bool:
    """Whether the passages the answerer was given hold the answer: RealTime QA, the correct choice's text;
    MultiHop-RAG, a passage of every evidence article (or the gold facts themselves); the sample, a passage
    of the question's article."""
    if dataset.name == "realtimeqa":
        return any(metrics.contains_answer(p["text"], q.gold) for p in passages)
    if q.evidence:
        urls = {p["url"] for p in passages}
        return all(a.url in urls for a in q.evidence)
    return bool(q.evidence_ids & {p["article_id"] for p in passages})


def answer_read(dataset: Dataset, q: EvalQuestion, answer: dict[str, Any]) -> bool | None:
    """Whether the model read the answer: RealTime QA, the correct choice's text in its excerpts (with their
    titles); MultiHop-RAG, an excerpt of every evidence article. None for a run that kept no excerpts."""
    read = answer.get("read")
    if not read or not q.answerable:
        return None
    passages = answer.get("passages") or []
    shown = [passages[r["n"] - 1] for r in read if 0 < r["n"] <= len(passages)]
    if dataset.name == "realtimeqa":
        text = "\n".join(f"{p['title']}\n{r['text']}" for p, r in zip(shown, read, strict=False))
        return metrics.contains_answer(text, q.gold)
    if q.evidence:
        return {a.url for a in q.evidence} <= {p["url"] for p in shown}
    return None


def summarize_answers(
    dataset: Dataset, questions: list[EvalQuestion], rows: list[QuestionRow], backend: str
) -> AnswerScores:
    answers = [r.answer for r in rows if r.answer is not None]
    assert len(answers) == len(questions), "every question is answered before the summary"
    latencies = [a.latency_s for a in answers]
    answerable = [a for a, q in zip(answers, questions, strict=True) if q.answerable]
    unanswerable = [a for a, q in zip(answers, questions, strict=True) if not q.answerable]
    mc = [(a, q) for a, q in zip(answers, questions, strict=True) if q.choices]
    by_type = metrics.accuracy_by_type(
        [(q.qtype or "all", a.correct) for a, q in zip(answers, questions, strict=True)]
    )
    found = [a for a in answerable if a.answer_in_passages]
    shown = [a for a in answerable if not a.declined]
    prompted = [a for a in answers if a.prompt_tokens]
    read = [a.read_answer for a in answerable if a.read_answer is not None]
    lengths = sorted(a.words for a in shown if a.words is not None)
    return AnswerScores(
        n=len(answers),
        backend=backend,
        choice_accuracy=(
            metrics.choice_accuracy([a.choice for a, _ in mc], [q.answer_index or 0 for _, q in mc])
            if mc
            else None
        ),
        exact_match=_mean([a.em for a, _ in mc]) if mc else None,
        token_f1=_mean([a.f1 for a, _ in mc]) if mc else None,
        accuracy=_mean([a.correct for a in answers]),
        accuracy_by_type=(
            {t: TypeAccuracy(c, n, acc) for t, (c, n, acc) in by_type.items()}
            if dataset.name != "realtimeqa"
            else None
        ),
        declined_unanswerable=_mean([a.declined for a in unanswerable]) if unanswerable else None,
        declined_answerable=_mean([a.declined for a in answerable]) if answerable else None,
        right_when_answered=_mean([a.correct for a in shown]) if shown else None,
        # the target measure: declined although the passages given held the answer
        declined_answer_in_passages=_mean([a.declined for a in found]) if found else None,
        answer_in_passages=_mean([a.answer_in_passages for a in answerable]) if answerable else None,
        decline_causes=[
            DeclineCauseCount(c, d, n, round(share, 3))
            for c, d, n, share in cause_table([a.decline.cause for a in answerable if a.decline])
        ],
        wrong_causes=[
            DeclineCauseCount(c, d, n, round(share, 3))
            for c, d, n, share in wrong_table([a.wrong for a in shown if a.wrong])
        ],
        shown_wrong=_mean([not a.correct for a in shown]) if shown else None,
        median_answer_words=float(statistics.median(lengths)) if lengths else None,
        answer_read=_mean(read) if read and len(read) == len(answerable) else None,
        with_conflicts=sum(a.conflicts > 0 for a in shown),
        first_token_s=metrics.latency_summary([a.first_token_s for a in answers if a.first_token_s]),
        prompt_tokens=metrics.latency_summary([a.prompt_tokens for a in prompted if a.prompt_tokens]),
        # what llama.cpp had to read for each answer: the constant start of the prompt comes from its cache
        new_prompt_tokens=metrics.latency_summary(
            [(a.prompt_tokens or 0) - (a.cached_tokens or 0) for a in prompted]
        ),
        latency_s=metrics.latency_summary(latencies),
        latencies_s=latencies,
    )


def _passage(a: Article) -> Passage:
    return Passage(a.id, a.id, a.title, a.source, a.url, a.author, a.published, a.text, 0, len(a.text), 1.0)


def _uncited(text: str) -> str:
    return re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", text)


def _mean(values: list[Any]) -> float:
    return (
        sum(bool(v) if isinstance(v, bool) else float(v) for v in values) / len(values)
        if values
        else math.nan
    )
