"""The report's Markdown sections, each from a ``RunResult``; a section with nothing to show is left out."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.report.tables import (
    DASH,
    Column,
    Row,
    at_k,
    baseline_key,
    baseline_rows,
    baseline_sources,
    baselines,
    dec,
    escape,
    fmt,
    fmt_int,
    is_retrieval_metric,
    ks_of,
    non_empty,
    num,
    table,
    truncate,
)
from eval.results import ConfigResult, JudgeCheck, RunResult, TypeAccuracy

KEY_PACKAGES = (
    "chromadb",
    "sentence-transformers",
    "torch",
    "langchain-core",
    "langchain-chroma",
    "xllamacpp",
    "numpy",
)
ANSWER_METRICS = (
    ("choice_accuracy", "choice accuracy"),
    ("exact_match", "exact match"),
    ("accuracy", "accuracy"),
)
ANSWER_TEXT_LIMIT = 200
OTHER_TEXT_LIMIT = 300
MAX_FAILURES = 10


def header_lines(results: RunResult) -> list[str]:
    """Title, run line, command and environment."""
    lines = [f"# Evaluation: {results.dataset or 'unknown'}", ""]
    run = []
    if results.created:
        run.append(f"Run {results.created.replace('T', ' ')}")
    if results.questions:
        extras = [f"{k} {v}" for k, v in (("limit", results.limit), ("seed", results.seed)) if v is not None]
        run.append(f"{results.questions} questions" + (f" ({', '.join(extras)})" if extras else ""))
    if results.dataset_path:
        run.append(f"data `{results.dataset_path}`")
    if run:
        lines += [" · ".join(run) + ".", ""]
    if results.command:
        command = results.command
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", command)), default=0))
        lines += [fence, command, fence, ""]
    env = environment_line(results.environment)
    if env:
        lines += [env, ""]
    return lines


def environment_line(env: Mapping[str, Any]) -> str:
    """Python, platform, CPU (model and vector extensions), memory and key package versions on one line."""
    parts = []
    if env.get("python"):
        parts.append(f"Python {env['python']}")
    if env.get("platform"):
        parts.append(str(env["platform"]))
    if env.get("cpu"):
        parts.append(f"CPU {env['cpu']}")
    if env.get("cpus") is not None:
        parts.append(f"{env['cpus']} CPUs")
    if num(env.get("memory_gb")) is not None:
        parts.append(f"{fmt(env['memory_gb'], 1)} GB RAM")
    packages = env.get("packages") or {}
    keys = [p for p in KEY_PACKAGES if p in packages] or sorted(packages)[:8]
    parts += [f"{p} {packages[p]}" for p in keys]
    return ("Environment: " + " · ".join(parts) + ".") if parts else ""


def retrieval_columns(results: RunResult, retrieval_baselines: Sequence[Any]) -> list[Column]:
    """Answer-hit, MRR, evidence-hit and latency columns for every k any config or baseline has."""
    answer_ks: set[int] = set()
    evidence_ks: set[int] = set()
    for cfg in results.configs:
        if cfg.retrieval:
            answer_ks |= ks_of(cfg.retrieval.answer_hit)
            evidence_ks |= ks_of(cfg.retrieval.evidence_hit)
    for b in retrieval_baselines:
        family, _, k = baseline_key(b.metric).partition("@")
        if k.isdigit():
            (answer_ks if family == "answer_hit" else evidence_ks).add(int(k))
    cols = [Column(f"answer_hit@{k}", f"answer hit@{k}", better="max") for k in sorted(answer_ks)]
    cols.append(Column("answer_mrr", "answer MRR", better="max"))
    cols += [Column(f"evidence_hit@{k}", f"evidence hit@{k}", better="max") for k in sorted(evidence_ks)]
    cols.append(Column("evidence_mrr", "evidence MRR", better="max"))
    cols.append(Column("article_hit@5", "article hit@5", better="max"))
    cols.append(Column("retrieval_p50", "p50 ms", dec(1), "min"))
    cols.append(Column("retrieval_p95", "p95 ms", dec(1), "min"))
    return cols


def retrieval_values(cfg: ConfigResult) -> dict[str, Any]:
    """One config's retrieval numbers keyed by column."""
    r = cfg.retrieval
    if r is None:
        return {}
    vals: dict[str, Any] = {
        "answer_mrr": r.answer_mrr,
        "evidence_mrr": r.evidence_mrr,
        "article_hit@5": at_k(r.article_hit, 5),
    }
    for family, hits in (("answer_hit", r.answer_hit), ("evidence_hit", r.evidence_hit)):
        for k in ks_of(hits):
            vals[f"{family}@{k}"] = at_k(hits, k)
    vals["retrieval_p50"], vals["retrieval_p95"] = r.latency_ms.get("p50"), r.latency_ms.get("p95")
    return vals


