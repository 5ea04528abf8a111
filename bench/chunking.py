"""Chunk size and overlap, chosen by measurement on RealTime QA: retrieval hit rates per chunking.

Chunks the corpus in memory for each (size, overlap), indexes it with BM25 and (with ``--dense``) MiniLM,
and scores answer and evidence hit@k over the questions, with the same as-of filter and reciprocal-rank
fusion as the assistant. Dense embedding is the slow part (about 35 chunks/s on 2 cores), so ``--weeks N``
restricts corpus and questions to the first N weeks.

    python -m bench.chunking ../shared/data/realtimeqa-2023q1 --sizes 400 800 1200 --overlaps 0 1
    python -m bench.chunking ../shared/data/realtimeqa-2023q1 --weeks 3 --dense --sizes 400 800 1200
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from tqdm import tqdm

from core.article import Article
from core.chunks import contextual_text, day_number
from eval import metrics
from eval.datasets import load_dataset
from ingest.chunk import split_article

KS = (1, 5, 10, 20)
RRF_K = 60


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, help="the realtimeqa-2023q1 folder")
    ap.add_argument("--sizes", type=int, nargs="+", default=[400, 800, 1200])
    ap.add_argument("--overlaps", type=int, nargs="+", default=[1])
    ap.add_argument("--weeks", type=int, help="only the first N weeks' questions and articles")
    ap.add_argument("--dense", action="store_true", help="also dense and hybrid (embeds every chunk: slow)")
    ap.add_argument("--json", type=Path, help="write the rows here")
    args = ap.parse_args(argv)

    data = load_dataset("realtimeqa", args.path)
    questions = data.questions
    articles = [a for a in data.corpus() if isinstance(a, Article)]
    if args.weeks:
        weeks = sorted({q.id.split("/")[0] for q in questions})[: args.weeks]
        questions = [q for q in questions if q.id.split("/")[0] in weeks]
        wanted = set().union(*(q.evidence_ids for q in questions))
        articles = [a for a in articles if a.id in wanted]
    print(f"{len(questions)} questions, {len(articles)} articles", file=sys.stderr)

    embedder = None
    if args.dense:
        from models.embeddings import LocalEmbeddings

        embedder = LocalEmbeddings("minilm")
    rows = []
    for size in args.sizes:
        for overlap in args.overlaps:
            rows += evaluate(articles, questions, size, overlap, embedder)
            for row in rows[-3:]:
                print(json.dumps(row), file=sys.stderr)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def evaluate(articles, questions, size, overlap, embedder) -> list[dict]:  # type: ignore[no-untyped-def]
    chunks = [(a, c) for a in articles for c in split_article(a, size, overlap)]
    texts = [contextual_text(a.title, a.source, a.published, c.text) for a, c in chunks]
    days = np.array([day_number(a.published) for a, _ in chunks])
    owners = np.array([a.id for a, _ in chunks], dtype=object)
    tokenizer = bm25s.tokenization.Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
    bm25 = bm25s.BM25()
    bm25.index(tokenizer.tokenize(texts, return_as="tuple", show_progress=False), show_progress=False)
    vectors = None
    began = time.perf_counter()
    if embedder is not None:
        vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    embed_s = time.perf_counter() - began
    ranks: dict[str, tuple[list, list]] = {
        m: ([], []) for m in (["bm25", "dense", "hybrid"] if vectors is not None else ["bm25"])
    }
    for q in tqdm(questions, desc=f"size {size} overlap {overlap}", file=sys.stderr, mininterval=2):
        mask = (days <= day_number(q.as_of.isoformat())) if q.as_of else np.ones(len(texts), bool)
        tokens = tokenizer.tokenize([q.question], update_vocab=False, return_as="ids", show_progress=False)
        found, scores = bm25.retrieve(
            tokens, k=min(30, len(texts)), show_progress=False, weight_mask=mask.astype(np.float32)
        )
        lexical = [int(i) for i, s in zip(found[0], scores[0], strict=True) if s > 0]
        lists = {"bm25": lexical}
        if vectors is not None and embedder is not None:
            sims = vectors @ np.asarray(embedder.embed_query(q.question), dtype=np.float32)
            sims[~mask] = -2
            dense = [int(i) for i in np.argsort(-sims)[:30]]
            fused: dict[int, float] = {}
            for ranked in (lexical, dense):
                for r, i in enumerate(ranked, 1):
                    fused[i] = fused.get(i, 0.0) + 1 / (RRF_K + r)
            lists["dense"] = dense
            lists["hybrid"] = sorted(fused, key=lambda i: -fused[i])
        for mode, ranked in lists.items():
            top = _distinct(ranked, chunks)[:20]
            passages = [chunks[i][1].text for i in top]
            own = [owners[i] in q.evidence_ids for i in top]
            ranks[mode][0].append(metrics.first_hit_rank(passages, q.gold))
            ranks[mode][1].append(metrics.first_hit_rank(passages, q.gold, allowed=own))
    out = []
    for mode, (answer, evidence) in ranks.items():
        row = {
            "size": size,
            "overlap": overlap,
            "mode": mode,
            "chunks": len(chunks),
            "embed_s": round(embed_s, 1),
        }
        row.update({f"answer@{k}": round(v, 3) for k, v in metrics.hits_at_k(answer, KS).items()})
        row.update({f"evidence@{k}": round(v, 3) for k, v in metrics.hits_at_k(evidence, KS).items()})
        out.append(row)
    return out


def _distinct(ranked: list[int], chunks) -> list[int]:  # type: ignore[no-untyped-def]
    seen, out = set(), []
    for i in ranked:
        key = " ".join(chunks[i][1].text.split())
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def table(rows: list[dict]) -> str:
    head = ["size", "overlap", "mode", "chunks"] + [f"answer@{k}" for k in KS] + [f"evidence@{k}" for k in KS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
