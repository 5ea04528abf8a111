"""The report's building blocks: numbers formatted for tables ("–" when missing or not finite), GitHub
tables with the best value per column in bold, and the dataset's baselines as table rows."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval.datasets import Baseline
from eval.results import RunResult

DASH = "–"
Row = tuple[str, dict[str, Any], bool]  # label, column key -> value, is a baseline


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


def baseline_key(metric: str) -> str:
    """A baseline metric as a table key: MultiHop-RAG's hits@k counts gold evidence, so it maps to evidence_hit@k."""
    match = re.fullmatch(r"hits@(\d+)", metric)
    return f"evidence_hit@{match.group(1)}" if match else metric


def baselines(results: RunResult, pred: Callable[[str], bool]) -> list[Baseline]:
    """The baselines whose (normalized) metric satisfies ``pred``."""
    return [b for b in results.baselines if pred(baseline_key(b.metric))]


def baseline_rows(items: Iterable[Baseline]) -> list[Row]:
    """One row per baseline name, its metrics in the matching columns."""
    merged: dict[str, dict[str, Any]] = {}
    for b in items:
        merged.setdefault(b.name, {})[baseline_key(b.metric)] = b.value
    return [(name, vals, True) for name, vals in merged.items()]


def baseline_sources(items: Iterable[Baseline]) -> list[str]:
    """A "Baselines: ..." line naming each baseline's source, or nothing."""
    seen: dict[str, str] = {}
    for b in items:
        seen.setdefault(b.name, b.source or "")
    parts = [f"*{escape(n)}*" + (f": {escape(s)}" if s else "") for n, s in seen.items()]
    return ["", "Baselines: " + "; ".join(parts) + "."] if parts else []


def is_retrieval_metric(key: str) -> bool:
    """Whether a normalized baseline metric belongs in the retrieval table."""
    return key.startswith(("answer_hit@", "evidence_hit@"))