def retrieval_lines(results: RunResult) -> list[str]:
    """The Retrieval section, or nothing when no config retrieved and no retrieval baseline exists."""
    configs = [c for c in results.configs if c.retrieval]
    base = baselines(results, is_retrieval_metric)
    if not configs and not base:
        return []
    rows: list[Row] = [(c.name, retrieval_values(c), False) for c in configs]
    rows += baseline_rows(base)
    columns = non_empty(rows, retrieval_columns(results, base))
    lines = ["## Retrieval", "", *table("config", columns, rows)]
    for b in baselines(results, lambda key: key == "evidence_hit_ceiling"):
        n = f", n={b.n}" if b.n else ""
        lines += [
            "",
            f"Evidence-hit ceiling (*{escape(b.name)}*{n}): {fmt(b.value)}, "
            "the share of questions whose evidence contains the answer at all, an upper bound on evidence hit@k.",
        ]
    if any(c.retrieval and c.retrieval.article_hit for c in configs):
        lines += [
            "",
            "Article hit@5: a top-5 passage comes from one of the question's own articles, whether or not it "
            "holds the answer; evidence hit@5 below it is the right story found with the wrong passage.",
        ]
    return lines + baseline_sources(base) + [""]


def answer_values(cfg: ConfigResult) -> dict[str, Any]:
    """One config's answer numbers keyed by column."""
    a = cfg.answers
    if a is None:
        return {"answer_p50": None, "answer_p95": None}
    return {
        "backend": a.backend,
        "choice_accuracy": a.choice_accuracy,
        "exact_match": a.exact_match,
        "token_f1": a.token_f1,
        "accuracy": a.accuracy,
        "declined_unanswerable": a.declined_unanswerable,
        "declined_answerable": a.declined_answerable,
        "right_when_answered": a.right_when_answered,
        "shown_wrong": a.shown_wrong,
        "declined_answer_in_passages": a.declined_answer_in_passages,
        "answer_read": a.answer_read,
        "median_answer_words": a.median_answer_words,
        "with_conflicts": a.with_conflicts,
        "answer_p50": a.latency_s.get("p50"),
        "answer_p95": a.latency_s.get("p95"),
        "first_token_p50": a.first_token_s.get("p50"),
        "prompt_tokens_p50": a.prompt_tokens.get("p50"),
        "new_prompt_tokens_p50": a.new_prompt_tokens.get("p50"),
    }


ANSWER_COLUMNS = (
    Column("backend", "backend"),
    Column("choice_accuracy", "choice accuracy", better="max"),
    Column("exact_match", "exact match", better="max"),
    Column("token_f1", "token F1", better="max"),
    Column("accuracy", "accuracy", better="max"),
    Column("declined_unanswerable", "declined (unanswerable)", better="max"),
    Column("declined_answerable", "wrongly declined (answerable)", better="min"),
    Column("right_when_answered", "right when answered", better="max"),
    Column("shown_wrong", "shown but wrong", better="min"),
    Column("declined_answer_in_passages", "wrongly declined (answer in passages)", better="min"),
    Column("answer_read", "answer read by the model", better="max"),
    Column("median_answer_words", "answer words p50", dec(0)),
    Column("with_conflicts", "with differing reports", dec(0)),
    Column("prompt_tokens_p50", "prompt tokens p50", dec(0), "min"),
    Column("new_prompt_tokens_p50", "not from cache p50", dec(0), "min"),
    Column("first_token_p50", "first token p50 s", dec(1), "min"),
    Column("answer_p50", "p50 s", dec(1), "min"),
    Column("answer_p95", "p95 s", dec(1), "min"),
)


def answers_lines(results: RunResult) -> list[str]:
    """The Answers section, or nothing when no config answered."""
    configs = [c for c in results.configs if c.answers]
    if not configs:
        return []
    base = baselines(results, lambda key: key in dict(ANSWER_METRICS))
    rows: list[Row] = [(c.name, answer_values(c), False) for c in configs]
    rows += baseline_rows(base)
    columns = non_empty(rows, ANSWER_COLUMNS)
    return ["## Answers", "", *table("config", columns, rows), *baseline_sources(base), ""]


