"""The bundled sample corpus and its 30 questions (six with no answer in it)."""

from __future__ import annotations

from pathlib import Path

from core.article import Article
from eval.datasets.base import (
    Dataset,
    EvalQuestion,
    corpus_fingerprint,
    jsonl_rows,
    missing_files,
)
from ingest.load import load_articles

FOLDER = "sample_corpus"  # the bundled folder (assistant/sample_corpus)

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "assistant" / "sample_corpus"


def load_sample(path: Path) -> Dataset:
    folder = FOLDER
    questions_file, articles = path / "questions.jsonl", path / "articles"
    if not questions_file.is_file():
        raise missing_files(path, "questions.jsonl", folder)
    if not articles.is_dir():
        raise missing_files(path, "articles/", folder)
    by_title: dict[str, set[str]] = {}
    for item in load_articles([articles]):
        if isinstance(item, Article):
            by_title.setdefault(item.title, set()).add(item.id)
    questions: list[EvalQuestion] = []
    for number, row in jsonl_rows(questions_file):
        answerable = bool(row.get("answerable", True))
        title = str(row.get("article_title") or "")
        ids = frozenset(by_title.get(title, ()))
        if answerable and not ids:
            raise ValueError(f"{questions_file}:{number}: no article in {articles} has the title {title!r}")
        if "id" not in row or "question" not in row:
            raise ValueError(f"{questions_file}:{number}: needs id and question fields")
        questions.append(
            EvalQuestion(
                id=str(row["id"]),
                question=str(row["question"]),
                gold=str(row.get("answer") or ""),
                qtype="answerable" if answerable else "unanswerable",
                answerable=answerable,
                evidence_ids=ids,
            )
        )
    files = [
        f
        for f in articles.rglob("*")
        if f.is_file() and not any(part.startswith(".") for part in f.relative_to(articles).parts)
    ]
    return Dataset(
        name="sample",
        path=path,
        questions=questions,
        baselines=[],
        fingerprint=corpus_fingerprint("sample", path, files),
        build_corpus=lambda p: load_articles([p / "articles"]),
    )
