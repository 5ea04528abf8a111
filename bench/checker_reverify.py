"""The full runs' committed drafts verified twice, by the words alone and with the trained claim checker: accuracy,
right when answered and answers shown on each run, beside its ceiling (the share of drafts that hold the right
answer before any verification). No draft is written again: the local 1.5B model's drafts and passages come
from the answer caches.

    python -m bench.checker_reverify ../shared/data --out bench/results/claim-checker-reverify

Writes results.json, report.md, and ``audit.jsonl``: 100 sentences shown with the checker (seeded), with their
question and cited passages and no verdict, for a blind hand audit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.checking import ClaimChecker
from assistant.verifiers.claims import ClaimReader
from core.answer import Answer
from core.cpu import describe_cpu
from core.settings import Settings
from eval import metrics
from eval.answer_cache import reverified
from eval.answer_scores import score_answer, summarize_answers
from eval.checker_judge import CheckerJudge, checker_agreement
from eval.citation_scores import cached_answer
from eval.datasets import load_dataset
from eval.hand_labels import load_labelled_claims
from eval.results import QuestionRow
from models.claim_checker import shared_claim_model
from models.embeddings import LocalEmbeddings

ROOT = Path(__file__).resolve().parents[1]
RUNS = {  # name -> (dataset, folder, cache): every question its cache holds (the gold run asked 200, seed 0)
    "multihop-500": ("multihop", "multihop-rag-500", "multihop/default-local-default-{key}.jsonl"),
    "realtimeqa-390": ("realtimeqa", "realtimeqa-2023q1", "realtimeqa/default-local-default-{key}.jsonl"),
    "multihop-gold-200": ("multihop", "multihop-rag-500", "multihop/gold-evidence-local-default-{key}.jsonl"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="../shared/data")
    parser.add_argument("--caches", nargs=3, required=True, help="the three runs' cache keys, in RUNS' order")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--audit", type=int, default=100)
    args = parser.parse_args(argv)
    settings = Settings()
    embeddings = LocalEmbeddings("minilm", models_dir=settings.models_dir)
    reader = ClaimReader(shared_claim_model())
    judge = CheckerJudge(ClaimChecker(reader))
    agreement = checker_agreement(judge.checker, load_labelled_claims())
    results: dict[str, Any] = {
        "cpu": describe_cpu(),
        "checker_agreement": dataclasses.asdict(agreement),
        "runs": {},
    }
    shown_sentences: list[dict[str, Any]] = []
    for (name, (dataset_name, folder, cache)), key in zip(RUNS.items(), args.caches, strict=True):
        dataset = load_dataset(dataset_name, args.data / folder)
        path = ROOT / "bench" / "results" / "answers" / cache.format(key=key)
        records = {
            e["id"]: e["record"] for e in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if e
        }
        questions = [q for q in dataset.questions if q.id in records]
        run: dict[str, Any] = {"cache": str(path.relative_to(ROOT)), "questions": len(questions)}
        answerable = [q for q in questions if q.answerable]
        run["ceiling"] = round(
            sum(metrics.contains_answer(records[q.id]["answer"].get("draft", ""), q.gold) for q in answerable)
            / max(1, len(answerable)),
            4,
        )
        for who, chosen in (("words", None), ("checker", reader)):
            rows = [QuestionRow(q.id, q.question, q.gold, q.qtype) for q in questions]
            started = time.perf_counter()
            verified: list[dict[str, Any]] = []
            for q, row in tqdm(
                list(zip(questions, rows, strict=True)), desc=f"{name} {who}", file=sys.stderr
            ):
                record = reverified(records[q.id], embeddings, q.as_of, chosen)
                row.answer = score_answer(dataset, q, record, embeddings)
                verified.append(record)
                if who == "checker" and not record["answer"]["declined"]:
                    shown_sentences.extend(_shown(name, q.id, record["answer"]))
            seconds = time.perf_counter() - started
            judgments = [
                j
                for record in tqdm(verified, desc=f"{name} {who}: citations", file=sys.stderr, mininterval=2)
                for answer in [cached_answer(record)]
                if answer is not None
                for j in judge.judge_answer(_cited_only(answer))
            ]
            scores = summarize_answers(dataset, questions, rows, "local:default")
            shown = sum(not r.answer.declined for r in rows if r.answer is not None)
            run[who] = {
                "accuracy": scores.accuracy,
                "right_when_answered": scores.right_when_answered,
                "shown": shown,
                "wrong_shown": sum(
                    1
                    for r, q in zip(rows, questions, strict=True)
                    if r.answer and not r.answer.declined and not r.answer.correct and q.answerable
                ),
                "declined_unanswerable": scores.declined_unanswerable,
                "choice_accuracy": scores.choice_accuracy,
                "citation_recall": round(metrics.citation_recall(judgments), 4),
                "citation_precision": round(metrics.citation_precision(judgments), 4),
                "judged_sentences": len(judgments),
                "verify_ms_per_answer": round(1000 * seconds / max(1, len(questions)), 1),
            }
        results["runs"][name] = run
        print(name, json.dumps(run), file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    audit = random.Random(7).sample(shown_sentences, min(args.audit, len(shown_sentences)))
    with (args.out / "audit.jsonl").open("w", encoding="utf-8") as f:
        for number, item in enumerate(audit, 1):
            f.write(json.dumps({"item": f"a{number:03d}", **item}, ensure_ascii=False) + "\n")
    (args.out / "report.md").write_text(_report(results), encoding="utf-8")
    print(_report(results))
    return 0


def _cited_only(answer: Answer) -> Answer:
    """The answer with only the sentences shown as supported (those the product presents with citations)."""
    return dataclasses.replace(answer, sentences=[s for s in answer.sentences if s.supported])


def _shown(run: str, qid: str, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The supported sentences of a shown answer, each with its question and cited passages."""
    passages = answer["passages"]
    out = []
    for s in answer["sentences"]:
        if not s["supported"] or not s["cites"]:
            continue
        cited = [
            {"n": n, **{k: passages[n - 1][k] for k in ("title", "source", "published", "text")}}
            for n in s["cites"]
            if 1 <= n <= len(passages)
        ]
        out.append(
            {
                "run": run,
                "qid": qid,
                "question": answer["question"],
                "sentence": s["text"],
                "cites": s["cites"],
                "passages": cited,
            }
        )
    return out


