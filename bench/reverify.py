"""Cached answers as their run verified them beside the same drafts verified by today's verifier: a change to
verification judged on every question of a full run in a minute, without the hours of generation behind it.
(An eval run re-verifies cached answers itself; this shows what changed, question by question.)

    python -m bench.reverify multihop ../shared/data/multihop-rag-500 \\
        bench/results/answers/multihop/default-local-default-18c190abf05f.jsonl [--show changed]

Prints the accuracy, the null queries declined and the wrongly declined answerable questions, as cached and as
re-verified now, and the questions whose verdict changed (``--show changed``: each with its draft).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.factory import build_reader
from core.settings import Settings
from eval.answer_cache import reverified
from eval.answer_scores import score_answer
from eval.datasets import load_dataset
from models.embeddings import LocalEmbeddings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["multihop", "realtimeqa"])
    parser.add_argument(
        "path", type=Path, help="the dataset's folder (for example ../shared/data/multihop-rag-500)"
    )
    parser.add_argument("cache", type=Path, help="an answer cache (JSON lines) of a run on that dataset")
    parser.add_argument("--show", choices=["none", "changed", "gained", "lost"], default="none")
    parser.add_argument(
        "--checker", choices=["off", "on"], default="off", help="on: the trained claim checker decides"
    )
    args = parser.parse_args()

    dataset = load_dataset(args.dataset, args.path)
    questions = {q.id: q for q in dataset.questions}
    records = [
        json.loads(line) for line in args.cache.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    settings = Settings(claim_checker=args.checker)
    embeddings = LocalEmbeddings(models_dir=settings.models_dir)
    reader = build_reader(settings)
    tally: dict[str, list[int]] = {
        "correct": [0, 0],
        "null declined": [0, 0],
        "declined, answer given": [0, 0],
    }
    nulls = found = 0
    for entry in records:
        q = questions[entry["id"]]
        before = score_answer(dataset, q, entry["record"])
        after_record = reverified(entry["record"], embeddings, q.as_of, reader)
        after = score_answer(dataset, q, after_record)
        for i, row in enumerate((before, after)):
            tally["correct"][i] += row.correct
            if not q.answerable:
                tally["null declined"][i] += row.declined
            elif row.answer_in_passages:
                tally["declined, answer given"][i] += row.declined
        nulls += not q.answerable
        found += q.answerable and before.answer_in_passages
        changed = before.correct != after.correct
        wanted = {"changed": changed, "gained": changed and after.correct, "lost": changed and before.correct}
        if wanted.get(args.show):
            mark = "+" if after.correct else "-"
            print(f"{mark} [{entry['id']}] {q.qtype} gold={q.gold!r}: {q.question[:150]}")
            print(f"    draft: {after_record['answer']['draft'][:400]!r}")
            print(f"    now:   {after_record['answer']['answer'][:300]!r}")
    n = len(records)
    print(f"{n} cached answers from {args.cache}")
    for name, (was, now) in tally.items():
        total = {"correct": n, "null declined": nulls, "declined, answer given": found}[name]
        print(
            f"  {name:24s} cached {was:4d}/{total} ({was / max(total, 1):.3f})  now {now:4d}/{total} "
            f"({now / max(total, 1):.3f})"
        )


if __name__ == "__main__":
    main()
