"""The evaluation harness: index a dataset's corpus, ask every question through the real assistant, score, report.

One run compares several configurations (``PRESETS``) on one dataset. Each configuration's index is built
once and reused while the corpus is unchanged; each answer is appended to a per-configuration cache as soon
as it exists, so a killed multi-hour run resumes where it stopped.
"""

from __future__ import annotations

import math
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from assistant.factory import build_assistant, build_retriever
from core.answer import Passage
from core.settings import Settings
from eval.answer_scores import score_answers
from eval.citation_scores import judge_citations
from eval.datasets import Baseline, Dataset, EvalQuestion, rtqa_baselines, select
from eval.environment import environment
from eval.naive import NaiveIndex
from eval.presets import KS, PRESETS, Preset, question_filter
from eval.results import ConfigResult, IngestRecord, QuestionRow, RunResult, from_dict, jsonable
from eval.retrieval_scores import score_retrieval
from ingest.collection import Index, open_index
from ingest.index import IngestReport


@dataclass
class RunOptions:
    configs: list[str]
    answer_configs: list[str]
    limit: int | None = None
    seed: int | None = None
    judge: str = ""  # "": no citation scores; "checker": the trained claim checker; "llm": the 1.5B judge
    command: str = ""
    # Answers and judge verdicts (default DATA_DIR/cache): commit it, and a run resumes on another machine.
    cache_dir: Path | None = None


def run(dataset: Dataset, base: Settings, options: RunOptions, out_dir: Path) -> RunResult:
    """Evaluate every configuration in ``options`` on ``dataset``; write results.json and report.md."""
    from eval.report import write_report

    unknown = [c for c in options.configs + options.answer_configs if c not in PRESETS]
    if unknown:
        raise ValueError(f"Unknown configuration {', '.join(unknown)}: choose from {', '.join(PRESETS)}.")
    questions = select(dataset.questions, options.limit, options.seed)
    results = RunResult(
        dataset=dataset.name,
        dataset_path=str(dataset.path),
        created=datetime.now().isoformat(timespec="seconds"),
        command=options.command,
        environment=environment(),
        limit=options.limit,
        seed=options.seed,
        questions=len(questions),
        baselines=baselines_for(dataset, questions),
        settings=jsonable(base.__dict__),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys(options.configs + options.answer_configs))
    cache_dir = options.cache_dir or base.data_dir / "cache"
    for name in names:
        preset = PRESETS[name]
        print(f"\n== {name}: {preset.description}", file=sys.stderr)
        config = evaluate(
            dataset, questions, preset, base, answer=name in options.answer_configs, cache_dir=cache_dir
        )
        results.configs.append(config)
        results.save(out_dir / "results.json")
    if options.judge:
        results.judge = judge_citations(results, base, cache_dir, options.judge)
    results.save(out_dir / "results.json")
    report = write_report(results, out_dir)
    print(f"\nWrote {out_dir / 'results.json'} and {report}", file=sys.stderr)
    return results


def baselines_for(dataset: Dataset, questions: list[EvalQuestion]) -> list[Baseline]:
    """The dataset's baselines, re-scored on just the questions asked when a run asks fewer (RealTime QA's
    systems' predictions are per question; published figures cannot be re-scored and are kept as they are)."""
    if dataset.name != "realtimeqa" or len(questions) == len(dataset.questions):
        return dataset.baselines
    rescored = rtqa_baselines(dataset.path, questions)
    return rescored + [b for b in dataset.baselines if b.metric not in {r.metric for r in rescored}]


