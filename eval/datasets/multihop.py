"""MultiHop-RAG: queries whose answers need several articles' facts; the evidence facts are the corpus, and
the published figures are the baselines."""

from __future__ import annotations

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
    missing_files,
    read_json,
)

FOLDER = "multihop-rag-500"  # its folder name in ../shared/data

_MULTIHOP_SOURCE = (
    "published: MultiHop-RAG paper (arXiv 2401.15391), on the full benchmark (2,556 queries, 609 articles), "
    "not on this folder's queries"
)
_MULTIHOP_PUBLISHED = (
    ("GPT-4 with retrieved chunks", "accuracy", 0.56),
    ("GPT-4 with gold evidence", "accuracy", 0.89),
    ("best retrieval with reranker", "hits@10", 0.7467),
    ("best retrieval with reranker", "hits@4", 0.6625),
)
NULL_QUERY = "null_query"


def load_multihop(path: Path) -> Dataset:
    folder = FOLDER
    for required in ("queries.json", "ground_truth.json"):
        if not (path / required).is_file():
            raise missing_files(path, required, folder)
    data = read_json(path / "queries.json")
    queries = data.get("queries") if isinstance(data, dict) else data
    if not isinstance(queries, list):
        raise ValueError(f"{path / 'queries.json'}: expected {{'queries': [...]}}; is this MultiHop-RAG?")
    truth = _multihop_truth(path)
    questions: list[EvalQuestion] = []
    for number, query in enumerate(queries):
        where = f"{path / 'queries.json'}: queries[{number}]"
        try:
            qid, question, qtype = str(query["id"]), str(query["question"]), str(query["question_type"])
        except (KeyError, TypeError):
            raise ValueError(f"{where}: needs id, question and question_type") from None
        if qid not in truth:
            raise ValueError(f"{where}: id {qid!r} has no entry in ground_truth.json")
        facts = _facts(truth[qid], qid)
        questions.append(
            EvalQuestion(
                id=qid,
                question=question,
                gold=str(truth[qid].get("answer", "")),
                qtype=qtype,
                answerable=qtype != NULL_QUERY,
                evidence_ids=frozenset(article_id(url=fact["url"]) for fact in facts),
                evidence=tuple(
                    _fact_article(fact, path, f"{article_id(url=fact['url'])}-f{i}")
                    for i, fact in enumerate(facts)
                ),
            )
        )
    return Dataset(
        name="multihop",
        path=path,
        questions=questions,
        baselines=[
            Baseline(name, metric, value, 0, _MULTIHOP_SOURCE) for name, metric, value in _MULTIHOP_PUBLISHED
        ],
        fingerprint=corpus_fingerprint("multihop", path, [path / "ground_truth.json"]),
        build_corpus=multihop_corpus,
    )


def _multihop_truth(path: Path) -> dict[str, dict[str, Any]]:
    truth = read_json(path / "ground_truth.json")
    if not isinstance(truth, dict):
        raise ValueError(f"{path / 'ground_truth.json'}: expected {{id: {{answer, evidence_list}}}}")
    return {str(key): value for key, value in truth.items()}


def _facts(entry: dict[str, Any], qid: str) -> list[dict[str, Any]]:
    """The evidence facts of one ground-truth entry that have a url and a fact."""
    facts = entry.get("evidence_list") or []
    if not isinstance(facts, list):
        raise ValueError(f"ground_truth.json: {qid}: evidence_list is not a list")
    return [
        f
        for f in facts
        if isinstance(f, dict) and str(f.get("url") or "").strip() and str(f.get("fact") or "").strip()
    ]


def _fact_article(fact: dict[str, Any], path: Path, id: str, text: str | None = None) -> Article:
    """An Article with a fact's metadata; ``text`` defaults to the fact itself."""
    published = str(fact.get("published_at") or "")[:10]
    return Article(
        id=id,
        title=str(fact.get("title") or ""),
        text=str(fact["fact"]).strip() if text is None else text,
        source=str(fact.get("source") or ""),
        url=str(fact["url"]).strip(),
        author=str(fact.get("author") or ""),
        published=published if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published) else "",
        path=f"{path.name}/ground_truth.json",
        extra={"category": str(fact["category"])} if fact.get("category") else {},
    )


def multihop_corpus(path: Path) -> Iterator[Article | LoadError | Skipped]:
    """One Article per url: its distinct evidence facts over all queries, first-seen order, blank-line joined."""
    grouped: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for qid, entry in _multihop_truth(path).items():
        for fact in _facts(entry, qid):
            first, texts = grouped.setdefault(article_id(url=fact["url"]), (fact, []))
            if str(fact["fact"]).strip() not in texts:
                texts.append(str(fact["fact"]).strip())
    for aid, (first, texts) in grouped.items():
        yield _fact_article(first, path, aid, "\n\n".join(texts))
