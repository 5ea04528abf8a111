"""Render the evaluation harness's ``results.json`` into a Markdown report with PNG plots.

Pure rendering: no model, no network. Every section is optional (a dataset may have no answers, no
baselines, no judge); missing and non-finite numbers render as "–".

    python -m eval.report results/eval/realtimeqa/results.json [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

DASH = "–"
DPI = 120
KEY_PACKAGES = (
    "chromadb",
    "sentence-transformers",
    "torch",
    "langchain-core",
    "langchain-chroma",
    "xllamacpp",
    "numpy",
)
PLOT_FILES = ("accuracy_vs_k.png", "latency.png", "by_type.png", "answers.png")
ANSWER_METRICS = (
    ("choice_accuracy", "choice accuracy"),
    ("exact_match", "exact match"),
    ("accuracy", "accuracy"),
)
ANSWER_TEXT_LIMIT = 200
OTHER_TEXT_LIMIT = 300
MAX_FAILURES = 10

Row = tuple[str, dict[str, Any], bool]  # label, column key -> value, is a baseline

# --- values and formatting -------------------------------------------------------------------------------


def num(value: Any) -> float | None:
    """``value`` as a finite float, or None (missing, NaN, inf, not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def fmt(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals, text escaped for a table cell, or "–" when missing/NaN."""
    if isinstance(value, str):
        return escape(value)
    x = num(value)
    return DASH if x is None else f"{x:.{digits}f}"


def fmt_int(value: Any) -> str:
    """A whole number, or "–"."""
    x = num(value)
    return DASH if x is None else str(round(x))


def escape(text: Any) -> str:
    """Text safe for a Markdown table cell: pipes escaped, line breaks flattened."""
    return " ".join(str(text).split()).replace("|", "\\|")


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def at_k(hits: Mapping[Any, Any] | None, k: int) -> float | None:
    """The hit rate at ``k`` from a dict keyed by "k" (JSON) or k."""
    if not hits:
        return None
    return num(hits.get(str(k), hits.get(k)))


def ks_of(hits: Mapping[Any, Any] | None) -> set[int]:
    """The integer ks a hit dict has."""
    return {int(k) for k in (hits or {}) if str(k).isdigit()}


def section(data: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    """``data[key]`` when it is a dict, else an empty dict (missing or None sections)."""
    value = (data or {}).get(key)
    return value if isinstance(value, dict) else {}


# --- tables ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One table column: the value key, its header, how to format it, and which way is better."""

    key: str
    header: str
    render: Callable[[Any], str] = fmt
    better: str | None = None  # "max", "min" or None (no highlighting)


def dec(digits: int) -> Callable[[Any], str]:
    """A formatter with a fixed number of decimals."""
    return lambda value: fmt(value, digits)


def best_values(rows: Sequence[Row], columns: Sequence[Column]) -> dict[str, float]:
    """Per highlighted column, the best value among non-baseline rows (when at least two have one)."""
    best: dict[str, float] = {}
    for col in columns:
        if col.better is None:
            continue
        values = [x for _, vals, base in rows if not base and (x := num(vals.get(col.key))) is not None]
        if len(values) >= 2:
            best[col.key] = max(values) if col.better == "max" else min(values)
    return best


def non_empty(rows: Sequence[Row], columns: Sequence[Column]) -> list[Column]:
    """The columns where at least one row has a value."""

    def present(value: Any) -> bool:
        return (isinstance(value, str) and value != "") or num(value) is not None

    return [c for c in columns if any(present(vals.get(c.key)) for _, vals, _ in rows)]


def table(first: str, columns: Sequence[Column], rows: Sequence[Row]) -> list[str]:
    """A GitHub table; baseline labels in italics, the best value per highlighted column in bold."""
    best = best_values(rows, columns)
    lines = [
        "| " + " | ".join([first, *(c.header for c in columns)]) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for label, vals, base in rows:
        cells = [f"*{escape(label)}* (baseline)" if base else escape(label)]
        for col in columns:
            cell = col.render(vals.get(col.key))
            if not base and col.key in best and num(vals.get(col.key)) == best[col.key]:
                cell = f"**{cell}**"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# --- baselines ------------------------------------------------------------------------------------------


def baseline_key(metric: str) -> str:
    """A baseline metric as a table key: MultiHop-RAG's hits@k counts gold evidence, so it maps to evidence_hit@k."""
    match = re.fullmatch(r"hits@(\d+)", metric)
    return f"evidence_hit@{match.group(1)}" if match else metric


def baselines(results: Mapping[str, Any], pred: Callable[[str], bool]) -> list[dict[str, Any]]:
    """The baselines whose (normalized) metric satisfies ``pred``, with a finite value."""
    out = []
    for b in results.get("baselines") or []:
        if isinstance(b, dict) and pred(baseline_key(str(b.get("metric", "")))):
            out.append(b)
    return out


def baseline_rows(items: Iterable[Mapping[str, Any]]) -> list[Row]:
    """One row per baseline name, its metrics in the matching columns."""
    merged: dict[str, dict[str, Any]] = {}
    for b in items:
        merged.setdefault(str(b.get("name", "baseline")), {})[baseline_key(str(b.get("metric")))] = b.get(
            "value"
        )
    return [(name, vals, True) for name, vals in merged.items()]


def baseline_sources(items: Iterable[Mapping[str, Any]]) -> list[str]:
    """A "Baselines: ..." line naming each baseline's source, or nothing."""
    seen: dict[str, str] = {}
    for b in items:
        seen.setdefault(str(b.get("name", "baseline")), str(b.get("source") or ""))
    parts = [f"*{escape(n)}*" + (f": {escape(s)}" if s else "") for n, s in seen.items()]
    return ["", "Baselines: " + "; ".join(parts) + "."] if parts else []


def is_retrieval_metric(key: str) -> bool:
    """Whether a normalized baseline metric belongs in the retrieval table."""
    return key.startswith(("answer_hit@", "evidence_hit@"))


# --- sections -------------------------------------------------------------------------------------------


def header_lines(results: Mapping[str, Any]) -> list[str]:
    """Title, run line, command and environment."""
    lines = [f"# Evaluation: {results.get('dataset') or 'unknown'}", ""]
    run = []
    if results.get("created"):
        run.append(f"Run {str(results['created']).replace('T', ' ')}")
    if results.get("questions") is not None:
        extras = [f"{k} {results[k]}" for k in ("limit", "seed") if results.get(k) is not None]
        run.append(f"{results['questions']} questions" + (f" ({', '.join(extras)})" if extras else ""))
    if results.get("dataset_path"):
        run.append(f"data `{results['dataset_path']}`")
    if run:
        lines += [" · ".join(run) + ".", ""]
    if results.get("command"):
        command = str(results["command"])
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", command)), default=0))
        lines += [fence, command, fence, ""]
    env = environment_line(section(results, "environment"))
    if env:
        lines += [env, ""]
    return lines


def environment_line(env: Mapping[str, Any]) -> str:
    """Python, platform, CPUs, memory and key package versions on one line."""
    parts = []
    if env.get("python"):
        parts.append(f"Python {env['python']}")
    if env.get("platform"):
        parts.append(str(env["platform"]))
    if env.get("cpus") is not None:
        parts.append(f"{env['cpus']} CPUs")
    if num(env.get("memory_gb")) is not None:
        parts.append(f"{fmt(env['memory_gb'], 1)} GB RAM")
    packages = section(env, "packages")
    keys = [p for p in KEY_PACKAGES if p in packages] or sorted(packages)[:8]
    parts += [f"{p} {packages[p]}" for p in keys]
    return ("Environment: " + " · ".join(parts) + ".") if parts else ""


def retrieval_columns(results: Mapping[str, Any], retrieval_baselines: list[dict[str, Any]]) -> list[Column]:
    """Answer-hit, MRR, evidence-hit and latency columns for every k any config or baseline has."""
    answer_ks: set[int] = set()
    evidence_ks: set[int] = set()
    for cfg in results.get("configs") or []:
        r = section(cfg, "retrieval")
        answer_ks |= ks_of(r.get("answer_hit"))
        if r.get("evidence_hit"):
            evidence_ks |= ks_of(r.get("evidence_hit"))
    for b in retrieval_baselines:
        family, _, k = baseline_key(str(b.get("metric"))).partition("@")
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


def retrieval_values(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """One config's retrieval numbers keyed by column."""
    r = section(cfg, "retrieval")
    vals: dict[str, Any] = {
        "answer_mrr": r.get("answer_mrr"),
        "evidence_mrr": r.get("evidence_mrr"),
        "article_hit@5": at_k(r.get("article_hit"), 5),
    }
    for family in ("answer_hit", "evidence_hit"):
        for k in ks_of(r.get(family)):
            vals[f"{family}@{k}"] = at_k(r.get(family), k)
    latency = section(r, "latency_ms")
    vals["retrieval_p50"], vals["retrieval_p95"] = latency.get("p50"), latency.get("p95")
    return vals


def retrieval_lines(results: Mapping[str, Any]) -> list[str]:
    """The Retrieval section, or nothing when no config retrieved and no retrieval baseline exists."""
    configs = [c for c in results.get("configs") or [] if section(c, "retrieval")]
    base = baselines(results, is_retrieval_metric)
    if not configs and not base:
        return []
    rows: list[Row] = [(str(c.get("name")), retrieval_values(c), False) for c in configs]
    rows += baseline_rows(base)
    columns = non_empty(rows, retrieval_columns(results, base))
    lines = ["## Retrieval", "", *table("config", columns, rows)]
    for b in baselines(results, lambda key: key == "evidence_hit_ceiling"):
        n = f", n={b['n']}" if b.get("n") is not None else ""
        lines += [
            "",
            f"Evidence-hit ceiling (*{escape(b.get('name', ''))}*{n}): {fmt(b.get('value'))}, "
            "the share of questions whose evidence contains the answer at all, an upper bound on evidence hit@k.",
        ]
    if any(section(c, "retrieval").get("article_hit") for c in configs):
        lines += [
            "",
            "Article hit@5: a top-5 passage comes from one of the question's own articles, whether or not it "
            "holds the answer; evidence hit@5 below it is the right story found with the wrong passage.",
        ]
    return lines + baseline_sources(base) + [""]


def answer_values(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """One config's answer numbers keyed by column."""
    a = section(cfg, "answers")
    latency = section(a, "latency_s")
    keys = (
        "choice_accuracy",
        "exact_match",
        "token_f1",
        "accuracy",
        "declined_unanswerable",
        "declined_answerable",
        "declined_answer_in_passages",
    )
    vals: dict[str, Any] = {k: a.get(k) for k in keys}
    vals.update(
        backend=str(a.get("backend") or ""),
        answer_p50=latency.get("p50"),
        answer_p95=latency.get("p95"),
        first_token_p50=section(a, "first_token_s").get("p50"),
        prompt_tokens_p50=section(a, "prompt_tokens").get("p50"),
        new_prompt_tokens_p50=section(a, "new_prompt_tokens").get("p50"),
    )
    return vals


ANSWER_COLUMNS = (
    Column("backend", "backend"),
    Column("choice_accuracy", "choice accuracy", better="max"),
    Column("exact_match", "exact match", better="max"),
    Column("token_f1", "token F1", better="max"),
    Column("accuracy", "accuracy", better="max"),
    Column("declined_unanswerable", "declined (unanswerable)", better="max"),
    Column("declined_answerable", "wrongly declined (answerable)", better="min"),
    Column("declined_answer_in_passages", "wrongly declined (answer in passages)", better="min"),
    Column("prompt_tokens_p50", "prompt tokens p50", dec(0), "min"),
    Column("new_prompt_tokens_p50", "not from cache p50", dec(0), "min"),
    Column("first_token_p50", "first token p50 s", dec(1), "min"),
    Column("answer_p50", "p50 s", dec(1), "min"),
    Column("answer_p95", "p95 s", dec(1), "min"),
)


def answers_lines(results: Mapping[str, Any]) -> list[str]:
    """The Answers section, or nothing when no config answered."""
    configs = [c for c in results.get("configs") or [] if section(c, "answers")]
    if not configs:
        return []
    base = baselines(results, lambda key: key in dict(ANSWER_METRICS))
    rows: list[Row] = [(str(c.get("name")), answer_values(c), False) for c in configs]
    rows += baseline_rows(base)
    columns = non_empty(rows, ANSWER_COLUMNS)
    return ["## Answers", "", *table("config", columns, rows), *baseline_sources(base), ""]


def decline_lines(results: Mapping[str, Any], examples: int = 3) -> list[str]:
    """Why answerable questions were declined, per config: the cause table and a few drafts of each cause."""
    lines: list[str] = []
    for cfg in results.get("configs") or []:
        causes = section(cfg, "answers").get("decline_causes") or []
        if not causes:
            continue
        declined = [r for r in cfg.get("rows") or [] if section(section(r, "answer"), "decline")]
        lines += [
            f"### {escape(cfg.get('name'))}: {len(declined)} answerable questions declined",
            "",
            "| cause | what it means | questions | share |",
            "|---|---|---|---|",
            *(
                f"| {c['cause']} | {escape(c['description'])} | {c['count']} | {fmt(c['share'])} |"
                for c in causes
            ),
            "",
        ]
        for c in causes:
            rows = [r for r in declined if r["answer"]["decline"]["cause"] == c["cause"]][:examples]
            for r in rows:
                draft = truncate(" ".join(str(r["answer"]["decline"].get("draft") or "").split()), 240)
                lines.append(
                    f"- {c['cause']}: {escape(truncate(str(r.get('question')), 160))} → {escape(draft) or '(no draft)'}"
                )
        lines.append("")
    return ["## Why answerable questions were declined", "", *lines] if lines else []


def by_type_lines(results: Mapping[str, Any]) -> list[str]:
    """Accuracy per question type: rows are types, columns are configs."""
    per_config = {str(c.get("name")): by_type(c) for c in results.get("configs") or []}
    per_config = {name: types for name, types in per_config.items() if types}
    if not per_config:
        return []
    types = list(dict.fromkeys(t for types in per_config.values() for t in types))
    columns = [Column(name, escape(name), str) for name in per_config]
    rows: list[Row] = []
    for t in types:
        rows.append((t, {name: type_cell(per_config[name].get(t)) for name in per_config}, False))
    return ["## Accuracy by question type", "", *table("question type", columns, rows), ""]


def by_type(cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A config's accuracy_by_type, or an empty dict."""
    types = section(cfg, "answers").get("accuracy_by_type")
    return {str(t): v for t, v in types.items() if isinstance(v, dict)} if isinstance(types, dict) else {}


def type_cell(entry: Mapping[str, Any] | None) -> str:
    """ "0.500 (3/6)" for one type, or "–"."""
    if not entry:
        return DASH
    return f"{fmt(entry.get('accuracy'))} ({fmt_int(entry.get('correct'))}/{fmt_int(entry.get('total'))})"


CITATION_COLUMNS = (
    Column("recall", "recall", better="max"),
    Column("precision", "precision", better="max"),
    Column("uncited", "uncited share", better="min"),
    Column("sentences", "sentences", fmt_int),
    Column("judge", "judge"),
)


def citation_lines(results: Mapping[str, Any]) -> list[str]:
    """Citation quality per config, then how well the judge agrees with hand labels."""
    rows: list[Row] = []
    for cfg in results.get("configs") or []:
        citation = section(section(cfg, "answers"), "citation")
        if citation:
            rows.append(
                (str(cfg.get("name")), {**citation, "judge": str(citation.get("judge") or "")}, False)
            )
    judge = judge_line(section(results, "judge"))
    if not rows and not judge:
        return []
    lines = ["## Citation quality", ""]
    if rows:
        lines += [*table("config", CITATION_COLUMNS, rows), ""]
    if judge:
        lines += [judge, ""]
    return lines


def judge_line(judge: Mapping[str, Any]) -> str:
    """One sentence on the citation judge's agreement with hand labels, or ""."""
    if not judge:
        return ""
    model = f" (`{judge['model']}`)" if judge.get("model") else ""
    counts = "/".join(fmt_int(judge.get(k)) for k in ("tp", "fp", "fn", "tn"))
    line = (
        f"Judge{model} agreement with hand labels: {fmt(judge.get('agreement'))} on {fmt_int(judge.get('n'))} pairs, "
        f"kappa {fmt(judge.get('kappa'))}; tp/fp/fn/tn {counts}."
    )
    held = judge.get("held_out")
    if isinstance(held, Mapping) and held.get("n"):
        line += (
            f" On the {fmt_int(held.get('n'))} held-out pairs alone (written after the judge's prompt was "
            f"fixed): {fmt(held.get('agreement'))}, kappa {fmt(held.get('kappa'))}."
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


def speed_values(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """One config's ingest, latency and memory numbers keyed by column."""
    ingest = section(cfg, "ingest")
    seconds: Any = ingest.get("seconds")
    if ingest.get("reused"):
        seconds = f"{fmt(seconds, 1)} (reused)"
    answers = answer_values(cfg)
    vals = {k: v for k, v in retrieval_values(cfg).items() if k.startswith("retrieval_")}
    vals.update(
        ingest_s=seconds,
        chunks=ingest.get("chunks"),
        chunks_per_s=ingest.get("chunks_per_s"),
        answer_p50=answers["answer_p50"],
        answer_p95=answers["answer_p95"],
        peak_rss_mb=cfg.get("peak_rss_mb"),
    )
    return vals


def speed_lines(results: Mapping[str, Any]) -> list[str]:
    """The Speed and memory section, or nothing without configs."""
    rows: list[Row] = [(str(c.get("name")), speed_values(c), False) for c in results.get("configs") or []]
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


def failure_lines(results: Mapping[str, Any]) -> list[str]:
    """Up to ten wrong answers of the first config that answered."""
    cfg = next((c for c in results.get("configs") or [] if section(c, "answers")), None)
    if cfg is None:
        return []
    wrong = [
        r
        for r in cfg.get("rows") or []
        if isinstance(r, dict) and section(r, "answer").get("correct") is False
    ]
    if not wrong:
        return []
    shown = wrong[:MAX_FAILURES]
    lines = [
        f"## Failures ({escape(cfg.get('name'))})",
        "",
        f"First {len(shown)} of {len(wrong)} wrong answers.",
        "",
        "| id | question | gold | answer |",
        "|---|---|---|---|",
    ]
    for r in shown:
        answer = section(r, "answer")
        text = truncate(str(answer.get("text") or ""), ANSWER_TEXT_LIMIT)
        if answer.get("declined"):
            text = f"(declined) {text}"
        cells = [
            str(r.get("id", "")),
            truncate(str(r.get("question") or ""), OTHER_TEXT_LIMIT),
            truncate(gold_text(r.get("gold")), OTHER_TEXT_LIMIT),
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


# --- plots ----------------------------------------------------------------------------------------------


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the non-interactive Agg backend (imported lazily: only rendering needs it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path) -> Path:
    """Save a figure as PNG and close it."""
    plt = pyplot()
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def color(i: int) -> str:
    """The i-th config's colour, the same in every plot."""
    return f"C{i % 10}"


def hit_series(hits: Mapping[Any, Any] | None) -> tuple[list[int], list[float]]:
    """Sorted ks and finite hit rates of one hit dict."""
    points = [(k, x) for k in sorted(ks_of(hits)) if (x := at_k(hits, k)) is not None]
    return [k for k, _ in points], [x for _, x in points]


def plot_accuracy_vs_k(results: Mapping[str, Any], path: Path) -> Path | None:
    """Answer hit (solid) and evidence hit (dashed) vs k per config, baselines as markers."""
    configs = [(i, c) for i, c in enumerate(results.get("configs") or []) if section(c, "retrieval")]
    if not configs:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    all_ks: set[int] = set()
    for i, cfg in configs:
        r = section(cfg, "retrieval")
        for family, style in (("answer_hit", "-o"), ("evidence_hit", "--s")):
            ks, values = hit_series(r.get(family))
            if ks:
                label = f"{cfg.get('name')}: {family.replace('_', ' ')}"
                ax.plot(ks, values, style, color=color(i), label=label)
                all_ks.update(ks)
    markers = "*DP^vXh"
    for j, b in enumerate(baselines(results, is_retrieval_metric)):
        family, _, k = baseline_key(str(b.get("metric"))).partition("@")
        value = num(b.get("value"))
        if value is None or not k.isdigit():
            continue
        face = "black" if family == "answer_hit" else "none"
        label = f"{b.get('name')} ({b.get('metric')}, baseline)"
        ax.scatter(
            [int(k)],
            [value],
            marker=markers[j % len(markers)],
            s=80,
            facecolors=face,
            edgecolors="black",
            label=label,
            zorder=3,
        )
        all_ks.add(int(k))
    for b in baselines(results, lambda key: key == "evidence_hit_ceiling"):
        if (value := num(b.get("value"))) is not None:
            ax.axhline(value, color="grey", linestyle=":", label=f"{b.get('name')} (evidence ceiling)")
    if all_ks and min(all_ks) > 0:
        ax.set_xscale("log")
        ax.set_xticks(sorted(all_ks), [str(k) for k in sorted(all_ks)])
        ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("hit rate")
    ax.set_title(f"Retrieval hit rate vs k: {results.get('dataset')} (solid: answer, dashed: evidence)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    return save(fig, path)


def latencies(values: Any) -> list[float]:
    """The finite latencies in a list."""
    return [x for v in values or [] if (x := num(v)) is not None]


def box_panel(ax: Any, series: Sequence[tuple[int, str, list[float]]], title: str, unit: str) -> None:
    """One box plot of latency distributions, one coloured box per config, log scale when all positive."""
    boxes = ax.boxplot([s[2] for s in series], patch_artist=True, showfliers=True)
    for (i, _, _), box in zip(series, boxes["boxes"], strict=True):
        box.set_facecolor(color(i))
        box.set_alpha(0.6)
    ax.set_xticks(range(1, len(series) + 1), [s[1] for s in series], rotation=20, ha="right")
    if all(x > 0 for s in series for x in s[2]):
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        plain = FuncFormatter(lambda value, _pos: f"{value:g}")
        ax.yaxis.set_major_formatter(plain)
        values = [x for s in series for x in s[2]]
        if max(values) < 10 * min(values):  # within a decade: label the minor ticks too
            ax.yaxis.set_minor_formatter(plain)
    ax.set_title(title)
    ax.set_xlabel("config")
    ax.set_ylabel(f"latency ({unit})")
    ax.legend(boxes["boxes"], [s[1] for s in series], fontsize="small")
    ax.grid(alpha=0.3, axis="y")


def plot_latency(results: Mapping[str, Any], path: Path) -> Path | None:
    """Per-question retrieval latency (ms) and, when any config answered, answer latency (s)."""
    configs = list(enumerate(results.get("configs") or []))
    retrieval = [
        (i, str(c.get("name")), xs)
        for i, c in configs
        if (xs := latencies(section(c, "retrieval").get("latencies_ms")))
    ]
    answers = [
        (i, str(c.get("name")), xs)
        for i, c in configs
        if (xs := latencies(section(c, "answers").get("latencies_s")))
    ]
    panels = [
        (s, t, u)
        for s, t, u in ((retrieval, "Retrieval latency", "ms"), (answers, "Answer latency", "s"))
        if s
    ]
    if not panels:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.5), squeeze=False)
    for ax, (series, title, unit) in zip(axes[0], panels, strict=True):
        box_panel(ax, series, f"{title} per question", unit)
    fig.suptitle(f"Latency: {results.get('dataset')}")
    fig.tight_layout()
    return save(fig, path)


def grouped_bars(
    ax: Any, groups: Sequence[str], series: Sequence[tuple[str, dict[str, float], dict[str, Any]]]
) -> None:
    """Bars per group, only for series with a value in that group, centred; each series labelled once."""
    labelled: set[str] = set()
    for g, group in enumerate(groups):
        present = [(label, values[group], style) for label, values, style in series if group in values]
        width = 0.8 / max(1, len(present))
        for j, (label, value, style) in enumerate(present):
            x = g - 0.4 + width * (j + 0.5)
            ax.bar(x, value, width, label=None if label in labelled else label, **style)
            labelled.add(label)
    ax.set_xticks(range(len(groups)), groups)


def plot_by_type(results: Mapping[str, Any], path: Path) -> Path | None:
    """Grouped bars of accuracy per question type per config, overall accuracy baselines as lines."""
    per_config = [(i, str(c.get("name")), by_type(c)) for i, c in enumerate(results.get("configs") or [])]
    per_config = [p for p in per_config if p[2]]
    if not per_config:
        return None
    types = list(dict.fromkeys(t for _, _, types in per_config for t in types))
    series = []
    for i, name, types_of in per_config:
        values = {t: x for t, e in types_of.items() if (x := num(e.get("accuracy"))) is not None}
        series.append((name, values, {"color": color(i)}))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(types) + 2), 4.5))
    grouped_bars(ax, types, series)
    styles = ["--", "-.", ":"]
    for j, b in enumerate(baselines(results, lambda key: key == "accuracy")):
        if (value := num(b.get("value"))) is not None:
            ax.axhline(
                value,
                color="black",
                linestyle=styles[j % 3],
                label=f"{b.get('name')} (overall accuracy, baseline)",
            )
    finish_bars(ax, "question type", "accuracy", f"Accuracy by question type: {results.get('dataset')}")
    return save(fig, path)


def finish_bars(ax: Any, xlabel: str, ylabel: str, title: str) -> None:
    """Shared frame of the bar plots: 0..1 scale, labels, legend outside, horizontal grid."""
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.grid(alpha=0.3, axis="y")


def plot_answers(results: Mapping[str, Any], path: Path) -> Path | None:
    """Grouped bars of choice accuracy / exact match / accuracy per config next to the baselines."""
    names = dict(ANSWER_METRICS)
    series: list[tuple[str, dict[str, float], dict[str, Any]]] = []
    for i, cfg in enumerate(results.get("configs") or []):
        a = section(cfg, "answers")
        values = {names[k]: x for k in names if (x := num(a.get(k))) is not None}
        if values:
            series.append((str(cfg.get("name")), values, {"color": color(i)}))
    if not series:
        return None
    hatches = ["//", "\\\\", "xx", ".."]
    for j, (name, vals, _) in enumerate(baseline_rows(baselines(results, lambda key: key in names))):
        values = {names[k]: x for k, v in vals.items() if (x := num(v)) is not None}
        if values:
            style = {"color": "white", "edgecolor": "dimgrey", "hatch": hatches[j % len(hatches)]}
            series.append((f"{name} (baseline)", values, style))
    groups = [label for label in names.values() if any(label in s[1] for s in series)]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 2.2 * len(groups) + 2), 4.5))
    grouped_bars(ax, groups, series)
    finish_bars(ax, "metric", "share of questions", f"Answer quality: {results.get('dataset')}")
    return save(fig, path)


def write_plots(results: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """Write every plot that has data (removing stale ones from earlier renders); returns those written."""
    makers = (plot_accuracy_vs_k, plot_latency, plot_by_type, plot_answers)
    written = []
    for name, make in zip(PLOT_FILES, makers, strict=True):
        path = out_dir / name
        path.unlink(missing_ok=True)
        if (made := make(results, path)) is not None:
            written.append(made)
    return written


# --- entry points ---------------------------------------------------------------------------------------


def render(results: Mapping[str, Any], plots: Sequence[Path]) -> str:
    """The whole Markdown report."""
    lines = [
        *header_lines(results),
        *retrieval_lines(results),
        *answers_lines(results),
        *decline_lines(results),
        *by_type_lines(results),
        *citation_lines(results),
        *speed_lines(results),
        *plot_lines(plots),
        *failure_lines(results),
    ]
    return "\n".join(lines).rstrip() + "\n"


def write_report(results: dict[str, Any], out_dir: Path) -> Path:
    """Render ``results`` into ``out_dir/report.md`` plus PNG plots beside it; returns the report path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(results, out_dir)
    report = out_dir / "report.md"
    report.write_text(render(results, plots), encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m eval.report RESULTS_JSON [--out DIR]``: re-render a report from a saved results.json."""
    parser = argparse.ArgumentParser(prog="python -m eval.report", description=main.__doc__)
    parser.add_argument("results", type=Path, help="results.json written by `assistant eval`")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: the results file's folder)"
    )
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    report = write_report(results, args.out or args.results.parent)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
