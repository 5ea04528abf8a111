"""eval.report: a synthetic results.json (read back as a ``RunResult``) rendered to Markdown and PNGs, checked section by section."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from eval.report import main
from eval.report import write_report as _write_report
from eval.results import RunResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _rows() -> list[dict[str, Any]]:
    """Twelve rows, every other one wrong; one answer has pipes and runs long."""
    rows = []
    for i in range(12):
        correct = i % 2 == 0
        text = "The minister | said yes " + "x" * 300 if i == 1 else f"answer {i}"
        rows.append(
            {
                "id": f"q{i}",
                "question": f"Who won game {i}?",
                "gold": ["Alice", "A. Smith"] if i == 3 else f"gold {i}",
                "qtype": "inference_query",
                "retrieval": {"answer_rank": 1, "evidence_rank": None, "latency_ms": 10.0 + i},
                "answer": {
                    "text": text,
                    "declined": False,
                    "choice": None,
                    "correct": correct,
                    "em": None,
                    "f1": None,
                    "latency_s": 1.0,
                },
            }
        )
    return rows


def _results() -> dict[str, Any]:
    """Two configs (one answering, with evidence, by-type and citation; one without evidence), baselines, judge."""
    full = {
        "name": "hybrid+date",
        "description": "BM25 + MiniLM dense, reciprocal-rank fusion, date filter",
        "settings": {"retriever": "hybrid", "k": 5},
        "ingest": {"seconds": 12.34, "chunks": 1000, "articles": 100, "chunks_per_s": 81.03, "reused": False},
        "retrieval": {
            "ks": [1, 5, 10, 20],
            "answer_hit": {"1": 0.3, "5": 0.5, "10": 0.6, "20": 0.7},
            "answer_mrr": 0.41,
            "evidence_hit": {"1": 0.2, "5": 0.4, "10": 0.5, "20": 0.55},
            "evidence_mrr": 0.3,
            "article_hit": {"1": 0.35, "5": 0.55, "10": 0.6, "20": 0.65},
            "latency_ms": {"n": 12, "mean": 15.0, "p50": 14.25, "p95": 30.0, "max": 31.0},
            "latencies_ms": [10.0 + i for i in range(12)],
        },
        "answers": {
            "n": 12,
            "backend": "local:default",
            "choice_accuracy": None,
            "exact_match": None,
            "token_f1": None,
            "accuracy": 0.5,
            "accuracy_by_type": {
                "inference_query": {"correct": 3, "total": 6, "accuracy": 0.5},
                "null_query": {"correct": 2, "total": 2, "accuracy": 1.0},
            },
            "declined_unanswerable": 1.0,
            "declined_answerable": 0.1,
            "citation": {
                "recall": 0.8,
                "precision": 0.75,
                "uncited": 0.125,
                "sentences": 40,
                "judge": "nli|small",
            },
            "latency_s": {"n": 12, "mean": 2.0, "p50": 1.96, "p95": 3.5, "max": 4.0},
            "latencies_s": [1.0 + 0.2 * i for i in range(12)],
        },
        "peak_rss_mb": 1234.56,
        "rows": _rows(),
    }
    dense = {
        "name": "dense",
        "description": "MiniLM dense only",
        "settings": {"retriever": "dense", "k": 5},
        "ingest": {
            "seconds": math.nan,
            "chunks": 1000,
            "articles": 100,
            "chunks_per_s": math.nan,
            "reused": True,
        },
        "retrieval": {
            "ks": [1, 5, 10, 20],
            "answer_hit": {"1": 0.25, "5": 0.45, "10": math.nan, "20": 0.75},
            "answer_mrr": 0.35,
            "evidence_hit": None,
            "evidence_mrr": None,
            "latency_ms": {"n": 12, "mean": 5.0, "p50": 4.5, "p95": 9.0, "max": 9.5},
            "latencies_ms": [4.0 + 0.4 * i for i in range(12)],
        },
        "answers": None,
        "peak_rss_mb": 900.0,
        "rows": [],
    }
    return {
        "dataset": "multihop",
        "dataset_path": "../shared/data/multihop",
        "created": "2026-11-24T21:50:00",
        "command": "assistant eval multihop ../shared/data/multihop --limit 12",
        "environment": {
            "python": "3.11.9",
            "platform": "Linux-x86_64",
            "cpus": 2,
            "memory_gb": 24.0,
            "packages": {"chromadb": "1.5.0", "sentence-transformers": "5.1.0"},
        },
        "limit": 12,
        "seed": 7,
        "questions": 12,
        "baselines": [
            {
                "name": "BGE-large",
                "metric": "hits@10",
                "value": 0.7467,
                "n": 2255,
                "source": "MultiHop-RAG paper",
            },
            {
                "name": "BGE-large",
                "metric": "answer_hit@5",
                "value": 0.48,
                "n": 2255,
                "source": "MultiHop-RAG paper",
            },
            {"name": "GPT-4", "metric": "accuracy", "value": 0.56, "n": 2255, "source": "MultiHop-RAG paper"},
            {
                "name": "oracle",
                "metric": "evidence_hit_ceiling",
                "value": 0.9,
                "n": 12,
                "source": "this corpus",
            },
        ],
        "judge": {
            "model": "nli-small",
            "n": 40,
            "agreement": 0.85,
            "kappa": 0.7,
            "tp": 18,
            "fp": 2,
            "fn": 4,
            "tn": 16,
        },
        "configs": [full, dense],
    }


def _minimal() -> dict[str, Any]:
    """One retrieval-only config, no answers, no baselines, no judge."""
    results = _results()
    dense = results["configs"][1]
    return {"dataset": "sample", "questions": 12, "baselines": None, "judge": None, "configs": [dense]}


def write_report(results: dict[str, Any], out: Path) -> Path:
    """The report of a results.json-shaped dict, read as the report reads a saved file."""
    return _write_report(RunResult.from_dict(results), out)


def _assert_png(path: Path) -> None:
    assert path.is_file(), path
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 5000


def _line(md: str, start: str) -> str:
    """The first line of ``md`` starting with ``start``."""
    return next(line for line in md.splitlines() if line.startswith(start))


@pytest.fixture
def report(tmp_path: Path) -> str:
    path = write_report(_results(), tmp_path)
    assert path == tmp_path / "report.md"
    return path.read_text(encoding="utf-8")


def test_sections_in_order(report: str) -> None:
    headings = [line for line in report.splitlines() if line.startswith("#")]
    assert headings == [
        "# Evaluation: multihop",
        "## Retrieval",
        "## Answers",
        "## Accuracy by question type",
        "## Citation quality",
        "## Speed and memory",
        "## Plots",
        "## Failures (hybrid+date)",
    ]


def test_header(report: str) -> None:
    assert "Run 2026-11-24 21:50:00 · 12 questions (limit 12, seed 7)" in report
    assert "```\nassistant eval multihop ../shared/data/multihop --limit 12\n```" in report
    env = _line(report, "Environment:")
    assert "Python 3.11.9" in env and "2 CPUs" in env and "24.0 GB RAM" in env and "chromadb 1.5.0" in env


def test_retrieval_table(report: str) -> None:
    header = _line(report, "| config | answer hit@1")
    assert "evidence hit@10" in header and "evidence MRR" in header and "p95 ms" in header
    full = _line(report, "| hybrid+date |")
    dense = _line(report, "| dense |")
    # best per column in bold: hybrid wins hit@1 and MRR, dense wins hit@20 and latency
    assert "**0.300**" in full and "**0.410**" in full and "| 0.700 |" in full
    assert "**0.750**" in dense and "**4.5**" in dense and "| 0.250 |" in dense
    # NaN and missing evidence render as dashes, never bold
    assert dense.count("–") == 1 + 4 + 1 + 1  # answer hit@10, evidence hit@1..20, evidence MRR, article hit
    base = _line(report, "| *BGE-large* (baseline) |")
    cells = [c.strip() for c in base.strip("|").split("|")]
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert cells[columns.index("answer hit@5")] == "0.480"
    assert cells[columns.index("evidence hit@10")] == "0.747"  # hits@10 goes to evidence hit
    assert cells[columns.index("answer hit@1")] == "–"
    assert "**" not in base
    assert "Evidence-hit ceiling (*oracle*, n=12): 0.900" in report
    # article hit@5 beside evidence hit@5: the config that has it shows it, the other a dash
    assert cells[columns.index("article hit@5")] == "–"
    assert [c.strip() for c in full.strip("|").split("|")][columns.index("article hit@5")] == "0.550"
    assert "Article hit@5: a top-5 passage comes from one of the question's own articles" in report


def test_answers_and_types(report: str) -> None:
    header = _line(report, "| config | backend")
    assert "accuracy" in header and "declined (unanswerable)" in header
    assert "choice accuracy" not in header and "exact match" not in header and "token F1" not in header
    answers = report.split("## Answers")[1].split("##")[0]
    assert "| hybrid+date | local:default | 0.500 | 1.000 | 0.100 | 2.0 | 3.5 |" in answers
    assert "| *GPT-4* (baseline) | – | 0.560 | – | – | – | – |" in answers
    assert "| dense |" not in answers
    assert "| inference_query | 0.500 (3/6) |" in report
    assert "| null_query | 1.000 (2/2) |" in report


def test_citation_speed_and_failures(report: str) -> None:
    assert "| hybrid+date | 0.800 | 0.750 | 0.125 | 40 | nli\\|small |" in report
    assert (
        "Judge (`nli-small`) agreement with hand labels: 0.850 on 40 pairs, kappa 0.700; tp/fp/fn/tn 18/2/4/16."
        in report
    )
    speed = report.split("## Speed and memory")[1].split("##")[0]
    assert "| hybrid+date | 12.3 | 1000 | 81.0 | 14.2 | 30.0 | 2.0 | 3.5 | 1234.6 |" in speed
    assert "| dense | – (reused) | 1000 | – | 4.5 | 9.0 | – | – | 900.0 |" in speed
    failures = report.split("## Failures")[1]
    rows = [line for line in failures.splitlines() if line.startswith("| q")]
    assert len(rows) == 6 and "First 6 of 6 wrong answers." in failures
    long_row = _line(failures, "| q1 |")
    assert "The minister \\| said yes" in long_row
    answer_cell = long_row.split(" | ")[-1].rstrip(" |")
    assert len(answer_cell.replace("\\|", "|")) == 200 and answer_cell.endswith("…")
    assert "Alice / A. Smith" in _line(failures, "| q3 |")


def test_plots(report: str, tmp_path: Path) -> None:
    for name in ("accuracy_vs_k.png", "latency.png", "by_type.png", "answers.png"):
        _assert_png(tmp_path / name)
        assert f"]({name})" in report


def test_minimal_results_have_no_answers(tmp_path: Path) -> None:
    md = write_report(_minimal(), tmp_path).read_text(encoding="utf-8")
    assert "## Retrieval" in md and "## Speed and memory" in md
    for absent in ("## Answers", "## Accuracy by question type", "## Citation", "## Failures", "(baseline)"):
        assert absent not in md
    assert "evidence" not in _line(md, "| config |")
    _assert_png(tmp_path / "accuracy_vs_k.png")
    _assert_png(tmp_path / "latency.png")
    assert not (tmp_path / "by_type.png").exists()
    assert not (tmp_path / "answers.png").exists()


def test_empty_results_render_title_only(tmp_path: Path) -> None:
    md = write_report({"dataset": "sample", "configs": []}, tmp_path).read_text(encoding="utf-8")
    assert md == "# Evaluation: sample\n"
    assert not list(tmp_path.glob("*.png"))


def test_rerender_removes_stale_plots(tmp_path: Path) -> None:
    write_report(_results(), tmp_path)
    write_report(_minimal(), tmp_path)
    assert not (tmp_path / "by_type.png").exists()


def test_main_rerenders_saved_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(_results()), encoding="utf-8")  # NaN survives as JSON NaN
    out = tmp_path / "out"
    assert main([str(saved), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "report.md")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Failures (hybrid+date)" in md and "– (reused)" in md
    _assert_png(out / "latency.png")
    assert main([str(saved)]) == 0
    assert (tmp_path / "report.md").is_file()
