"""The claim check over the archive (``assistant check``), measured: per-label precision and recall on claims
written before the tool was tuned, and the latency of checking a 10-sentence paragraph over the RealTime QA
index (about 35,000 chunks).

    python -m bench.archive_check build ../shared/data            # writes bench/results/archive-check/claims.jsonl
    python -m bench.archive_check run ../shared/data --data-dir data/eval --out bench/results/archive-check

The claims (``build``, seeded, committed before any tuning):
- ``rtqa-kept`` / ``rtqa-edit``: a sentence of a RealTime QA article as it stands (gold *supported*), and the same
  sentence with a figure, a date or the verb changed (gold *contradicted*) or a name swapped for another
  article's (gold *not supported*: contradicted or not found both right), made by ``training.claim_pairs``'
  editors.
- ``off-topic``: sentences of 2017 PolitiFact news (FakeNewsNet), which the 2023 archive does not hold (gold
  *not found*; *contradicted* there is the error the tool must never make).
- ``hand``: the held-out hand-labelled claims drawn from RealTime QA drafts (entailed: *supported*; not:
  *not supported*). They were labelled against the passages the draft cited, so a claim labelled not entailed
  may still be stated elsewhere in the archive: their precision is a floor.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tqdm import tqdm

from core.article import Article
from core.cpu import describe_cpu
from core.sentences import split_sentences
from eval.hand_labels import HELD_OUT
from eval.hand_labels import LABELS as HAND_LABELS

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "bench" / "results" / "archive-check" / "claims.jsonl"
COLLECTION = "realtimeqa-minilm-c800-o1"  # the RealTime QA evaluation index (``assistant eval realtimeqa``)
LABELS = ("supported", "contradicted", "not_found")
RIGHT = {  # gold -> the labels that are right for it
    "supported": {"supported"},
    "contradicted": {"contradicted"},
    "not_supported": {"contradicted", "not_found"},
    "not_found": {"not_found"},
}
PARAGRAPH = 10  # sentences per timed paragraph


def build(
    data: Path, out: Path, seed: int = 11, articles: int = 80, off_topic: int = 40
) -> list[dict[str, Any]]:
    from eval.datasets import load_dataset
    from training.claim_pairs import _changed_date, _changed_number, _negated, _swapped_name

    rng = random.Random(seed)
    corpus = [
        a for a in load_dataset("realtimeqa", data / "realtimeqa-2023q1").corpus() if isinstance(a, Article)
    ]
    picked = rng.sample(corpus, articles)
    names = [n for a in rng.sample(corpus, 200) for n in _names(a.text)]
    rows: list[dict[str, Any]] = []
    for article in picked:
        sentences = _sentences(article.text)
        if len(sentences) < 3:
            continue
        claim = rng.choice(sentences[1:])
        rows.append(_row(f"k{len(rows):03d}", "rtqa-kept", "kept", claim, "supported", article))
        edits = [
            ("figure", _changed_number(claim, rng), "contradicted"),
            ("date", _changed_date(claim, rng), "contradicted"),
            ("negation", _negated(claim), "contradicted"),
            ("name", _swapped_name(claim, names, rng), "not_supported"),
        ]
        made = [e for e in edits if e[1]]
        if made:
            kind, changed, gold = rng.choice(made)
            rows.append(_row(f"e{len(rows):03d}", "rtqa-edit", kind, str(changed), gold, article))
    politifact = sorted(
        (data / "scraped-news" / "fakenewsnet-2017" / "PolitiFact" / "RealNewsContent").glob("*.json")
    )
    for path in rng.sample(politifact, min(off_topic, len(politifact))):
        sentences = _sentences(json.loads(path.read_text(encoding="utf-8")).get("text", ""))
        if sentences:
            rows.append(
                {
                    "id": f"o{len(rows):03d}",
                    "set": "off-topic",
                    "kind": "2017",
                    "claim": rng.choice(sentences),
                    "gold": "not_found",
                    "source": path.name,
                }
            )
    for label in map(json.loads, HAND_LABELS.read_text(encoding="utf-8").splitlines()):
        if label["set"] == HELD_OUT and label["dataset"] == "realtimeqa" and label["kind"] != "verdict":
            rows.append(
                {
                    "id": f"h-{label['pair']}",
                    "set": "hand",
                    "kind": label["kind"],
                    "claim": label["claim"],
                    "gold": "supported" if label["entailed"] else "not_supported",
                }
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} claims: {dict(Counter(r['set'] for r in rows))} -> {out}", file=sys.stderr)
    return rows


def _names(text: str) -> list[str]:
    from training.claim_pairs import _NAME

    return [m.group() for m in _NAME.finditer(text[:2000])]


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [flat[s.start : s.end] for s in split_sentences(flat) if 50 <= s.end - s.start <= 250]


def _row(rid: str, set_: str, kind: str, claim: str, gold: str, a: Article) -> dict[str, Any]:
    return {
        "id": rid,
        "set": set_,
        "kind": kind,
        "claim": claim,
        "gold": gold,
        "article_id": a.id,
        "published": a.published,
    }


def run(claims_path: Path, data_dir: Path, out: Path, collection: str = COLLECTION) -> dict[str, Any]:
    from assistant.factory import build_assistant
    from core.settings import Settings
    from ingest.collection import list_collections

    settings = Settings(data_dir=data_dir, collection=collection, llm="extractive")
    if collection not in list_collections(settings):
        raise SystemExit(
            f"No collection {collection!r} in {data_dir}: build it with `assistant eval realtimeqa "
            f"../shared/data/realtimeqa-2023q1 --no-answers --config hybrid --limit 2 --data-dir {data_dir}`."
        )
    assistant = build_assistant(settings)
    checker = assistant.checker
    rows = [json.loads(line) for line in claims_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    checker.check([rows[0]["claim"]])  # load the model before timing
    predicted: list[str] = []
    seconds: list[float] = []
    for start in tqdm(range(0, len(rows), PARAGRAPH), desc="Checking paragraphs", file=sys.stderr):
        paragraph = rows[start : start + PARAGRAPH]
        began = time.perf_counter()
        checks = checker.check([r["claim"] for r in paragraph])
        if len(paragraph) == PARAGRAPH:
            seconds.append(time.perf_counter() - began)
        predicted += [c.label for c in checks]
    for r, label in zip(rows, predicted, strict=True):
        r["predicted"] = label
    result = {
        "cpu": describe_cpu(),
        "collection": collection,
        "chunks": assistant.articles.counts()[1],
        "claims": len(rows),
        "by_label": _per_label(rows),
        "by_set": {
            s: {
                "n": len(group),
                "right": round(sum(r["predicted"] in RIGHT[r["gold"]] for r in group) / len(group), 3),
                "predicted": dict(Counter(r["predicted"] for r in group)),
            }
            for s in dict.fromkeys(r["set"] for r in rows)
            for group in [[r for r in rows if r["set"] == s]]
        },
        "by_kind": {
            k: dict(Counter(r["predicted"] for r in rows if r["set"] != "hand" and r["kind"] == k))
            for k in dict.fromkeys(r["kind"] for r in rows if r["set"] != "hand")
        },
        "off_topic_contradicted": sum(
            r["set"] == "off-topic" and r["predicted"] == "contradicted" for r in rows
        ),
        "paragraph_seconds": {
            "n": len(seconds),
            "p50": round(statistics.median(seconds), 2),
            "p95": round(sorted(seconds)[max(0, round(0.95 * len(seconds)) - 1)], 2),
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1))
    (out / "predictions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    (out / "report.md").write_text(_report(result), encoding="utf-8")
    print(_report(result))
    return result


def _per_label(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Precision (of the claims given the label, the share for which it is right) and recall (of the claims
    whose gold is the label, the share given it); a name swap (gold not supported) is right as either."""
    out = {}
    for label in LABELS:
        given = [r for r in rows if r["predicted"] == label]
        gold = [r for r in rows if r["gold"] == label]
        out[label] = {
            "given": len(given),
            "precision": round(sum(label in RIGHT[r["gold"]] for r in given) / len(given), 3)
            if given
            else None,
            "gold": len(gold),
            "recall": round(sum(r["predicted"] == label for r in gold) / len(gold), 3) if gold else None,
        }
    return out


