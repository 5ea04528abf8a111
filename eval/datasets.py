"""Benchmark datasets in one shape for the evaluation harness: questions, a corpus to index, baselines.

``load_dataset("realtimeqa" | "multihop" | "sample", path)`` reads RealTime QA 2023Q1, MultiHop-RAG 500 (see
``../shared/data/README.md`` for their layouts) or the bundled sample corpus. Data is read in place, never copied.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import contains_answer, exact_match
from ingest.article import Article, LoadError, article_id
from ingest.load import Skipped, load_articles, load_file

DATASETS = ("realtimeqa", "multihop", "sample")
SAMPLE_CORPUS = Path(__file__).resolve().parents[1] / "assistant" / "sample_corpus"
_CORPUS_VERSION = "1"  # bump when the way a corpus is built from the files changes (keys cached indexes)
_FOLDERS = {"realtimeqa": "realtimeqa-2023q1", "multihop": "multihop-rag-500", "sample": "sample_corpus"}

RTQA_SYSTEMS = {
    "open_gpt3_gcs": "GPT-3 + web search",
    "closed_gpt3": "GPT-3 closed-book",
    "open_gpt3_dpr": "GPT-3 + DPR",
    "closed_t5": "T5 closed-book",
    "open_rag_gcs": "RAG + web search",
    "open_rag_dpr": "RAG + DPR",
}
_MULTIHOP_SOURCE = (
    "published: MultiHop-RAG paper (arXiv 2401.15391), on the full benchmark (2,556 queries, 609 articles), "
    "not on this folder's queries"
)
CEILING = "answer in the question's own articles"
_MULTIHOP_PUBLISHED = (
    ("GPT-4 with retrieved chunks", "accuracy", 0.56),
    ("GPT-4 with gold evidence", "accuracy", 0.89),
    ("best retrieval with reranker", "hits@10", 0.7467),
    ("best retrieval with reranker", "hits@4", 0.6625),
)
NULL_QUERY = "null_query"


@dataclass(frozen=True)
class EvalQuestion:
    """One benchmark question with its gold answer and the ids of its own articles."""

    id: str
    question: str
    gold: str
    choices: tuple[str, ...] = ()
    answer_index: int | None = None
    as_of: datetime.date | None = None  # articles published later are not evidence
    qtype: str = ""
    answerable: bool = True
    evidence_ids: frozenset[str] = frozenset()
    evidence: tuple[Article, ...] = ()  # MultiHop: the gold evidence facts, one Article each
    answer_in_evidence: bool | None = None  # RealTime QA: one of its own articles holds the answer's text


@dataclass(frozen=True)
class Baseline:
    """A reference figure to compare with: computed from a system's predictions, or published (n=0)."""

    name: str
    metric: str
    value: float
    n: int
    source: str


@dataclass
class Dataset:
    """Questions, baselines and (lazily) the corpus to index; ``fingerprint`` keys a cached index."""

    name: str
    path: Path
    questions: list[EvalQuestion]
    baselines: list[Baseline]
    fingerprint: str

    def corpus(self) -> Iterator[Article | LoadError | Skipped]:
        """Everything to index, one item at a time, each article id once."""
        builders: dict[str, Callable[[Path], Iterator[Article | LoadError | Skipped]]] = {
            "realtimeqa": _rtqa_corpus,
            "multihop": _multihop_corpus,
            "sample": lambda path: load_articles([path / "articles"]),
        }
        if self.name not in builders:
            raise ValueError(f"no corpus for dataset {self.name!r}; use one of {', '.join(DATASETS)}")
        return builders[self.name](self.path)


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
    loader = {"realtimeqa": _load_rtqa, "multihop": _load_multihop, "sample": _load_sample}[name]
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


# ---- helpers ----------------------------------------------------------------------------------------------


def _missing(path: Path, pattern: str, folder: str) -> ValueError:
    """The error for a folder without the expected files, pointing at the right folder when it is inside."""
    hint = f" (found {path / folder}: pass that)" if (path / folder).is_dir() else ""
    return ValueError(f"{path / pattern} not found: pass the {folder} folder{hint}")


