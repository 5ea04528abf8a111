"""Where a retrieval's time goes at scale, stage by stage: the question's embedding, the filter mask, the dense
side (the mirror's vector scan and exact re-rank, unfiltered and as of a date), BM25, and reading the kept
passages' text and metadata (from the article store); each with its p50/p95 and the page faults it took (a
memory-mapped file read for the first time faults once a page).

    python -m bench.index_profile ../shared/data/realtimeqa-2023q1 --data-dir WORK --collection rtqa-x25 \\
        --out bench/results/index-profile

Runs once per CPU kind, each in a fresh process: this CPU as it is, and as each ``--kinds`` entry says
(``ASSISTANT_CPU_FLAGS`` for the project's kernel choices, ``ATEN_CPU_CAPABILITY`` for torch's own), so the
paths an AMD EPYC without AMX or an AVX2-only CPU would take are timed here too, on this machine's memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.cpu_kinds import KINDS
from core.cpu import describe_cpu

FETCH_K = 30  # as the product's retriever
KEEP = 5


def profile(dataset: Path, data_dir: Path, collection: str, queries: int) -> dict[str, Any]:
    """Every stage's latency (ms) and minor page faults per query, in this process."""
    import numpy as np

    from core.filters import SearchFilter
    from core.settings import Settings
    from eval.datasets import load_dataset
    from ingest.collection import open_index
    from models.embeddings import LocalEmbeddings
    from store.chunk_index import _mask

    settings = Settings(data_dir=data_dir, collection=collection, llm="extractive")
    began = time.perf_counter()
    index = open_index(settings).chunks
    mirror = index.mirror
    opened = time.perf_counter() - began
    embeddings = LocalEmbeddings(settings.embedding_model, models_dir=settings.models_dir)
    asked = load_dataset("realtimeqa", dataset).questions[:queries]
    stages: dict[str, list[tuple[float, int]]] = {}

    def timed(stage: str, work: Any, *args: Any) -> Any:
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t = time.perf_counter()
        out = work(*args)
        stages.setdefault(stage, []).append(
            ((time.perf_counter() - t) * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
        )
        return out

    for q in asked:
        vector = np.asarray(timed("embed the question", embeddings.embed_query, q.question), dtype=np.float32)
        mask = timed("filter mask (as of)", _mask, mirror, SearchFilter(as_of=q.as_of))
        top = timed("dense, unfiltered", index.dense, vector, FETCH_K, SearchFilter())
        timed("dense, as of", index.dense, vector, FETCH_K, SearchFilter(as_of=q.as_of))
        timed("BM25, unfiltered", mirror.bm25.search, q.question, FETCH_K)
        timed("BM25, as of", mirror.bm25.search, q.question, FETCH_K, mask)
        timed("text and metadata (article store)", index.get, [h.chunk_id for h in top[:KEEP]])
    rows = {}
    for stage, values in stages.items():
        ms = sorted(v for v, _ in values)
        rows[stage] = {
            "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[max(0, round(0.95 * len(ms)) - 1)], 2),
            "faults_p50": int(statistics.median(f for _, f in values)),
            "faults_max": max(f for _, f in values),
        }
    return {
        "cpu": describe_cpu(),
        "torch_capability": os.environ.get("ATEN_CPU_CAPABILITY", "as is"),
        "chunks": len(mirror),
        "scan": mirror.vectors.kernel,
        "open_s": round(opened, 1),
        "queries": len(asked),
        "stages": rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="the realtimeqa-2023q1 folder (its questions are asked)")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(profile(args.dataset, args.data_dir, args.collection, args.queries)))
        return 0
    results = []
    for kind in args.kinds:
        command = [
            sys.executable,
            "-m",
            "bench.index_profile",
            str(args.dataset),
            "--data-dir",
            str(args.data_dir),
            "--collection",
            args.collection,
            "--queries",
            str(args.queries),
            "--child",
        ]
        done = subprocess.run(
            command, env={**os.environ, **KINDS[kind]}, capture_output=True, text=True, check=True
        )
        result = {"kind": kind, **json.loads(done.stdout.strip().splitlines()[-1])}
        results.append(result)
        print(_table(result), file=sys.stderr)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
        (args.out / "report.md").write_text("\n".join(_table(r) for r in results), encoding="utf-8")
    return 0


def _table(r: dict[str, Any]) -> str:
    lines = [
        f"## {r['kind']}: {r['cpu']}, torch kernels {r['torch_capability']}",
        "",
        f"{r['chunks']:,} chunks, {r['scan']} scan, opened in {r['open_s']} s, {r['queries']} queries, "
        f"peak RSS {r['peak_rss_mb']:,} MB.",
        "",
        "| stage | p50 ms | p95 ms | page faults p50 / max |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {stage} | {v['p50_ms']} | {v['p95_ms']} | {v['faults_p50']:,} / {v['faults_max']:,} |"
        for stage, v in r["stages"].items()
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
