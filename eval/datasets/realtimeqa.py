"""RealTime QA 2023 Q1: dated multiple-choice news questions, the week's retrieved articles (gcs) as the
corpus, and the paper's systems' predictions scored on the very questions asked."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.article import Article, LoadError, Skipped, article_id
from eval.datasets.base import (
    Baseline,
    Dataset,
    EvalQuestion,
    corpus_fingerprint,
    jsonl_rows,
    missing_files,
)
from eval.metrics import contains_answer, exact_match
from ingest.load import load_file

FOLDER = "realtimeqa-2023q1"  # its folder name in ../shared/data

RTQA_SYSTEMS = {
    "open_gpt3_gcs": "GPT-3 + web search",
    "closed_gpt3": "GPT-3 closed-book",
    "open_gpt3_dpr": "GPT-3 + DPR",
    "closed_t5": "T5 closed-book",
    "open_rag_gcs": "RAG + web search",
    "open_rag_dpr": "RAG + DPR",
}
CEILING = "answer in the question's own articles"


def _week(path: Path, suffix: str) -> str:
    return path.name.removesuffix(f"_{suffix}.jsonl")


def load_realtimeqa(path: Path) -> Dataset:
    folder = FOLDER
    qa_files = sorted((path / "qa").glob("*_qa.jsonl"))
    if not qa_files:
        raise missing_files(path, "qa/*_qa.jsonl", folder)
    gcs_files = sorted((path / "gcs").glob("*_gcs.jsonl"))
    if not gcs_files:
        raise missing_files(path, "gcs/*_gcs.jsonl", folder)
    evidence, texts = _rtqa_evidence(gcs_files)
    questions: list[EvalQuestion] = []
    for qa_file in qa_files:
        week = _week(qa_file, "qa")
        if not (path / "gcs" / f"{week}_gcs.jsonl").is_file():
            raise ValueError(
                f"{path / 'gcs' / f'{week}_gcs.jsonl'} not found: every qa/<week>_qa.jsonl needs its"
                f" gcs/<week>_gcs.jsonl; pass a complete {folder} folder"
            )
        for number, row in jsonl_rows(qa_file):
            questions.append(_rtqa_question(row, week, evidence, texts, f"{qa_file}:{number}"))
    return Dataset(
        name="realtimeqa",
        path=path,
        questions=questions,
        baselines=rtqa_baselines(path, questions),
        fingerprint=corpus_fingerprint("realtimeqa", path, gcs_files),
        build_corpus=realtimeqa_corpus,
    )


def _rtqa_question(
    row: dict[str, Any],
    week: str,
    evidence: dict[tuple[str, str], frozenset[str]],
    texts: dict[str, str],
    where: str,
) -> EvalQuestion:
    try:
        qid = str(row["question_id"])
        choices = tuple(str(choice) for choice in row["choices"])
        answer = row["answer"]
        index = int(answer[0] if isinstance(answer, list) else answer)
        if not 0 <= index < len(choices):
            raise ValueError(f"answer index {index} outside the {len(choices)} choices")
        as_of = datetime.datetime.strptime(str(row["question_date"]).replace("-", "/"), "%Y/%m/%d").date()
        question = str(row["question_sentence"])
    except KeyError as exc:
        raise ValueError(f"{where}: missing field {exc}; is this a RealTime QA qa file?") from None
    except (ValueError, TypeError, IndexError) as exc:
        raise ValueError(f"{where}: bad RealTime QA question: {exc}") from None
    return EvalQuestion(
        id=f"{week}/{qid}",
        question=question,
        gold=choices[index],
        choices=choices,
        answer_index=index,
        as_of=as_of,
        evidence_ids=(ids := evidence.get((week, qid), frozenset())),
        answer_in_evidence=any(contains_answer(texts[i], choices[index]) for i in ids),
    )


def _rtqa_evidence(
    gcs_files: list[Path],
) -> tuple[dict[tuple[str, str], frozenset[str]], dict[str, str]]:
    """(week, question_id) -> article ids of its search results that have a url and some text; and each such
    article's text (as scraped)."""
    evidence: dict[tuple[str, str], frozenset[str]] = {}
    texts: dict[str, str] = {}
    for gcs_file in gcs_files:
        week = _week(gcs_file, "gcs")
        for _, row in jsonl_rows(gcs_file):
            ids = []
            for r in row.get("search_result") or []:
                if not isinstance(r, dict):
                    continue
                url, text = str(r.get("url") or "").strip(), str(r.get("text") or "")
                if url and text.strip():
                    ids.append(aid := article_id(url=url))
                    texts.setdefault(aid, f"{r.get('title') or ''}\n{text}")
            evidence[(week, str(row.get("question_id")))] = frozenset(ids)
    return evidence, texts


