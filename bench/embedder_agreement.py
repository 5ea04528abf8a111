"""How far each embedding engine's vectors are from float32 sentence-transformers on real chunks, and how fast
a question is embedded: the equivalence behind ``LocalEmbeddings``'s engines and precisions.

    python -m bench.embedder_agreement ../shared/data/realtimeqa-2023q1 --chunks 2000 --questions 300

Chunks: a seeded sample of the RealTime QA corpus as ingest chunks it (800 characters). Engines, through
``LocalEmbeddings``'s own routing: ONNX Runtime float32 (calls of at most ``QUICK_TEXTS`` texts, and every
question), torch int8 and bfloat16 (bulk calls; bfloat16 only where the CPU has it natively).
Prints a table and writes OUT/results.json; the CPU is named in both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.ingest_bench import percentiles
from core.cpu import describe_cpu, native_bf16
from core.settings import Settings
from models.embeddings import LocalEmbeddings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="the realtimeqa-2023q1 folder")
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("results/embedder-agreement"))
    args = parser.parse_args()

    texts, questions = sample(args.dataset, args.chunks, args.questions, args.seed)
    models_dir = Settings().models_dir
    reference = LocalEmbeddings(models_dir=models_dir, precision="fp32")
    exact = bulk(reference, texts)
    rows: list[dict[str, Any]] = []
    engines = [("onnx", "fp32"), ("torch", "int8")] + ([("torch", "bf16")] if native_bf16() else [])
    for engine, precision in engines:
        model = LocalEmbeddings(models_dir=models_dir, precision=precision)
        model.embed_documents(texts[: model.QUICK_TEXTS + 1])  # warm up (loads the bulk engine)
        began = time.perf_counter()
        vectors = short(model, texts) if engine == "onnx" else bulk(model, texts)
        seconds = time.perf_counter() - began
        cosines = (exact * vectors).sum(axis=1)
        rows.append(
            {
                "engine": engine,
                "precision": precision,
                "mean_cosine": float(cosines.mean()),
                "min_cosine": float(cosines.min()),
                "chunks_per_s": len(texts) / seconds,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    cpu = describe_cpu()
    q = query_ms(reference, questions)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(
            {
                "cpu": cpu,
                "cores": os.cpu_count(),
                "chunks": len(texts),
                "rows": rows,
                "embed_query_ms": q,
            },
            indent=2,
        )
    )
    print(f"\n{len(texts)} chunks, {len(questions)} questions; CPU: {cpu}, {os.cpu_count()} cores\n")
    print("| engine | precision | mean / min cosine to float32 | chunks/s |")
    print("|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['engine']} | {r['precision']} | {r['mean_cosine']:.5f} / {r['min_cosine']:.5f} "
            f"| {r['chunks_per_s']:.1f} |"
        )
    print(f"\nQuestion embedding (`embed_query`, ONNX): p50 {q['p50']:.1f} ms, p95 {q['p95']:.1f} ms")


def sample(dataset: Path, chunks: int, questions: int, seed: int) -> tuple[list[str], list[str]]:
    from core.article import Article
    from eval.datasets import load_dataset
    from ingest.chunk import split_article

    data = load_dataset("realtimeqa", dataset)
    texts = [
        c.text
        for item in data.corpus()
        if isinstance(item, Article)
        for c in split_article(item, chunk_size=800, overlap=1)
    ]
    rng = random.Random(seed)
    return rng.sample(texts, min(chunks, len(texts))), [q.question for q in data.questions[:questions]]


def bulk(model: LocalEmbeddings, texts: list[str]) -> np.ndarray:
    """``texts`` in one call: a bulk one (torch, at the model's precision), as ingest makes."""
    assert len(texts) > model.QUICK_TEXTS
    return np.asarray(model.embed_documents(texts))


def short(model: LocalEmbeddings, texts: list[str]) -> np.ndarray:
    """``texts`` in calls short enough for the ONNX engine."""
    step = model.QUICK_TEXTS
    return np.vstack([model.embed_documents(texts[at : at + step]) for at in range(0, len(texts), step)])


def query_ms(model: LocalEmbeddings, questions: list[str]) -> dict[str, float]:
    for q in questions[:20]:  # warm up
        model.embed_query(q)
    seconds = []
    for q in questions:
        began = time.perf_counter()
        model.embed_query(q)
        seconds.append(time.perf_counter() - began)
    return percentiles(seconds)


if __name__ == "__main__":
    main()
