"""The verifier (and, with ``--judge``, the LLM judge) against the hand labels of ``eval/verifier_labels.jsonl``:
false accepts (a claim the passages do not state, shown as supported) and false refusals (one they state,
refused), on the tuning and the held-out pairs apart.

    python -m bench.verifier_labels --out bench/results/verifier-labels            # the verifier
    python -m bench.verifier_labels --judge --out bench/results/verifier-labels    # and the judge beside it
    python -m bench.verifier_labels --checker --out bench/results/verifier-labels  # words, and words + model

A claim pair is accepted when the verifier supports its sentence (after moving its citation, as the product
does); a verdict pair when its "Yes."/"No." is shown as supported. The passages are the ones the draft was
written from, read from the committed answer cache the label names.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.verifiers.citations import verify_answer
from assistant.verifiers.claims import SUPPORT_PROBABILITY, ClaimReader
from core.cpu import describe_cpu
from core.settings import settings_from_env
from eval.hand_labels import KINDS, LABELS, LabelledClaim, load_labelled_claims
from models.embeddings import LocalEmbeddings


def verifier_accepts(pair: LabelledClaim, embeddings: Embeddings, reader: ClaimReader | None = None) -> bool:
    """Whether the verifier (with the trained claim checker, given ``reader``) shows the pair's claim (or
    verdict) as supported."""
    marks = "".join(f"[{n}]" for n in pair.cites)
    text = pair.claim if pair.kind == "verdict" else f"{pair.claim.rstrip('.')} {marks}."
    verified = verify_answer(text, list(pair.passages), pair.question, embeddings, reader=reader)
    return bool(verified.sentences) and verified.sentences[0].supported


def rates(accepted: Iterable[bool], labels: Iterable[bool]) -> dict[str, Any]:
    """False accepts (of the pairs labelled not entailed) and false refusals (of those labelled entailed)."""
    pairs = list(zip(accepted, labels, strict=True))
    negatives = [a for a, label in pairs if not label]
    positives = [a for a, label in pairs if label]
    fa, fr = sum(negatives), sum(not a for a in positives)
    return {
        "pairs": len(pairs),
        "false_accepts": fa,
        "not_entailed": len(negatives),
        "false_accept_rate": round(fa / len(negatives), 3) if negatives else None,
        "false_refusals": fr,
        "entailed": len(positives),
        "false_refusal_rate": round(fr / len(positives), 3) if positives else None,
    }


def table(verdicts: dict[str, list[bool]], pairs: list[LabelledClaim]) -> list[dict[str, Any]]:
    rows = []
    for who, accepted in verdicts.items():
        for split in ("tune", "held-out"):
            for kind in ("all", *KINDS):
                chosen = [
                    (a, p.entailed)
                    for a, p in zip(accepted, pairs, strict=True)
                    if p.set == split and kind in ("all", p.kind)
                ]
                if chosen:
                    rows.append({"who": who, "set": split, "kind": kind, **rates(*zip(*chosen, strict=True))})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--judge", action="store_true", help="also ask the LLM judge (minutes per pair set)")
    parser.add_argument(
        "--checker", action="store_true", help="also the verifier with the trained claim checker"
    )
    parser.add_argument("--support", type=float, default=SUPPORT_PROBABILITY, help="the checker's threshold")
    parser.add_argument(
        "--sweep", action="store_true", help="with --checker: error rates at other thresholds"
    )
    parser.add_argument("--sets", nargs="+", default=["tune", "held-out"])
    parser.add_argument("--out", type=Path, help="write results.json (and the per-pair verdicts) here")
    parser.add_argument("--show", choices=["wrong", "all"], help="print the pairs the verifier gets wrong")
    args = parser.parse_args(argv)
    pairs = [p for p in load_labelled_claims(args.labels) if p.set in args.sets]
    settings = settings_from_env()
    embeddings = LocalEmbeddings("minilm", models_dir=settings.models_dir)
    verdicts: dict[str, list[bool]] = {"verifier": [verifier_accepts(p, embeddings) for p in pairs]}
    if args.checker:
        from models.claim_checker import shared_claim_model

        reader = ClaimReader(shared_claim_model(), support=args.support)
        verdicts["verifier+checker"] = [verifier_accepts(p, embeddings, reader) for p in pairs]
        if args.sweep:  # how the threshold trades the two errors (choose it on the tuning pairs only)
            for support in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
                reader.support = support
                swept = [verifier_accepts(p, embeddings, reader) for p in pairs]
                r = rates(swept, [p.entailed for p in pairs])
                print(
                    f"support >= {support}: false accepts {r['false_accept_rate']}, false refusals {r['false_refusal_rate']}"
                )
            reader.support = args.support
    if args.judge:
        verdicts["judge"] = _judge(pairs, settings)
    rows = table(verdicts, pairs)
    print(
        "| who | set | kind | pairs | false accepts | false accept rate | false refusals | false refusal rate |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['who']} | {r['set']} | {r['kind']} | {r['pairs']} | {r['false_accepts']}/{r['not_entailed']} "
            f"| {r['false_accept_rate']} | {r['false_refusals']}/{r['entailed']} | {r['false_refusal_rate']} |"
        )
    if args.show:
        for p, accepted in zip(pairs, verdicts["verifier"], strict=True):
            if args.show == "all" or accepted != p.entailed:
                print(
                    f"\n{p.pair} {p.set} {p.kind} label={p.entailed} verifier={accepted}\n  Q {p.question}\n  C {p.claim}"
                )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        result = {
            "cpu": describe_cpu(),
            "rows": rows,
            "pairs": {
                p.pair: {who: v[i] for who, v in verdicts.items()} | {"label": p.entailed}
                for i, p in enumerate(pairs)
            },
        }
        (args.out / "results.json").write_text(json.dumps(result, indent=1))
    return 0


def _judge(pairs: list[LabelledClaim], settings: Any) -> list[bool]:
    from eval.judge import open_judge, passage_for_judge

    with open_judge(settings) as judge:
        entails: Callable[[list[str], str], bool] = judge.entails
        return [
            entails([passage_for_judge(x) for x in p.passages], p.claim)
            for p in tqdm(pairs, desc="Judging", file=sys.stderr, mininterval=2)
        ]


if __name__ == "__main__":
    raise SystemExit(main())