def realtimeqa_corpus(path: Path) -> Iterator[Article | LoadError | Skipped]:
    """The articles of all weeks' search results, each url once (the first week's copy)."""
    seen: set[str] = set()
    for gcs_file in sorted((path / "gcs").glob("*_gcs.jsonl")):
        for item in load_file(gcs_file):
            if isinstance(item, Article):
                if item.id in seen:
                    continue
                seen.add(item.id)
            yield item


_BASELINE_FILE = re.compile(r"(?P<week>.+?)_qa_(?P<system>(?:closed|open)_.+?)(?P<gen>_gen)?\.jsonl")


def rtqa_baselines(path: Path, questions: list[EvalQuestion]) -> list[Baseline]:
    """Choice accuracy and free-text exact match of the paper's systems on ``questions`` (missing = wrong),
    from ``path/baseline_results``, and the evidence-hit ceiling: the share of ``questions`` one of whose own
    search-result articles (``path/gcs``) holds the correct choice's text."""
    folder = path / "baseline_results"
    predictions: dict[tuple[str, bool], dict[str, Any]] = {}  # (system, gen) -> question id -> prediction
    for file in sorted(folder.glob("*_qa_*.jsonl")) if folder.is_dir() else []:
        match = _BASELINE_FILE.fullmatch(file.name)
        if not match:
            continue
        rows = predictions.setdefault((match["system"], bool(match["gen"])), {})
        for _, row in jsonl_rows(file):
            rows[f"{match['week']}/{row.get('question_id')}"] = row.get("prediction")
    systems = list(RTQA_SYSTEMS) + sorted({s for s, _ in predictions} - set(RTQA_SYSTEMS))
    baselines: list[Baseline] = []
    for gen in (False, True):
        for system in systems:
            if (system, gen) not in predictions or not questions:
                continue
            rows = predictions[(system, gen)]
            if gen:
                correct = sum(exact_match(str(rows.get(q.id) or ""), q.gold) for q in questions)
            else:
                correct = sum(_choice(rows.get(q.id)) == q.answer_index for q in questions)
            baselines.append(
                Baseline(
                    name=RTQA_SYSTEMS.get(system, system),
                    metric="exact_match" if gen else "choice_accuracy",
                    value=correct / len(questions),
                    n=len(questions),
                    source=f"computed from {folder}/*_qa_{system}{'_gen' if gen else ''}.jsonl",
                )
            )
    known = [q.answer_in_evidence for q in questions if q.answer_in_evidence is not None]
    if known:
        baselines.append(
            Baseline(
                CEILING,
                "evidence_hit_ceiling",
                sum(known) / len(known),
                len(known),
                f"counted from {path / 'gcs'}: the correct choice's text in one of the question's own articles",
            )
        )
    return baselines


def _choice(prediction: Any) -> int | None:
    """The index in a multiple-choice prediction (["2"], "2" or 2); None when there is none."""
    if isinstance(prediction, list):
        prediction = prediction[0] if prediction else None
    try:
        return int(prediction) if prediction is not None and not isinstance(prediction, bool) else None
    except (TypeError, ValueError):
        return None
