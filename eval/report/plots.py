"""The report's plots (PNG): hit rate against k, latency distributions, accuracy by question type and by
metric, each config in the same colour throughout, baselines beside them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from eval.report.sections import ANSWER_METRICS, by_type
from eval.report.tables import at_k, baseline_key, baseline_rows, baselines, is_retrieval_metric, ks_of, num
from eval.results import RunResult

DPI = 120
PLOT_FILES = ("accuracy_vs_k.png", "latency.png", "by_type.png", "answers.png")


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


def plot_accuracy_vs_k(results: RunResult, path: Path) -> Path | None:
    """Answer hit (solid) and evidence hit (dashed) vs k per config, baselines as markers."""
    configs = [(i, c) for i, c in enumerate(results.configs) if c.retrieval]
    if not configs:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    all_ks: set[int] = set()
    for i, cfg in configs:
        assert cfg.retrieval is not None
        for family, style in (("answer_hit", "-o"), ("evidence_hit", "--s")):
            ks, values = hit_series(getattr(cfg.retrieval, family))
            if ks:
                label = f"{cfg.name}: {family.replace('_', ' ')}"
                ax.plot(ks, values, style, color=color(i), label=label)
                all_ks.update(ks)
    markers = "*DP^vXh"
    for j, b in enumerate(baselines(results, is_retrieval_metric)):
        family, _, k = baseline_key(b.metric).partition("@")
        value = num(b.value)
        if value is None or not k.isdigit():
            continue
        face = "black" if family == "answer_hit" else "none"
        label = f"{b.name} ({b.metric}, baseline)"
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
        if (value := num(b.value)) is not None:
            ax.axhline(value, color="grey", linestyle=":", label=f"{b.name} (evidence ceiling)")
    if all_ks and min(all_ks) > 0:
        ax.set_xscale("log")
        ax.set_xticks(sorted(all_ks), [str(k) for k in sorted(all_ks)])
        ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("hit rate")
    ax.set_title(f"Retrieval hit rate vs k: {results.dataset} (solid: answer, dashed: evidence)")
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


def plot_latency(results: RunResult, path: Path) -> Path | None:
    """Per-question retrieval latency (ms) and, when any config answered, answer latency (s)."""
    configs = list(enumerate(results.configs))
    retrieval = [
        (i, c.name, xs) for i, c in configs if c.retrieval and (xs := latencies(c.retrieval.latencies_ms))
    ]
    answers = [(i, c.name, xs) for i, c in configs if c.answers and (xs := latencies(c.answers.latencies_s))]
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
    fig.suptitle(f"Latency: {results.dataset}")
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


def plot_by_type(results: RunResult, path: Path) -> Path | None:
    """Grouped bars of accuracy per question type per config, overall accuracy baselines as lines."""
    per_config = [(i, c.name, by_type(c)) for i, c in enumerate(results.configs)]
    per_config = [p for p in per_config if p[2]]
    if not per_config:
        return None
    types = list(dict.fromkeys(t for _, _, types in per_config for t in types))
    series = []
    for i, name, types_of in per_config:
        values = {t: x for t, e in types_of.items() if (x := num(e.accuracy)) is not None}
        series.append((name, values, {"color": color(i)}))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(types) + 2), 4.5))
    grouped_bars(ax, types, series)
    styles = ["--", "-.", ":"]
    for j, b in enumerate(baselines(results, lambda key: key == "accuracy")):
        if (value := num(b.value)) is not None:
            ax.axhline(
                value,
                color="black",
                linestyle=styles[j % 3],
                label=f"{b.name} (overall accuracy, baseline)",
            )
    finish_bars(ax, "question type", "accuracy", f"Accuracy by question type: {results.dataset}")
    return save(fig, path)


def finish_bars(ax: Any, xlabel: str, ylabel: str, title: str) -> None:
    """Shared frame of the bar plots: 0..1 scale, labels, legend outside, horizontal grid."""
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.grid(alpha=0.3, axis="y")


def plot_answers(results: RunResult, path: Path) -> Path | None:
    """Grouped bars of choice accuracy / exact match / accuracy per config next to the baselines."""
    names = dict(ANSWER_METRICS)
    series: list[tuple[str, dict[str, float], dict[str, Any]]] = []
    for i, cfg in enumerate(results.configs):
        a = cfg.answers
        values = {names[k]: x for k in names if a and (x := num(getattr(a, k))) is not None}
        if values:
            series.append((cfg.name, values, {"color": color(i)}))
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
    finish_bars(ax, "metric", "share of questions", f"Answer quality: {results.dataset}")
    return save(fig, path)


def write_plots(results: RunResult, out_dir: Path) -> list[Path]:
    """Write every plot that has data (removing stale ones from earlier renders); returns those written."""
    makers = (plot_accuracy_vs_k, plot_latency, plot_by_type, plot_answers)
    written = []
    for name, make in zip(PLOT_FILES, makers, strict=True):
        path = out_dir / name
        path.unlink(missing_ok=True)
        if (made := make(results, path)) is not None:
            written.append(made)
    return written
