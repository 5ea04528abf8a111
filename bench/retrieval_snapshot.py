"""What retrieval returns for every question of a benchmark, written down so that a change to the retrieval or
storage code can be shown not to change it: the top 20 of eval's search (ids and order) and the candidates
the chain reads from (its search plus the searches in each source a question names).

    python -m bench.retrieval_snapshot realtimeqa ../shared/data/realtimeqa-2023q1 --out before-rtqa.jsonl
    python -m bench.retrieval_snapshot realtimeqa ../shared/data/realtimeqa-2023q1 --compare before-rtqa.jsonl

It reads the evaluation index (``assistant eval ... --no-answers`` builds it) with the ``default`` preset's
settings, the ones the committed answer caches were made with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

TOP = 20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", choices=("realtimeqa", "multihop"))
    parser.add_argument("path", type=Path, help="the dataset's folder under ../shared/data")
    parser.add_argument("--data-dir", type=Path, default=Path("data/eval"), help="where the eval index lives")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", type=Path, help="write the snapshot (JSON lines) here")
    what.add_argument("--compare", type=Path, help="compare with this snapshot; exit 1 on any difference")
    args = parser.parse_args()

    rows = snapshot(args.dataset, args.path, args.data_dir)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} questions written to {args.out}", file=sys.stderr)
        return
    before = [json.loads(line) for line in args.compare.read_text(encoding="utf-8").splitlines()]
    differ = [r["id"] for r, b in zip(rows, before, strict=False) if r != b]
    if len(rows) != len(before):
        differ.append(f"{len(before)} questions before, {len(rows)} now")
    print(
        f"{len(rows)} questions: {len(rows) - len(differ)} identical (top {TOP} ids and order, and the chain's "
        f"candidates), {len(differ)} differ{': ' + ', '.join(map(str, differ[:20])) if differ else ''}"
    )
    sys.exit(1 if differ else 0)


def snapshot(name: str, path: Path, data_dir: Path) -> list[dict[str, Any]]:
    from assistant.factory import build_assistant, build_retriever
    from core.filters import SearchFilter
    from core.settings import settings_from_env
    from eval.datasets import load_dataset
    from eval.presets import PRESETS, question_filter
    from eval.run import collection_name
    from ingest.collection import open_index

    dataset = load_dataset(name, path)
    preset = PRESETS["default"]
    settings = settings_from_env(llm="extractive", data_dir=data_dir).with_overrides(**preset.overrides)
    settings = settings.with_overrides(collection=collection_name(dataset.name, settings))
    index = open_index(settings)
    if not index.chunks.count():
        raise SystemExit(
            f"No evaluation index {settings.collection!r} in {data_dir}: build it with "
            f"`assistant eval {name} {path} --config default --no-answers`."
        )
    retriever = build_retriever(settings, index, min_relevance=0.0, k=TOP)
    assistant = build_assistant(settings, index)
    rows = []
    for q in tqdm(dataset.questions, desc=f"{name} retrieval", unit="q"):
        found = retriever.search(q.question, k=TOP, filter=question_filter(q, preset))
        search_filter = question_filter(q, preset) or SearchFilter()
        candidates, groups = assistant.retrieve(q.question, search_filter)
        rows.append(
            {
                "id": q.id,
                "top": [p.chunk_id for p in found],
                "candidates": [p.chunk_id for p in candidates],
                "groups": [sorted(g) for g in groups],
            }
        )
    return rows


if __name__ == "__main__":
    main()
