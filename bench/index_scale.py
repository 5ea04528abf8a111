"""The index at scale: a collection of about a million chunks (copies of the RealTime QA evaluation index, as
``bench.ingest_bench --replicas`` makes them), opened and searched through the chunk index, and asked.

    python -m bench.index_scale ../shared/data/realtimeqa-2023q1 --replicas 25 --work /tmp/scale \\
        --out bench/results/index-scale

Copies the evaluation index (``assistant eval realtimeqa ... --no-answers`` builds it in ``--source``) into
``--work`` once (resumable; about 30 minutes and 12 GB for a million chunks), then, in a fresh process per
collection (so its peak RSS is its own), for the source collection and the copy, on each ``--kinds`` CPU kind
(this machine as it is, and made to choose as the other kinds would: bench/cpu_kinds.py):
- open time: the chunk index and its mirror (BM25, vectors, filter fields) from disk, with the embedder and
  the answerer loaded; and once, the first open of the copy, which builds the mirror from Chroma (with the
  build's peak RSS);
- retrieval p50/p95 of ``PassageRetriever.search`` with the product's defaults, unfiltered and filtered by
  each question's as-of date (both a scan of the mirror: store/vectors.py), and the dense side's recall of
  an exact search's top 30 on 50 questions;
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
from bench.cpu_kinds import KINDS
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
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS), help="CPU kinds")
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
    results["runs"] = []
    runs = [("scaled-first-open", args.work, big.collection, "as is")]  # builds the mirror unless built
    for kind in args.kinds:
        runs += [
            ("source", args.source, SOURCE_COLLECTION, kind),
            ("scaled", args.work, big.collection, kind),
        ]
    for name, data_dir, collection, kind in runs:
        print(f"== {name} ({kind}): {collection} in {data_dir}", file=sys.stderr, flush=True)
        results["runs"].append({"run": name, "kind": kind, **child(f"{data_dir}:{collection}", kind)})
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
    write_report(results, args.out)


def _settings(args: argparse.Namespace, data_dir: Path, collection: str) -> Any:
    from core.settings import settings_from_env
    from eval.presets import PRESETS

    settings = settings_from_env(llm=args.llm, data_dir=data_dir).with_overrides(
        **PRESETS["default"].overrides
    )
    return settings.with_overrides(collection=collection)


def child(target: str, kind: str) -> dict[str, Any]:
    return run_child("bench.index_scale", [*sys.argv[1:], "--child", target], KINDS[kind])


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
    mirror = index.chunks.mirror
    built = before != saved.stat().st_mtime_ns  # missing or stale, so built from Chroma
    mirror_s = time.perf_counter() - began
    mirror_rss = _peak_rss_mb()  # the build's peak when it was built
    index.embeddings.embed_query("warm up")  # loads the embedder
    assistant = build_assistant(settings, index)
    open_s = time.perf_counter() - began
    retriever = build_retriever(settings, index)
    timed = questions[: args.queries]
    out: dict[str, Any] = {
        "collection": collection,
        "chunks": len(mirror),  # not Chroma's count: answering never reads Chroma
        "mirror_built": built,
        "mirror_s": round(mirror_s, 2),
        "mirror_peak_rss_mb": mirror_rss,
        "scan": mirror.vectors.kernel,
        "open_s": round(open_s, 2),
        "answerer": assistant.backend,
        "cpu": describe_cpu(),
    }
    for name, filter_of in (
        ("unfiltered", lambda q: SearchFilter()),
        ("as_of", lambda q: SearchFilter(as_of=q.as_of)),
    ):
        retriever.search(timed[0].question, filter=filter_of(timed[0]))  # the first reads the codes in
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
    # last, as they read every vector and load Chroma's HNSW segment (the product's searches do neither)
    out["dense_recall_at_30"], out["hnsw_recall_at_30"] = _recall(index, [q.question for q in timed[:50]])
    return out


def _recall(index: Any, questions: list[str], k: int = 30) -> tuple[float, float]:
    """The share of an exact search's top ``k`` (float32, every row; unfiltered) that the dense side finds,
    and that Chroma's HNSW index finds (through the collection's LangChain view), which answered unfiltered
    questions before."""
    import numpy as np

    from core.filters import SearchFilter

    queries = np.asarray([index.embeddings.embed_query(q) for q in questions], dtype=np.float32)
    mirror = index.chunks.mirror
    matrix = mirror.vectors.matrix
    sims = np.concatenate([matrix[at : at + 50_000] @ queries.T for at in range(0, len(matrix), 50_000)])
    view = index.chunks.as_vectorstore(index.embeddings)
    found = hnsw = 0
    for column, query in enumerate(queries):
        exact = set(np.argpartition(-sims[:, column], k - 1)[:k].tolist())
        hits = index.chunks.dense(query, k, SearchFilter())
        found += len(exact & {mirror.positions[h.chunk_id] for h in hits})
        chroma = view.similarity_search_by_vector(query.tolist(), k=k)
        hnsw += len(exact & {mirror.positions[str(d.id)] for d in chroma})
    return round(found / (k * len(queries)), 4), round(hnsw / (k * len(queries)), 4)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_report(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    lines = [
        "# The index at scale",
        "",
        f"Command: `{results['command']}`  ",
        f"Machine: {runs[0]['cpu']}; the other kinds are this machine made to choose as they would "
        "(bench/cpu_kinds.py).  ",
        f"Copying the chunks took {results['copy_s']:.0f} s (0 when an earlier run had copied them).",
        "",
        "| CPU kind | Run | Chunks | Scan | Open s (mirror) | Mirror built (peak RSS MB) | Unfiltered p50 / p95 ms "
        "| As-of filtered p50 / p95 ms | Dense recall@30 (HNSW's) | Query embedding p50 ms | Peak RSS MB (answerer) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        u, f = r["retrieval_unfiltered_ms"], r["retrieval_as_of_ms"]
        built = f"yes ({r['mirror_peak_rss_mb']:,.0f})" if r["mirror_built"] else "no"
        lines.append(
            f"| {r['cpu']} | {r['run']} | {r['chunks']:,} | {r['scan']} | {r['open_s']:.1f} "
            f"(mirror {r['mirror_s']:.1f}) | {built} | {u['p50']:.1f} / {u['p95']:.1f} | "
            f"{f['p50']:.1f} / {f['p95']:.1f} | {r['dense_recall_at_30']:.3f} ({r['hnsw_recall_at_30']:.3f}) | "
            f"{r['embed_query_ms']['p50']:.1f} | "
            f"{r['peak_rss_mb']:,.0f} ({r['answerer']}) |"
        )
    lines += [
        "",
        "Retrieval is ``PassageRetriever.search`` with the product's defaults (hybrid, top 5 from 30 dense and "
        "30 BM25 candidates, the query embedded each time). Targets: p95 under 50 ms, peak RSS under 4 GB, "
        "for the answering process and for the mirror's build. Each run is a fresh process; the first open of "
        "the copy builds its mirror when it is missing or stale, the others open it again. Dense recall@30: "
        "the share of an exact float32 search's top 30 (50 questions, unfiltered) the dense side returns; in "
        "brackets, the share Chroma's HNSW index returns (it answered unfiltered questions before). Peak RSS is "
        "read before either is measured.",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    warm = [r for r in runs if r["run"] != "scaled-first-open"]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    labels = ["\n".join([*r["kind"].split(", "), f"{r['chunks']:,} chunks"]) for r in warm]
    width = 0.2
    for i, (key, kind) in enumerate((("unfiltered", "unfiltered"), ("as_of", "as-of filtered"))):
        for j, stat in enumerate(("p50", "p95")):
            values = [r[f"retrieval_{key}_ms"][stat] for r in warm]
            offset = (2 * i + j - 1.5) * width
            ax.bar([x + offset for x in range(len(warm))], values, width, label=f"{kind} {stat}")
    ax.axhline(50, color="grey", linestyle="--", linewidth=1, label="target p95 (50 ms)")
    ax.set_xticks(range(len(warm)), labels, fontsize=7)
    ax.set_ylabel("retrieval ms")
    ax.set_title("Retrieval latency per CPU kind, at the evaluation index's size and at a million chunks")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "index-scale.png", dpi=120)
    print((out / "report.md").read_text())


if __name__ == "__main__":
    main()
