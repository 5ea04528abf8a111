"""Ingest benchmark: the RealTime QA corpus through the naive LangChain recipe and through ours, then a
re-ingest, then retrieval latency at the corpus's size and at ~300k chunks, embedded and on a Chroma server.

    python -m bench.ingest_bench ../shared/data/realtimeqa-2023q1 --out results/ingest-bench
    python -m bench.ingest_bench ../shared/data/realtimeqa-2023q1 --limit 200 --replicas 2   # a quick run

Each ingest runs in a process of its own, so its peak RSS is its own; model loading is not timed.
- naive: recursive splitter 1000/100, sentence-transformers MiniLM in float32 with batch 32 as LangChain's
  ``HuggingFaceEmbeddings`` runs it (that package would downgrade huggingface_hub here, so an equivalent
  three-line class stands in for it), LangChain's ``Chroma.add_documents`` into an embedded store.
- ours: ``assistant ingest``'s code path (``Index.ingest``), with the same chunk size (1000 characters,
  sentence-aligned), in float32, in int8, and with the "auto" precision (bfloat16 where the CPU has it,
  else int8: the int8 arm is what an AVX2-only CPU's default runs).
- reingest: ours again over the unchanged corpus.
- latency: ``PassageRetriever.search`` with the product's defaults and each question's as-of date, and an
  unfiltered dense search of the chunk index (Chroma's HNSW until 2026-12-06, the mirror's scan since: the
  ``chroma_query_ms`` key kept its name), over the corpus and over a synthetic
  replication of it (``replicate``: vectors jittered by 1%). Since 2026-12-03 the unfiltered dense search
  also fetches the hits' text and vectors (the retriever's own query), and the naive arm writes a cosine-space
  collection through ``store.vectorstore``: runs before that date measured a bare L2 client and a raw query.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.child import print_result, run_child
from core.cpu import describe_cpu

ARMS = ("naive", "ours-fp32", "ours-int8", "ours", "reingest")
CHUNK = 1000  # the naive recipe's chunk size; ours runs at the same size for a like-for-like chunks/s


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", type=Path, help="the realtimeqa-2023q1 folder (its gcs/ is the corpus)")
    parser.add_argument("--out", type=Path, default=Path("results/ingest-bench"))
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default OUT/work)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N corpus items")
    parser.add_argument("--replicas", type=int, default=10, help="copies of the corpus for the large store")
    parser.add_argument("--queries", type=int, default=200, help="questions timed per store")
    parser.add_argument(
        "--resume", action="store_true", help="keep OUT/results.json's finished runs and the scratch folder"
    )
    parser.add_argument(
        "--arms",
        default=",".join(ARMS),
        help=f"comma-separated ingest runs, in this order: {','.join(ARMS)} (latency always runs)",
    )
    parser.add_argument("--arm", choices=(*ARMS, "latency"), help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()
    work = args.work or args.out / "work"
    if args.arm:
        result = run_latency(args, work) if args.arm == "latency" else run_arm(args.arm, args, work)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["cpu"] = describe_cpu()  # speeds differ between the kinds of CPU this runs on: say which
        print_result(result)
        return
    saved = args.out / "results.json"
    results: dict[str, Any] = json.loads(saved.read_text()) if args.resume and saved.exists() else {}
    if not args.resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    argv = [a for a in sys.argv[1:] if a != "--resume"]
    chosen = set(args.arms.split(","))
    if chosen - set(ARMS) or "ours" not in chosen:
        parser.error(f"--arms takes some of {','.join(ARMS)}, with ours (latency reads its store)")
    for arm in (*(a for a in ARMS if a in chosen), "latency"):
        if arm in results:
            continue
        print(f"== {arm}", file=sys.stderr, flush=True)
        results[arm] = child(arm, argv)
        saved.write_text(json.dumps(results, indent=2))  # a later failure keeps what is done
    write_report(results, args)


def child(arm: str, argv: list[str]) -> dict[str, Any]:
    return run_child("bench.ingest_bench", [*argv, "--arm", arm])


# ---- ingest arms --------------------------------------------------------------------------------------------


def corpus(args: argparse.Namespace) -> Iterator[Any]:
    from eval.datasets import load_dataset

    items = load_dataset("realtimeqa", args.dataset).corpus()
    for n, item in enumerate(items):
        if args.limit is not None and n >= args.limit:
            return
        yield item


def run_arm(arm: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    if arm == "naive":
        return naive(args, work)
    from core.settings import Settings
    from ingest.collection import open_index

    precision = {"ours-fp32": "fp32", "ours-int8": "int8"}.get(arm, "auto")
    folder = work / (arm if arm in ("ours-fp32", "ours-int8") else "ours")
    settings = Settings(
        data_dir=folder, collection="rtqa", chunk_size=CHUNK, embed_precision=precision, llm="extractive"
    )
    index = open_index(settings)
    index.embeddings.embed_documents(
        ["warm up"] * (index.embeddings.QUICK_TEXTS + 1)
    )  # loads the bulk engine
    began = time.perf_counter()
    report = index.ingest(corpus(args), on_progress=progress)
    seconds = time.perf_counter() - began
    return {
        "arm": arm,
        "precision": index.embeddings.precision,
        "seconds": seconds,
        "articles": report.articles + report.unchanged,
        "chunks": report.chunks if arm != "reingest" else index.articles.counts()[1],
        "embedded": report.embedded,
        "characters": report.characters,
        "chunks_per_s": report.chunks / seconds if report.chunks else 0.0,
    }


_shown = [0.0]


def progress(report: Any) -> None:
    if time.monotonic() - _shown[0] < 5:
        return
    _shown[0] = time.monotonic()
    rate = report.chunks / report.seconds if report.seconds else 0.0
    print(f"  {report.read} items, {report.chunks} chunks, {rate:.1f} chunks/s", file=sys.stderr, flush=True)


def naive(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from sentence_transformers import SentenceTransformer

    from core.article import Article
    from models.catalog import embedding_model_path
    from store.vectorstore import PlainChroma

    class HuggingFaceEmbeddings(Embeddings):  # langchain_huggingface's defaults: float32, batch 32
        def __init__(self) -> None:
            self.model = SentenceTransformer(str(embedding_model_path("minilm")), device="cpu")

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [v.tolist() for v in self.model.encode(texts, batch_size=32)]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    embeddings = HuggingFaceEmbeddings()
    embeddings.embed_documents(["warm up"])
    began = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK, chunk_overlap=100)
    docs: list[Document] = []
    characters = articles = 0
    for item in corpus(args):
        if isinstance(item, Article):
            articles += 1
            characters += len(item.text)
            meta = {"title": item.title, "source": item.source, "url": item.url, "published": item.published}
            docs.extend(splitter.create_documents([item.text], [meta]))
    PlainChroma(work / "naive", "naive", embeddings).add_documents(docs)
    seconds = time.perf_counter() - began
    return {
        "arm": "naive",
        "precision": "fp32",
        "seconds": seconds,
        "articles": articles,
        "chunks": len(docs),
        "embedded": len(docs),
        "characters": characters,
        "chunks_per_s": len(docs) / seconds,
    }


# ---- latency ------------------------------------------------------------------------------------------------


def run_latency(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from core.settings import Settings
    from ingest.collection import open_index

    base = Settings(data_dir=work / "ours", collection="rtqa", chunk_size=CHUNK, llm="extractive")
    source = open_index(base)
    questions = rtqa_questions(args)
    out: dict[str, Any] = {"embedded": {}, "server": {}}
    big = replace(base, collection=f"rtqa-x{args.replicas}")
    replicate(source, open_index(big), args.replicas)
    for settings in (base, big):
        out["embedded"][settings.collection] = measure(settings, questions)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chroma"),
            "run",
            "--path",
            str(work / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}"
        for settings in (base, big):
            remote = replace(settings, chroma_url=url, data_dir=work / "server-client")
            began = time.perf_counter()
            replicate(open_index(settings), open_index(remote), 1)
            copy_s = time.perf_counter() - began
            out["server"][settings.collection] = {**measure(remote, questions), "copy_s": copy_s}
    finally:
        server.terminate()
        server.wait(timeout=60)
    return out


def rtqa_questions(args: argparse.Namespace) -> list[Any]:
    from eval.datasets import load_dataset

    return load_dataset("realtimeqa", args.dataset).questions[: args.queries]


def replicate(source: Any, target: Any, copies: int) -> None:
    """``copies`` of ``source``'s chunks and articles in the ``Index`` ``target``, ids suffixed, vectors
    jittered by 1%. Resumes: chunks already copied by an interrupted run are kept."""
    import numpy as np

    if target.articles.counts()[0] == source.articles.counts()[0] * copies:
        return
    rng = np.random.default_rng(0)
    total = source.chunks.count()
    done = target.chunks.count() == total * copies  # chunks copied by an earlier, interrupted run
    copied = 0
    for page in [] if done else source.chunks.pages(2000):
        vectors = np.stack([c.vector for c in page])
        for k in range(copies):
            suffix = f"~{k}" if copies > 1 else ""
            moved = vectors + rng.normal(0, 0.01 if copies > 1 else 0, vectors.shape).astype(np.float32)
            moved /= np.linalg.norm(moved, axis=1, keepdims=True)
            target.chunks.upsert(
                [c.id + suffix for c in page],
                moved,
                [c.text for c in page],
                [{**c.meta, "article_id": f"{c.meta['article_id']}{suffix}"} for c in page],
            )
        copied += len(page)
        print(f"  copied {copied}/{total} chunks x{copies}", file=sys.stderr, flush=True)
    articles = list(source.articles.all())
    counts = {s.id: s.chunks for s in source.articles.list()}
    for k in range(copies):
        suffix = f"~{k}" if copies > 1 else ""
        target.articles.put_many([(replace(a, id=a.id + suffix), counts[a.id]) for a in articles])


def measure(settings: Any, questions: list[Any]) -> dict[str, Any]:
    import numpy as np

    from assistant.factory import build_retriever
    from core.filters import SearchFilter
    from ingest.collection import open_index

    index = open_index(settings)
    began = time.perf_counter()
    _ = index.chunks.mirror
    mirror_s = time.perf_counter() - began
    retriever = build_retriever(settings, index)
    full: list[float] = []
    raw: list[float] = []
    embed: list[float] = []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q.question, filter=SearchFilter(as_of=q.as_of))
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        vector = np.asarray(index.embeddings.embed_query(q.question), dtype=np.float32)
        embed.append(time.perf_counter() - t)
        t = time.perf_counter()
        index.chunks.dense(vector, 30, SearchFilter())
        raw.append(time.perf_counter() - t)
    return {
        "chunks": index.chunks.count(),
        "bm25_build_or_load_s": mirror_s,
        "retrieval_ms": percentiles(full),
        "embed_query_ms": percentiles(embed),
        "chroma_query_ms": percentiles(raw),
    }


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"p50": statistics.median(ms), "p95": ms[min(len(ms) - 1, int(0.95 * len(ms)))], "n": len(ms)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the Chroma server did not start on port {port}")


# ---- report -------------------------------------------------------------------------------------------------


def write_report(results: dict[str, Any], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    naive = results["naive"]
    rows = [
        "| run | CPU | precision | chunks | seconds | chunks/s | x naive | characters/s | x naive | embedded "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    naive_chars = naive["characters"] / naive["seconds"]
    for arm in (a for a in ARMS if a in results):
        r = results[arm]
        first = arm != "reingest"  # a re-ingest embeds nothing: its rate is not comparable
        rate, chars = (r["chunks"] / r["seconds"], r["characters"] / r["seconds"]) if first else (0.0, 0.0)
        rows.append(
            f"| {arm} | {r.get('cpu', 'not recorded')} | {r['precision']} | {r['chunks']} | {r['seconds']:.1f} | "
            + (
                f"{rate:.1f} | {rate / naive['chunks_per_s']:.2f} | {chars:,.0f} | {chars / naive_chars:.2f} | "
                if first
                else "— | — | — | — | "
            )
            + f"{r['embedded']} | {r['peak_rss_mb']:.0f} |"
        )
    if "reingest" in results:
        share = results["reingest"]["seconds"] / results["ours"]["seconds"]
        rows.append(f"\nRe-ingest of the unchanged corpus: {share:.1%} of the first ingest's time.\n")
    rows += [
        "\n| store | collection | chunks | retrieval p50/p95 ms | question embedding p50/p95 ms "
        "| dense search p50/p95 ms (Chroma HNSW before 2026-12-06) | BM25 build s |",
        "|---|---|---|---|---|---|---|",
    ]
    lat = results["latency"]
    for store in ("embedded", "server"):
        for name, m in lat[store].items():
            rows.append(
                f"| {store} | {name} | {m['chunks']} | {m['retrieval_ms']['p50']:.1f}/{m['retrieval_ms']['p95']:.1f} "
                f"| {_ms(m.get('embed_query_ms'))} "
                f"| {m['chroma_query_ms']['p50']:.1f}/{m['chroma_query_ms']['p95']:.1f} | "
                f"{m['bm25_build_or_load_s']:.1f} |"
            )
    cpu = f"CPU: {describe_cpu()}, {os.cpu_count()} cores.\n\n"
    (args.out / "report.md").write_text("# Ingest benchmark\n\n" + cpu + "\n".join(rows) + "\n")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = [a for a in ARMS if a != "reingest" and a in results]
    rates = [results[a]["chunks"] / results[a]["seconds"] for a in names]
    shades = {"naive": "#999", "ours-fp32": "#7aa6d8", "ours-int8": "#4d8cc8", "ours": "#2a6fb5"}
    left.bar(names, rates, color=[shades[n] for n in names])
    left.set_ylabel("chunks / s (higher is better)")
    left.set_title("First ingest of the RealTime QA corpus")
    for x, rate in enumerate(rates):
        left.text(x, rate, f"{rate:.0f}", ha="center", va="bottom")
    labels, p95 = [], []
    for store in ("embedded", "server"):
        for m in lat[store].values():
            labels.append(f"{store}\n{m['chunks'] // 1000}k chunks")
            p95.append(m["retrieval_ms"]["p95"])
    right.bar(labels, p95, color="#2a6fb5")
    right.axhline(50, color="#c33", linestyle="--", linewidth=1)
    right.set_ylabel("retrieval p95 ms (lower is better)")
    right.set_title("Retrieval latency (hybrid, as-of filter)")
    fig.tight_layout()
    fig.savefig(args.out / "ingest-bench.png", dpi=110)
    print((args.out / "report.md").read_text())


def _ms(p: dict[str, float] | None) -> str:
    return "—" if p is None else f"{p['p50']:.1f}/{p['p95']:.1f}"


if __name__ == "__main__":
    main()