def evaluate(
    dataset: Dataset,
    questions: list[EvalQuestion],
    preset: Preset,
    base: Settings,
    *,
    answer: bool,
    cache_dir: Path | None = None,
) -> ConfigResult:
    settings = base.with_overrides(**preset.overrides)
    settings = settings.with_overrides(collection=collection_name(dataset.name, settings))
    config = ConfigResult(
        name=preset.name,
        description=preset.description,
        settings=jsonable({**settings.__dict__, "as_of": preset.as_of}),
        rows=[QuestionRow(q.id, q.question, q.gold, q.qtype) for q in questions],
    )
    index: Index | None = None
    search: Callable[[EvalQuestion], list[Passage]] | None = None
    if preset.naive:
        naive = NaiveIndex(
            settings.data_dir, f"{dataset.name}-naive-langchain", open_index(settings).embeddings
        )
        config.ingest = _build(
            lambda p: from_dict(IngestRecord, naive.build(dataset.corpus(), dataset.fingerprint, p))
        )
        config.settings.update(chunk_size=1000, chunk_overlap="100 characters", retriever="dense (LangChain)")
        search = lambda q: naive.search(q.question, max(KS))  # noqa: E731
    elif not preset.gold:
        index = open_index(settings)
        config.ingest = ensure_index(index, dataset)
        retriever = build_retriever(settings, index, min_relevance=0.0, k=max(KS))
        search = lambda q: retriever.search(q.question, k=max(KS), filter=question_filter(q, preset))  # noqa: E731
    if search is not None:
        config.retrieval = score_retrieval(dataset, questions, search, config.rows)
    if answer:
        if index is None and not preset.gold:
            raise ValueError(f"Configuration {preset.name!r} cannot answer questions; use another one.")
        assistant = build_assistant(settings, index or _empty_index(settings))
        config.answers = score_answers(
            dataset,
            questions,
            preset,
            settings,
            assistant,
            config.rows,
            cache_dir or base.data_dir / "cache",
        )
    config.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return config


def collection_name(dataset: str, s: Settings) -> str:
    """One index per dataset, embedder and chunking; every retrieval setting shares it."""
    return f"{dataset}-{s.embedding_model}-c{s.chunk_size}-o{s.chunk_overlap}"


def ensure_index(index: Index, dataset: Dataset) -> IngestRecord:
    """Build the configuration's index from the corpus unless it was built from this very corpus."""
    meta = index.chunks.metadata
    if meta.get("corpus") == dataset.fingerprint and index.chunks.count():
        _ = index.chunks.mirror
        return IngestRecord(
            seconds=meta.get("ingest_seconds", math.nan),
            chunks=index.chunks.count(),
            articles=index.articles.counts()[0],
            chunks_per_s=meta.get("ingest_chunks_per_s", math.nan),
            reused=True,
        )

    def build(progress: Callable[[int, int], None]) -> IngestRecord:
        report = index.ingest(
            dataset.corpus(), on_progress=lambda r: progress(r.articles + r.unchanged, r.chunks), exact=True
        )
        for e in report.errors[:5]:
            print(f"  ingest error: {e.path}: {e.reason}", file=sys.stderr)
        return _ingest_record(report)

    record = _build(build)
    if record.articles:  # a fresh build: remember how long it took, for later runs that reuse it
        index.chunks.record(
            corpus=dataset.fingerprint,
            ingest_seconds=record.seconds,
            ingest_chunks_per_s=record.chunks_per_s,
        )
    else:
        index.chunks.record(corpus=dataset.fingerprint)
        record = IngestRecord(
            seconds=meta.get("ingest_seconds", math.nan),
            chunks=index.chunks.count(),
            articles=index.articles.counts()[0],
            chunks_per_s=meta.get("ingest_chunks_per_s", math.nan),
            errors=record.errors,
            skipped=record.skipped,
            reused=True,
        )
    return record


def _ingest_record(report: IngestReport) -> IngestRecord:
    return IngestRecord(
        seconds=round(report.seconds, 1),
        chunks=report.chunks,
        articles=report.articles,
        chunks_per_s=round(report.chunks / report.seconds, 1) if report.seconds else math.nan,
        errors=len(report.errors),
        skipped=len(report.skipped),
    )


def _build(fn: Callable[[Callable[[int, int], None]], IngestRecord]) -> IngestRecord:
    with tqdm(desc="Indexing", unit=" articles", file=sys.stderr, dynamic_ncols=True, mininterval=2) as bar:

        def progress(articles: int, chunks: int) -> None:
            bar.n = articles
            bar.set_postfix(chunks=chunks, refresh=False)
            bar.refresh()

        record = fn(progress)
    if math.isnan(record.chunks_per_s) and record.seconds:
        record.chunks_per_s = round(record.chunks / record.seconds, 1)
    return record


def _empty_index(settings: Settings) -> Index:
    return open_index(settings.with_overrides(collection="gold-evidence-unused"))
