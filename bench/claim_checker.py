"""The claim checker alone, on each source's premise-disjoint held-out part (``test``, never trained or tuned
on): balanced accuracy of supported vs not (every source), and of the three labels where the source has them
(Climate-FEVER, the contrastive news pairs), with the confusion matrix; and how fast it reads.

    python -m bench.claim_checker PAIRS.jsonl --out bench/results/claim-checker [--limit-per-source N]

``PAIRS.jsonl`` is ``training.claim_pairs``' output. The model is the committed int8 ONNX graph
(``models/checker``), read as the product reads it (``models.claim_checker.ClaimModel``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.cpu import describe_cpu
from models.claim_checker import LABELS, ClaimModel, graph_path
from models.weights import sha256_file
from training.train_claim_checker import balanced_accuracy


def score(rows: list[dict[str, Any]], probabilities: np.ndarray) -> dict[str, Any]:
    gold = [r["label"] for r in rows]
    three = [int(p) for p in probabilities.argmax(axis=1)]
    binary_gold = [min(g, 1) for g in gold]
    binary = [0 if p[0] >= 0.5 else 1 for p in probabilities]
    out: dict[str, Any] = {
        "pairs": len(rows),
        "labels": {LABELS[k]: gold.count(k) for k in sorted(set(gold))},
        "binary_balanced_accuracy": round(balanced_accuracy(binary_gold, binary), 4),
        "supported_precision": round(
            sum(g == p == 0 for g, p in zip(binary_gold, binary, strict=True)) / max(1, binary.count(0)), 4
        ),
    }
    if 2 in gold:
        out["three_way_balanced_accuracy"] = round(balanced_accuracy(gold, three), 4)
        out["confusion"] = {
            LABELS[g]: {
                LABELS[p]: sum(x == g and y == p for x, y in zip(gold, three, strict=True)) for p in range(3)
            }
            for g in range(3)
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit-per-source", type=int, default=0, help="a seeded sample per source; 0: all")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.pairs.open(encoding="utf-8")]
    rows = [r for r in rows if r["split"] == args.split]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r)
    model = ClaimModel()
    results: dict[str, Any] = {
        "cpu": describe_cpu(),
        "model": str(graph_path()),
        "sha256": sha256_file(graph_path()),
        "split": args.split,
        "sources": {},
    }
    seconds = pairs = 0.0
    for source, chosen in sorted(by_source.items()):
        if args.limit_per_source and len(chosen) > args.limit_per_source:
            chosen = random.Random(0).sample(chosen, args.limit_per_source)
        started = time.perf_counter()
        probabilities = model.probabilities([(r["claim"], r["evidence"]) for r in chosen], batch_size=32)
        seconds += time.perf_counter() - started
        pairs += len(chosen)
        results["sources"][source] = score(chosen, probabilities)
        print(source, json.dumps(results["sources"][source]), file=sys.stderr)
    results["pairs_per_second"] = round(pairs / seconds, 1)
    print("| source | pairs | supported vs not: balanced accuracy | three labels: balanced accuracy |")
    print("|---|---|---|---|")
    for source, r in results["sources"].items():
        print(
            f"| {source} | {r['pairs']} | {r['binary_balanced_accuracy']} | {r.get('three_way_balanced_accuracy', '')} |"
        )
    print(f"\n{results['pairs_per_second']} pairs/s, {results['cpu']}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