def decline_lines(results: RunResult, examples: int = 3) -> list[str]:
    """Why answerable questions were declined, per config: the cause table and a few drafts of each cause."""
    lines: list[str] = []
    for cfg in results.configs:
        causes = cfg.answers.decline_causes if cfg.answers else []
        if not causes:
            continue
        declined = [(r, r.answer.decline) for r in cfg.rows if r.answer and r.answer.decline]
        lines += [
            f"### {escape(cfg.name)}: {len(declined)} answerable questions declined",
            "",
            "| cause | what it means | questions | share |",
            "|---|---|---|---|",
            *(f"| {c.cause} | {escape(c.description)} | {c.count} | {fmt(c.share)} |" for c in causes),
            "",
        ]
        for c in causes:
            for row, decline in [(r, d) for r, d in declined if d.cause == c.cause][:examples]:
                draft = truncate(" ".join(decline.draft.split()), 240)
                lines.append(
                    f"- {c.cause}: {escape(truncate(row.question, 160))} → {escape(draft) or '(no draft)'}"
                )
        lines.append("")
    return ["## Why answerable questions were declined", "", *lines] if lines else []


def wrong_lines(results: RunResult, examples: int = 3) -> list[str]:
    """Why shown answers were wrong, per config: the cause table and a few answers of each cause."""
    lines: list[str] = []
    for cfg in results.configs:
        causes = cfg.answers.wrong_causes if cfg.answers else []
        if not causes:
            continue
        wrong = [r for r in cfg.rows if r.answer and r.answer.wrong]
        lines += [
            f"### {escape(cfg.name)}: {len(wrong)} shown answers wrong",
            "",
            "| cause | what it means | questions | share |",
            "|---|---|---|---|",
            *(f"| {c.cause} | {escape(c.description)} | {c.count} | {fmt(c.share)} |" for c in causes),
            "",
        ]
        for c in causes:
            for row in [r for r in wrong if r.answer and r.answer.wrong == c.cause][:examples]:
                shown = truncate(" ".join(row.answer.text.split()), 240) if row.answer else ""
                lines.append(
                    f"- {c.cause}: {escape(truncate(row.question, 160))} (gold: {escape(gold_text(row.gold))})"
                    f" → {escape(shown)}"
                )
        lines.append("")
    return ["## Shown but wrong", "", *lines] if lines else []


def by_type_lines(results: RunResult) -> list[str]:
    """Accuracy per question type: rows are types, columns are configs."""
    per_config = {c.name: found for c in results.configs if (found := by_type(c))}
    if not per_config:
        return []
    types = list(dict.fromkeys(t for found in per_config.values() for t in found))
    columns = [Column(name, escape(name), str) for name in per_config]
    rows: list[Row] = []
    for t in types:
        rows.append((t, {name: type_cell(per_config[name].get(t)) for name in per_config}, False))
    return ["## Accuracy by question type", "", *table("question type", columns, rows), ""]


def by_type(cfg: ConfigResult) -> dict[str, TypeAccuracy]:
    """A config's accuracy by question type, or an empty dict."""
    return dict(cfg.answers.accuracy_by_type or {}) if cfg.answers else {}


def type_cell(entry: TypeAccuracy | None) -> str:
    """ "0.500 (3/6)" for one type, or "–"."""
    if not entry:
        return DASH
    return f"{fmt(entry.accuracy)} ({fmt_int(entry.correct)}/{fmt_int(entry.total)})"


CITATION_COLUMNS = (
    Column("recall", "recall", better="max"),
    Column("precision", "precision", better="max"),
    Column("uncited", "uncited share", better="min"),
    Column("sentences", "sentences", fmt_int),
    Column("judge", "judge"),
)


def citation_lines(results: RunResult) -> list[str]:
    """Citation quality per config, then how well the judge agrees with hand labels."""
    rows: list[Row] = [
        (c.name, dataclasses.asdict(c.answers.citation), False)
        for c in results.configs
        if c.answers and c.answers.citation
    ]
    judge = judge_line(results.judge)
    if not rows and not judge:
        return []
    lines = ["## Citation quality", ""]
    if rows:
        lines += [*table("config", CITATION_COLUMNS, rows), ""]
    if judge:
        lines += [judge, ""]
    return lines