def _fingerprint(name: str, root: Path, files: Iterable[Path]) -> str:
    """sha256 over the dataset name, the corpus-building version and each file's relative path and bytes."""
    digest = hashlib.sha256(f"{name}\x1f{_CORPUS_VERSION}".encode())
    for file in sorted(files):
        digest.update(f"\x1e{file.relative_to(root).as_posix()}\x1f".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; ValueError naming the line when it is not an object."""
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            yield number, row


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


# ---- RealTime QA ------------------------------------------------------------------------------------------


def _week(path: Path, suffix: str) -> str:
    return path.name.removesuffix(f"_{suffix}.jsonl")


def _load_rtqa(path: Path) -> Dataset:
    folder = _FOLDERS["realtimeqa"]
    qa_files = sorted((path / "qa").glob("*_qa.jsonl"))
    if not qa_files:
        raise _missing(path, "qa/*_qa.jsonl", folder)
    gcs_files = sorted((path / "gcs").glob("*_gcs.jsonl"))
    if not gcs_files:
        raise _missing(path, "gcs/*_gcs.jsonl", folder)
    evidence, texts = _rtqa_evidence(gcs_files)
    questions: list[EvalQuestion] = []
    for qa_file in qa_files:
        week = _week(qa_file, "qa")
        if not (path / "gcs" / f"{week}_gcs.jsonl").is_file():
            raise ValueError(
                f"{path / 'gcs' / f'{week}_gcs.jsonl'} not found: every qa/<week>_qa.jsonl needs its"
                f" gcs/<week>_gcs.jsonl; pass a complete {folder} folder"
            )
        for number, row in _jsonl(qa_file):
            questions.append(_rtqa_question(row, week, evidence, texts, f"{qa_file}:{number}"))
    return Dataset(
        name="realtimeqa",
        path=path,
        questions=questions,
        baselines=rtqa_baselines(path, questions),
        fingerprint=_fingerprint("realtimeqa", path, gcs_files),
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
        for _, row in _jsonl(gcs_file):
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


def _rtqa_corpus(path: Path) -> Iterator[Article | LoadError | Skipped]:
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
        for _, row in _jsonl(file):
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


# ---- MultiHop-RAG -----------------------------------------------------------------------------------------


def _load_multihop(path: Path) -> Dataset:
    folder = _FOLDERS["multihop"]
    for required in ("queries.json", "ground_truth.json"):
        if not (path / required).is_file():
            raise _missing(path, required, folder)
    data = _read_json(path / "queries.json")
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
        fingerprint=_fingerprint("multihop", path, [path / "ground_truth.json"]),
    )


def _multihop_truth(path: Path) -> dict[str, dict[str, Any]]:
    truth = _read_json(path / "ground_truth.json")
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


def _multihop_corpus(path: Path) -> Iterator[Article | LoadError | Skipped]:
    """One Article per url: its distinct evidence facts over all queries, first-seen order, blank-line joined."""
    grouped: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for qid, entry in _multihop_truth(path).items():
        for fact in _facts(entry, qid):
            first, texts = grouped.setdefault(article_id(url=fact["url"]), (fact, []))
            if str(fact["fact"]).strip() not in texts:
                texts.append(str(fact["fact"]).strip())
    for aid, (first, texts) in grouped.items():
        yield _fact_article(first, path, aid, "\n\n".join(texts))


# ---- the sample corpus ------------------------------------------------------------------------------------


def _load_sample(path: Path) -> Dataset:
    folder = _FOLDERS["sample"]
    questions_file, articles = path / "questions.jsonl", path / "articles"
    if not questions_file.is_file():
        raise _missing(path, "questions.jsonl", folder)
    if not articles.is_dir():
        raise _missing(path, "articles/", folder)
    by_title: dict[str, set[str]] = {}
    for item in load_articles([articles]):
        if isinstance(item, Article):
            by_title.setdefault(item.title, set()).add(item.id)
    questions: list[EvalQuestion] = []
    for number, row in _jsonl(questions_file):
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
        fingerprint=_fingerprint("sample", path, files),
    )
