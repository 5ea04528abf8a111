"""Render a run's results (``RunResult``, or a saved results.json) into a Markdown report with PNG plots.

Pure rendering: no model, no network. Every section is optional (a dataset may have no answers, no
baselines, no judge); missing and non-finite numbers render as "–".

    python -m eval.report results/eval/realtimeqa/results.json [--out DIR]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from eval.report.plots import write_plots
from eval.report.sections import (
    answers_lines,
    by_type_lines,
    citation_lines,
    decline_lines,
    failure_lines,
    header_lines,
    plot_lines,
    retrieval_lines,
    speed_lines,
    wrong_lines,
)
from eval.results import RunResult

__all__ = ["main", "render", "write_report"]


def render(results: RunResult, plots: Sequence[Path]) -> str:
    """The whole Markdown report."""
    lines = [
        *header_lines(results),
        *retrieval_lines(results),
        *answers_lines(results),
        *decline_lines(results),
        *wrong_lines(results),
        *by_type_lines(results),
        *citation_lines(results),
        *speed_lines(results),
        *plot_lines(plots),
        *failure_lines(results),
    ]
    return "\n".join(lines).rstrip() + "\n"


def write_report(results: RunResult, out_dir: Path) -> Path:
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
    results = RunResult.load(args.results)
    report = write_report(results, args.out or args.results.parent)
    print(report)
    return 0