def _report(r: dict[str, Any]) -> str:
    lines = [
        "# Claims checked against the archive",
        "",
        f"CPU: {r['cpu']}, 2 cores. Collection `{r['collection']}` ({r['chunks']:,} chunks). Command: "
        "`python -m bench.archive_check run ../shared/data --data-dir data/eval --out bench/results/archive-check`.",
        "",
        "| label | given | precision | gold | recall |",
        "|---|---|---|---|---|",
    ]
    for label, v in r["by_label"].items():
        lines.append(f"| {label} | {v['given']} | {v['precision']} | {v['gold']} | {v['recall']} |")
    lines += ["", "| set | claims | right | labels given |", "|---|---|---|---|"]
    for name, v in r["by_set"].items():
        lines.append(f"| {name} | {v['n']} | {v['right']} | {v['predicted']} |")
    lines += ["", "| edit | labels given |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in r["by_kind"].items()]
    p = r["paragraph_seconds"]
    lines += [
        "",
        f"Off-topic claims given *contradicted*: {r['off_topic_contradicted']}.",
        "",
        f"A {PARAGRAPH}-sentence paragraph checked in {p['p50']} s p50, {p['p95']} s p95 ({p['n']} paragraphs).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["build", "run"])
    parser.add_argument("data", type=Path, help="../shared/data")
    parser.add_argument("--claims", type=Path, default=CLAIMS)
    parser.add_argument("--data-dir", type=Path, default=Path("data/eval"))
    parser.add_argument("--collection", default=COLLECTION)
    parser.add_argument("--out", type=Path, default=CLAIMS.parent)
    args = parser.parse_args(argv)
    if args.step == "build":
        build(args.data, args.claims)
    else:
        run(args.claims, args.data_dir, args.out, args.collection)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