def _report(results: dict[str, Any]) -> str:
    lines = [
        "# The full runs' drafts verified by the words alone and with the claim checker",
        "",
        f"CPU: {results['cpu']}. Command: `python -m bench.checker_reverify ../shared/data --caches ...`.",
        "",
        "Citation recall and precision (ALCE) by the claim checker, of the sentences shown as supported. The "
        "checker reads each sentence alone against the passages it cites, one passage at a time: a bare answer "
        '("Sam Bankman-Fried (reported 7 October 2023).") states nothing it can find, and a multi-hop claim '
        "needs two passages at once, so recall here is a floor.",
        "",
        "| run | ceiling | verifier | accuracy | right when answered | shown (wrong) | null declined | citation recall | citation precision | verify ms/answer |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in results["runs"].items():
        for who in ("words", "checker"):
            r = run[who]
            null = "" if r["declined_unanswerable"] is None else f"{r['declined_unanswerable']:.3f}"
            lines.append(
                f"| {name} | {run['ceiling']:.3f} | {who} | {r['accuracy']:.3f} | {r['right_when_answered']:.3f} | "
                f"{r['shown']} ({r['wrong_shown']}) | {null} | {r['citation_recall']:.3f} | "
                f"{r['citation_precision']:.3f} | {r['verify_ms_per_answer']} |"
            )
    a = results["checker_agreement"]
    held = a["held_out"]
    lines += [
        "",
        f"The checker alone against the verifier's hand labels (the claim against the passages it cites): "
        f"agreement {a['agreement']:.3f} on {a['n']} pairs, kappa {a['kappa']:.3f}; on the {held['n']} held-out "
        f"pairs {held['agreement']:.3f}, kappa {held['kappa']:.3f}: false accepts {held['fp']} of "
        f"{held['fp'] + held['tn']}, false refusals {held['fn']} of {held['fn'] + held['tp']}.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