def judge_line(judge: JudgeCheck | None) -> str:
    """One sentence on the citation judge's agreement with hand labels, or ""."""
    if not judge:
        return ""
    model = f" (`{judge.model}`)" if judge.model else ""
    counts = "/".join(fmt_int(v) for v in (judge.tp, judge.fp, judge.fn, judge.tn))
    line = (
        f"Judge{model} agreement with hand labels: {fmt(judge.agreement)} on {fmt_int(judge.n)} pairs, "
        f"kappa {fmt(judge.kappa)}; tp/fp/fn/tn {counts}."
    )
    held = judge.held_out
    if held and held.n:
        line += (
            f" On the {fmt_int(held.n)} held-out pairs alone (never used to choose the judge's prompt or "
            f"threshold): {fmt(held.agreement)}, kappa {fmt(held.kappa)}; false accepts {fmt_int(held.fp)} of "
            f"{fmt_int(held.fp + held.tn)}, false refusals {fmt_int(held.fn)} of {fmt_int(held.fn + held.tp)}."
        )
    return line


SPEED_COLUMNS = (
    Column("ingest_s", "ingest s", dec(1)),
    Column("chunks", "chunks", fmt_int),
    Column("chunks_per_s", "chunks/s", dec(1)),
    Column("retrieval_p50", "retrieval p50 ms", dec(1)),
    Column("retrieval_p95", "retrieval p95 ms", dec(1)),
    Column("answer_p50", "answer p50 s", dec(1)),
    Column("answer_p95", "answer p95 s", dec(1)),
    Column("peak_rss_mb", "peak RSS MB", dec(1)),
)


def speed_values(cfg: ConfigResult) -> dict[str, Any]:
    """One config's ingest, latency and memory numbers keyed by column."""
    vals = {k: v for k, v in retrieval_values(cfg).items() if k.startswith("retrieval_")}
    answers = answer_values(cfg)
    vals.update(
        answer_p50=answers["answer_p50"], answer_p95=answers["answer_p95"], peak_rss_mb=cfg.peak_rss_mb
    )
    if cfg.ingest:
        seconds: Any = cfg.ingest.seconds
        if cfg.ingest.reused:
            seconds = f"{fmt(seconds, 1)} (reused)"
        vals.update(ingest_s=seconds, chunks=cfg.ingest.chunks, chunks_per_s=cfg.ingest.chunks_per_s)
    return vals


def speed_lines(results: RunResult) -> list[str]:
    """The Speed and memory section, or nothing without configs."""
    rows: list[Row] = [(c.name, speed_values(c), False) for c in results.configs]
    columns = non_empty(rows, SPEED_COLUMNS)
    if not rows or not columns:
        return []
    return ["## Speed and memory", "", *table("config", columns, rows), ""]


PLOT_TITLES = {
    "accuracy_vs_k.png": "Retrieval hit rate vs k",
    "latency.png": "Latency",
    "by_type.png": "Accuracy by question type",
    "answers.png": "Answer accuracy",
}


def plot_lines(plots: Sequence[Path]) -> list[str]:
    """The Plots section embedding each written PNG by relative link."""
    if not plots:
        return []
    lines = ["## Plots", ""]
    for path in plots:
        lines += [f"![{PLOT_TITLES.get(path.name, path.stem)}]({path.name})", ""]
    return lines


def failure_lines(results: RunResult) -> list[str]:
    """Up to ten wrong answers of the first config that answered."""
    cfg = next((c for c in results.configs if c.answers), None)
    if cfg is None:
        return []
    wrong = [r for r in cfg.rows if r.answer and r.answer.correct is False]
    if not wrong:
        return []
    shown = wrong[:MAX_FAILURES]
    lines = [
        f"## Failures ({escape(cfg.name)})",
        "",
        f"First {len(shown)} of {len(wrong)} wrong answers.",
        "",
        "| id | question | gold | answer |",
        "|---|---|---|---|",
    ]
    for r in shown:
        assert r.answer is not None
        text = truncate(r.answer.text, ANSWER_TEXT_LIMIT)
        if r.answer.declined:
            text = f"(declined) {text}"
        cells = [
            r.id,
            truncate(r.question, OTHER_TEXT_LIMIT),
            truncate(gold_text(r.gold), OTHER_TEXT_LIMIT),
            text,
        ]
        lines.append("| " + " | ".join(escape(c) for c in cells) + " |")
    return [*lines, ""]


def gold_text(gold: Any) -> str:
    """A gold answer (text, list of acceptable answers, or None) as one string."""
    if gold is None:
        return DASH
    if isinstance(gold, list | tuple):
        return " / ".join(str(g) for g in gold)
    return str(gold)
