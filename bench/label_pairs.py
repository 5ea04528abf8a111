"""Draw (question, claim, passages) pairs from the committed full runs' drafts for hand labelling: the pairs on
which the verifier's false accepts and false refusals are measured (``bench.verifier_labels``).

    python -m bench.label_pairs ../shared/data --out bench/results/verifier-labels/candidates.jsonl
    python -m bench.label_pairs ../shared/data --round 2 --out bench/results/verifier-labels/candidates-2.jsonl

Three kinds, each from real drafts of the committed answer caches (MultiHop-RAG with retrieval and from gold
evidence, RealTime QA): ``wrong_entity`` (a who/which/what answer that does not hold the gold answer: often the
question restated around another name), ``right_entity`` (one that holds it, often in other words than the
passages) and ``verdict`` (a yes/no draft, its verdict right or wrong against the gold answer). Pairs are
split by question into a ``tune`` set (what the verifier may be tuned on) and a ``held-out`` set (only
measured on), so no question lends a pair to both. The gold answer is kept for analysis, not shown to the
labeller, whose question is only: do the passages state what the claim answers?

Round 2 (for the claim checker, issue 29) draws more held-out pairs from questions no earlier pair came from
(and never from a tuning question), over five kinds: ``wrong_entity`` and ``right_entity`` as above,
``verdict``, ``multi_passage`` (a sentence citing two or more passages) and ``stale_figure`` (a RealTime QA
sentence giving a figure, whose passages were published more than a week apart). They are labelled before any
checker has seen them.

The candidates file carries each pair's passages for the labeller. The labels (``eval/verifier_labels.jsonl``:
pair, set, kind, dataset, qid, question, claim, cites, entailed, note, gold) name the committed cache their
draft and passages come from instead of copying them (``cache``).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from assistant.verifiers.citations import is_verdict, split_cited_sentences
from eval.metrics import contains_answer

CACHES = {
    "multihop": "bench/results/answers/multihop/default-local-default-18c190abf05f.jsonl",
    "multihop-gold": "bench/results/answers/multihop/gold-evidence-local-default-becdd0ccc769.jsonl",
    "realtimeqa": "bench/results/answers/realtimeqa/default-local-default-1ed27799eb2f.jsonl",
}
QUOTAS = {  # (kind, set) -> pairs
    ("wrong_entity", "tune"): 20,
    ("right_entity", "tune"): 20,
    ("verdict", "tune"): 20,
    ("wrong_entity", "held-out"): 40,
    ("right_entity", "held-out"): 40,
    ("verdict", "held-out"): 40,
}


def _records(path: str) -> dict[str, dict[str, Any]]:
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        out[entry["id"]] = entry["record"]
    return out


def _golds(data: Path) -> dict[tuple[str, str], str]:
    golds: dict[tuple[str, str], str] = {}
    truth = json.loads((data / "multihop-rag-500" / "ground_truth.json").read_text(encoding="utf-8"))
    for qid, entry in truth.items():
        golds[("multihop", qid)] = golds[("multihop-gold", qid)] = str(entry.get("answer", ""))
    for path in sorted((data / "realtimeqa-2023q1" / "qa").glob("*_qa.jsonl")):
        week = path.name.split("_")[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            golds[("realtimeqa", f"{week}/{q['question_id']}")] = q["choices"][int(q["answer"][0])]
    return golds


def candidates(data: Path) -> list[dict[str, Any]]:
    golds = _golds(data)
    pairs = []
    for dataset, path in CACHES.items():
        for qid, record in _records(path).items():
            a = record["answer"]
            gold = golds.get((dataset, qid), "")
            draft = a.get("draft") or ""
            if not gold or gold.startswith("Insufficient") or not draft.strip():
                continue
            sentences = split_cited_sentences(draft)
            if not sentences:
                continue
            passages = [{k: p[k] for k in ("title", "source", "published", "text")} for p in a["passages"]]
            base = {
                "dataset": dataset,
                "qid": qid,
                "question": a["question"],
                "gold": gold,
                "passages": passages,
            }
            if gold.lower() in ("yes", "no"):
                if not is_verdict(sentences[0][0]):
                    continue
                right = sentences[0][0].lower().startswith(gold.lower())
                pairs.append({**base, "kind": "verdict", "claim": draft, "cites": [], "verdict_right": right})
                continue
            claims = [(t, c) for t, c in sentences if not is_verdict(t)]
            if not claims:
                continue
            text, cites = claims[0]
            kind = "right_entity" if contains_answer(text, gold) else "wrong_entity"
            pairs.append({**base, "kind": kind, "claim": text, "cites": cites})
    return pairs


def draw(pairs: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Pairs for each quota, questions split between the sets, verdicts half right and half wrong."""
    rng = random.Random(seed)
    rng.shuffle(pairs)
    # MultiHop-RAG's two runs ask the same questions: a question is in one set for both.
    questions = sorted({_question(p) for p in pairs})
    rng.shuffle(questions)
    tune_questions = set(questions[: len(questions) // 3])
    chosen: list[dict[str, Any]] = []
    for (kind, split), quota in QUOTAS.items():
        pool = [
            p for p in pairs if p["kind"] == kind and ((_question(p) in tune_questions) == (split == "tune"))
        ]
        if kind == "verdict":  # as many wrong verdicts as right ones
            wrong = [p for p in pool if not p["verdict_right"]][: quota // 2]
            right = [p for p in pool if p["verdict_right"]][: quota - len(wrong)]
            picked = wrong + right
        else:  # each dataset in turn, so none dominates
            by_dataset: dict[str, list[dict[str, Any]]] = {}
            for p in pool:
                by_dataset.setdefault(p["dataset"], []).append(p)
            picked = []
            while len(picked) < quota and any(by_dataset.values()):
                for items in by_dataset.values():
                    if items and len(picked) < quota:
                        picked.append(items.pop())
        chosen += [{**p, "set": split} for p in picked]
    for number, p in enumerate(chosen, start=1):
        p["pair"] = f"p{number:03d}"
    return chosen


ROUND_2 = {"wrong_entity": 40, "right_entity": 35, "verdict": 30, "multi_passage": 40, "stale_figure": 35}


def more_candidates(data: Path) -> list[dict[str, Any]]:
    """Round 2's pool: the first-round kinds, plus every later cited sentence as multi_passage or
    stale_figure where it is one."""
    pairs = candidates(data)
    for dataset, path in CACHES.items():
        for qid, record in _records(path).items():
            a = record["answer"]
            draft = a.get("draft") or ""
            claims = [(t, c) for t, c in split_cited_sentences(draft) if not is_verdict(t) and c]
            passages = [{k: p[k] for k in ("title", "source", "published", "text")} for p in a["passages"]]
            days = sorted(p["published"][:10] for p in passages if p["published"])
            spread = len(days) > 1 and _days_between(days[0], days[-1]) > 7
            base = {
                "dataset": dataset,
                "qid": qid,
                "question": a["question"],
                "gold": "",
                "passages": passages,
            }
            for text, cites in claims:
                if len(set(cites)) >= 2:
                    pairs.append({**base, "kind": "multi_passage", "claim": text, "cites": cites})
                elif dataset == "realtimeqa" and spread and any(ch.isdigit() for ch in text):
                    pairs.append({**base, "kind": "stale_figure", "claim": text, "cites": cites})
    return pairs


def draw_more(pairs: list[dict[str, Any]], labelled: Path, seed: int) -> list[dict[str, Any]]:
    """Round 2: held-out pairs from questions that lent no pair yet (tuning questions never), one a question."""
    rows = [json.loads(line) for line in labelled.read_text(encoding="utf-8").splitlines()]
    taken = {_question(r) for r in rows}
    numbers = [int(r["pair"][1:]) for r in rows]
    rng = random.Random(seed)
    rng.shuffle(pairs)
    chosen: list[dict[str, Any]] = []
    for kind, quota in ROUND_2.items():
        pool = [p for p in pairs if p["kind"] == kind and _question(p) not in taken]
        if kind == "verdict":
            wrong = [p for p in pool if not p["verdict_right"]]
            right = [p for p in pool if p["verdict_right"]]
            pool = [p for pair in zip(wrong, right, strict=False) for p in pair]
        for p in pool:
            if len([c for c in chosen if c["kind"] == kind]) >= quota:
                break
            if _question(p) not in taken:
                taken.add(_question(p))
                chosen.append({**p, "set": "held-out"})
    for number, p in enumerate(chosen, start=max(numbers) + 1):
        p["pair"] = f"p{number:03d}"
    return chosen


def _days_between(first: str, last: str) -> int:
    from datetime import date

    try:
        return (date.fromisoformat(last) - date.fromisoformat(first)).days
    except ValueError:
        return 0


def _question(pair: dict[str, Any]) -> tuple[str, str]:
    return pair["dataset"].split("-")[0], pair["qid"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="../shared/data")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--round", type=int, choices=[1, 2], default=1)
    parser.add_argument("--labelled", type=Path, default=Path("eval/verifier_labels.jsonl"))
    args = parser.parse_args(argv)
    if args.round == 2:
        chosen = draw_more(more_candidates(args.data), args.labelled, args.seed)
    else:
        chosen = draw(candidates(args.data), args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for p in chosen:
            f.write(json.dumps(p) + "\n")
    print(f"{len(chosen)} pairs -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
