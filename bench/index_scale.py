"""The index at scale: a collection of about a million chunks (copies of the RealTime QA evaluation index, as
``bench.ingest_bench --replicas`` makes them), opened and searched through the chunk index, and asked.

    python -m bench.index_scale ../shared/data/realtimeqa-2023q1 --replicas 25 --work /tmp/scale \\
        --out bench/results/index-scale

Copies the evaluation index (``assistant eval realtimeqa ... --no-answers`` builds it in ``--source``) into
``--work`` once (resumable; about 30 minutes and 12 GB for a million chunks), then, in a fresh process per
collection (so its peak RSS is its own), for the source collection and the copy:
- open time: the chunk index and its mirror (BM25, vectors, filter fields) from disk, with the embedder and
  the answerer loaded; and once, the first open of the copy, which builds the mirror from Chroma;
- retrieval p50/p95 of ``PassageRetriever.search`` with the product's defaults, unfiltered (Chroma's HNSW
  for the dense side) and filtered by each question's as-of date (exact search over the allowed rows);
- peak RSS of the process after it has answered ``--answers`` questions with ``--llm``.
Writes results.json, report.md and a plot of the latencies.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.child import print_result, run_child
from bench.ingest_bench import percentiles, replicate
from core.cpu import describe_cpu

SOURCE_COLLECTION = "realtimeqa-minilm-c800-o1"  # the evaluation index of the default preset


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", type=Path, help="the realtimeqa-2023q1 folder (its questions are asked)")
    parser.add_argument(
        "--source", type=Path, default=Path("data/eval"), help="the evaluation data directory"
    )
    parser.add_argument("--work", type=Path, required=True, help="where the copies are written (kept)")
    parser.add_argument("--replicas", type=int, default=25, help="copies of the corpus (25: ~1M chunks)")
    parser.add_argument("--queries", type=int, default=200, help="questions timed per collection and filter")
    parser.add_argument("--answers", type=int, default=3, help="questions answered before RSS is read")
    parser.add_argument("--llm", default="extractive", help="the answerer (extractive, local, ...)")
    parser.add_argument("--out", type=Path, default=Path("results/index-scale"))
    parser.add_argument("--child", help=argparse.SUPPRESS)  # DATA_DIR:COLLECTION, measured in this process
    args = parser.parse_args()
    if args.child:
        data_dir, collection = args.child.rsplit(":", 1)
        result = measure(args, Path(data_dir), collection)
        print_result(result)
        return

    source = _settings(args, args.source, SOURCE_COLLECTION)
    big = replace(source, data_dir=args.work, collection=f"rtqa-x{args.replicas}")
    from ingest.collection import open_index

    original = open_index(source)
    if not original.chunks.count():
        raise SystemExit(
            f"No evaluation index {SOURCE_COLLECTION!r} in {args.source}: build it with `assistant eval "
            f"realtimeqa {args.dataset} --config default --no-answers`."
        )
    began = time.perf_counter()
    replicate(original, open_index(big), args.replicas)
    copy_s = time.perf_counter() - began
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"command": "python -m bench.index_scale " + " ".join(sys.argv[1:])}
    results["copy_s"] = round(copy_s, 1)
    runs = [
        ("source", args.source, SOURCE_COLLECTION),
        ("scaled-first-open", args.work, big.collection),  # builds the mirror unless an earlier run did
        ("scaled", args.work, big.collection),
    ]
    for name, data_dir, collection in runs:
        print(f"== {name}: {collection} in {data_dir}", file=sys.stderr, flush=True)
        results[name] = child(f"{data_dir}:{collection}")
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
    write_report(results, args.out)


def _settings(args: argparse.Namespace, data_dir: Path, collection: str) -> Any:
    from core.settings import settings_from_env
    from eval.presets import PRESETS

    settings = settings_from_env(llm=args.llm, data_dir=data_dir).with_overrides(
        **PRESETS["default"].overrides
    )
    return settings.with_overrides(collection=collection)


def child(target: str) -> dict[str, Any]:
    return run_child("bench.index_scale", [*sys.argv[1:], "--child", target])


def measure(args: argparse.Namespace, data_dir: Path, collection: str) -> dict[str, Any]:
    """Open the collection, time its searches, answer a few questions: in this process, from cold."""
    import numpy as np

    from assistant.factory import build_assistant, build_retriever
    from core.filters import SearchFilter
    from eval.datasets import load_dataset
    from ingest.collection import open_index

    settings = _settings(args, data_dir, collection)
    questions = load_dataset("realtimeqa", args.dataset).questions
    began = time.perf_counter()
    index = open_index(settings)
    saved = index.chunks.mirror_dir / "chunks.json"
    before = saved.stat().st_mtime_ns if saved.exists() else None
    _ = index.chunks.mirror
    built = before != saved.stat().st_mtime_ns  # missing or stale, so built from Chroma
    mirror_s = time.perf_counter() - began
    index.embeddings.embed_query("warm up")  # loads the embedder
    assistant = build_assistant(settings, index)
    open_s = time.perf_counter() - began
    retriever = build_retriever(settings, index)
    timed = questions[: args.queries]
    out: dict[str, Any] = {
        "collection": collection,
        "chunks": index.chunks.count(),
        "mirror_built": built,
        "mirror_s": round(mirror_s, 2),
        "open_s": round(open_s, 2),
        "answerer": assistant.backend,
        "cpu": describe_cpu(),
    }
    for name, filter_of in (
        ("unfiltered", lambda q: SearchFilter()),
        ("as_of", lambda q: SearchFilter(as_of=q.as_of)),
    ):
        retriever.search(
            timed[0].question, filter=filter_of(timed[0])
        )  # the first search loads Chroma's HNSW
        seconds = []
        for q in timed:
            t = time.perf_counter()
            retriever.search(q.question, filter=filter_of(q))
            seconds.append(time.perf_counter() - t)
        out[f"retrieval_{name}_ms"] = percentiles(seconds)
        print(f"  {name}: {out[f'retrieval_{name}_ms']}", file=sys.stderr, flush=True)
    embed = []
    for q in timed[:50]:
        t = time.perf_counter()
        np.asarray(index.embeddings.embed_query(q.question))
        embed.append(time.perf_counter() - t)
    out["embed_query_ms"] = percentiles(embed)
    out["rss_before_answers_mb"] = _peak_rss_mb()
    answered = []
    for q in questions[: args.answers]:
        t = time.perf_counter()
        answer = assistant.ask(q.question, filter=SearchFilter(as_of=q.as_of))
        answered.append(
            {"id": q.id, "declined": answer.declined, "seconds": round(time.perf_counter() - t, 2)}
        )
    out["answers"] = answered
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_report(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in ("source", "scaled-first-open", "scaled") if k in results]
    runs = [results[k] for k in names]
    lines = [
        "# The index at scale",
        "",
        f"Command: `{results['command']}`  ",
        f"CPU: {runs[-1]['cpu']}  ",
        f"Copying the chunks took {results['copy_s']:.0f} s (0 when an earlier run had copied them).",
        "",
        "| Run | Collection | Chunks | Open s (mirror) | Mirror built | Unfiltered p50 / p95 ms | "
        "As-of filtered p50 / p95 ms | Query embedding p50 ms | Peak RSS MB (answerer) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in zip(names, runs, strict=True):
        u, f = r["retrieval_unfiltered_ms"], r["retrieval_as_of_ms"]
        lines.append(
            f"| {name} | {r['collection']} | {r['chunks']:,} | {r['open_s']:.1f} (mirror {r['mirror_s']:.1f}) | "
            f"{'yes' if r['mirror_built'] else 'no'} | {u['p50']:.1f} / {u['p95']:.1f} | "
            f"{f['p50']:.1f} / {f['p95']:.1f} | {r['embed_query_ms']['p50']:.1f} | "
            f"{r['peak_rss_mb']:,.0f} ({r['answerer']}) |"
        )
    lines += [
        "",
        "Retrieval is ``PassageRetriever.search`` with the product's defaults (hybrid, top 5 from 30 dense and "
        "30 BM25 candidates, the query embedded each time). Targets: p95 under 50 ms, peak RSS under 4 GB. "
        "Each run is a fresh process; the first open of the copy builds its mirror when it is missing or stale "
        "(else it meets a cold page cache), the second opens it again.",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    fig, ax = plt.subplots(figsize=(7, 3.6))
    runs = [r for r in runs if r is not results.get("scaled-first-open")]  # warm: the second open
    labels = [f"{r['chunks']:,} chunks" for r in runs]
    width = 0.2
    for i, (key, kind) in enumerate((("unfiltered", "unfiltered"), ("as_of", "as-of filtered"))):
        for j, stat in enumerate(("p50", "p95")):
            values = [r[f"retrieval_{key}_ms"][stat] for r in runs]
            offset = (2 * i + j - 1.5) * width
            ax.bar([x + offset for x in range(len(runs))], values, width, label=f"{kind} {stat}")
    ax.axhline(50, color="grey", linestyle="--", linewidth=1, label="target p95 (50 ms)")
    ax.set_xticks(range(len(runs)), labels)
    ax.set_ylabel("retrieval ms")
    ax.set_title("Retrieval latency at the evaluation index's size and at a million chunks")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "index-scale.png", dpi=120)
    print((out / "report.md").read_text())


if __name__ == "__main__":
    main()
