"""Timelines scored against labels written before the tool was tuned (``eval/timeline_labels``, protocol in its
PROTOCOL.md): event recall, date accuracy and unmerged duplicates, per split, and each timeline's latency.

    python -m bench.timeline_eval --data-dir data/eval --out bench/results/timeline
    python -m bench.timeline_eval --data-dir data/eval --llm local --topics t02 t08 t12 --out bench/results/timeline-local

The RealTime QA topics run over the RealTime QA evaluation index, the MultiHop-RAG stories over the
MultiHop-RAG one (``assistant eval <dataset> ... --no-answers`` builds them). ``audit.jsonl`` holds a seeded
sample of the timelines' sentences with their cited reports and no verdict, for a blind hand audit.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from core.cpu import describe_cpu
from core.settings import Settings
from core.timeline import Timeline
from core.words import match_words

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "eval" / "timeline_labels"
SETS = {  # labels file -> the collection its topics run over
    "realtimeqa-topics.jsonl": "realtimeqa-minilm-c800-o1",
    "multihop-stories.jsonl": "multihop-minilm-c800-o1",
}
SHARE = (
    1 / 3
)  # of a labelled fact's words (the topic's aside) a timeline sentence must share to match by date


def load_topics(name: str) -> list[dict[str, Any]]:
    rows = [
        json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    for topic in rows:
        for event in topic["events"]:
            event.setdefault("urls", [e["url"] for e in event.get("entries", [])])
    return rows


def match(topic: dict[str, Any], timeline: Timeline) -> dict[str, Any]:
    """Which timeline events find each labelled event (same article cited, or dated within a day and sharing a
    third of its fact's words), and the scores of this topic."""
    topic_words = set(match_words(topic["query"]))
    found: dict[str, list[int]] = {}
    for label in topic["events"]:
        urls = set(label["urls"])
        facts = [_key(e["fact"]) for e in label.get("entries", []) if e.get("fact")]
        day = date.fromisoformat(label["date"])
        words = set(match_words(label["fact"])) - topic_words
        hits = []
        for i, e in enumerate(timeline.events):
            if facts:  # a MultiHop article gives facts of several events: its fact, not its URL, says which
                same = any(
                    any(f in _key(c.passage.text, whole=True) for f in facts)
                    for c in e.citations
                    if c.passage.url in urls
                )
            else:
                same = bool({c.passage.url for c in e.citations} & urls)
            near = abs((date.fromisoformat(e.date) - day).days) <= 1
            shared = len(words & set(match_words(e.sentence))) >= SHARE * len(words) if words else False
            if same or (near and shared):
                hits.append(i)
        found[label["event"]] = hits
    dated = [
        abs((date.fromisoformat(timeline.events[hits[0]].date) - date.fromisoformat(label["date"])).days) <= 1
        for label in topic["events"]
        if (hits := found[label["event"]])
    ]
    return {
        "labelled": len(topic["events"]),
        "found": sum(bool(h) for h in found.values()),
        "dated_right": sum(dated),
        "duplicates": sum(max(0, len(h) - 1) for h in found.values()),
        "events": len(timeline.events),
        "multi_outlet": sum(
            len({e["source"] for e in label.get("entries", [])}) > 1 for label in topic["events"]
        ),
        "multi_outlet_split": sum(
            len(found[label["event"]]) > 1
            for label in topic["events"]
            if len({e["source"] for e in label.get("entries", [])}) > 1
        ),
        "matches": found,
    }


def labeller_agreement() -> dict[str, Any]:
    """The second labeller's events (B, RealTime QA topics) against the first's (A): an event of one is found
    by the other when they share a quiz question and are dated within a day or share a third of their words."""
    first = {t["topic"]: t for t in load_topics("realtimeqa-topics.jsonl")}
    second = load_topics("realtimeqa-second.jsonl")

    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        ids = {q.split(":")[-1] for q in a["question_ids"]} & {q.split(":")[-1] for q in b["question_ids"]}
        near = abs((date.fromisoformat(a["date"]) - date.fromisoformat(b["date"])).days) <= 1
        wa, wb = set(match_words(a["fact"])), set(match_words(b["fact"]))
        return bool(ids) and (near or len(wa & wb) >= SHARE * min(len(wa), len(wb)))

    a_found = b_found = a_total = b_total = dated = pairs = 0
    for t in second:
        a_events, b_events = first[t["topic"]]["events"], t["events"]
        a_total, b_total = a_total + len(a_events), b_total + len(b_events)
        a_found += sum(any(same(a, b) for b in b_events) for a in a_events)
        b_found += sum(any(same(a, b) for a in a_events) for b in b_events)
        for a in a_events:
            match = next((b for b in b_events if same(a, b)), None)
            if match:
                pairs += 1
                dated += abs((date.fromisoformat(a["date"]) - date.fromisoformat(match["date"])).days) <= 1
    return {
        "topics": len(second),
        "first_events": a_total,
        "second_events": b_total,
        "first_found_by_second": round(a_found / a_total, 3),
        "second_found_by_first": round(b_found / b_total, 3),
        "dates_within_a_day": round(dated / pairs, 3) if pairs else None,
    }


def _key(text: str, whole: bool = False) -> str:
    """A fact's first 80 characters (or, ``whole``, a passage's text), spaces and case normalised."""
    flat = " ".join(text.split()).lower()
    return flat if whole else flat[:80]


def run(
    data_dir: Path, out: Path, llm: str, splits: list[str], topics: list[str] | None = None
) -> dict[str, Any]:
    from assistant.factory import build_assistant
    from ingest.collection import list_collections

    result: dict[str, Any] = {
        "cpu": describe_cpu(),
        "llm": llm,
        "agreement": labeller_agreement(),
        "sets": {},
    }
    audit: list[dict[str, Any]] = []
    for name, collection in SETS.items():
        settings = Settings(data_dir=data_dir, collection=collection, llm=llm)  # type: ignore[arg-type]
        if collection not in list_collections(settings):
            print(f"skipping {name}: no collection {collection} in {data_dir}", file=sys.stderr)
            continue
        assistant = build_assistant(settings)
        assistant.timeline("warm-up")  # load the models before timing
        rows = []
        for topic in [
            t for t in load_topics(name) if t["split"] in splits and (not topics or t["topic"] in topics)
        ]:
            began = time.perf_counter()
            timeline = assistant.timeline(topic["query"])
            seconds = time.perf_counter() - began
            scores = match(topic, timeline)
            rows.append(
                {
                    "topic": topic["topic"],
                    "split": topic["split"],
                    "query": topic["query"],
                    "seconds": round(seconds, 2),
                    "model_calls": timeline.model_calls,
                    **scores,
                }
            )
            print(
                f"{topic['topic']} {topic['query']!r}: {scores['found']}/{scores['labelled']} found, "
                f"{scores['events']} events, {seconds:.1f} s",
                file=sys.stderr,
            )
            audit += [
                {
                    "set": name,
                    "topic": topic["topic"],
                    "query": topic["query"],
                    "date": e.date,
                    "sentence": e.sentence,
                    "written_by": e.written_by,
                    "cited": [
                        {
                            "n": c.n,
                            "title": c.passage.title,
                            "source": c.passage.source,
                            "published": c.passage.published,
                            "text": c.passage.text,
                        }
                        for c in e.citations[:3]
                    ],
                }
                for e in timeline.events
            ]
        result["sets"][name] = {
            "collection": collection,
            "chunks": assistant.articles.counts()[1],
            "topics": rows,
            "by_split": {s: _summary([r for r in rows if r["split"] == s]) for s in splits},
        }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1))
    sample = random.Random(3).sample(audit, min(100, len(audit)))
    with (out / "audit.jsonl").open("w", encoding="utf-8") as f:
        for n, item in enumerate(sample, 1):
            f.write(json.dumps({"item": f"s{n:03d}", **item}, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(_report(result), encoding="utf-8")
    print(_report(result))
    return result


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {}
    labelled, found = sum(r["labelled"] for r in rows), sum(r["found"] for r in rows)
    events = sum(r["events"] for r in rows)
    seconds = [r["seconds"] for r in rows]
    return {
        "topics": len(rows),
        "labelled": labelled,
        "event_recall": round(found / labelled, 3) if labelled else None,
        "date_accuracy": round(sum(r["dated_right"] for r in rows) / found, 3) if found else None,
        "unmerged_duplicates": round(sum(r["duplicates"] for r in rows) / events, 3) if events else None,
        "multi_outlet_events": sum(r["multi_outlet"] for r in rows),
        "multi_outlet_split": sum(r["multi_outlet_split"] for r in rows),
        "events": events,
        "seconds_p50": round(statistics.median(seconds), 2),
        "seconds_max": max(seconds),
        "model_calls": sum(r["model_calls"] for r in rows),
    }


def _report(r: dict[str, Any]) -> str:
    lines = [
        "# Timelines against the labelled topics",
        "",
        f"CPU: {r['cpu']}, 2 cores. Sentences: {r['llm']}. Command: `python -m bench.timeline_eval ...` "
        "(eval/timeline_labels/PROTOCOL.md says how the labels were made and matched).",
        "",
        "| set | split | topics | labelled events | event recall | date accuracy | unmerged duplicates | "
        "multi-outlet events split | timeline p50 / max s | model calls |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in r["sets"].items():
        for split, v in s["by_split"].items():
            if v:
                lines.append(
                    f"| {name.split('-')[0]} ({s['chunks']:,} chunks) | {split} | {v['topics']} | {v['labelled']} | "
                    f"{v['event_recall']} | {v['date_accuracy']} | {v['unmerged_duplicates']} | "
                    f"{v['multi_outlet_split']}/{v['multi_outlet_events']} | {v['seconds_p50']} / {v['seconds_max']} | "
                    f"{v['model_calls']} |"
                )
    a = r["agreement"]
    lines += [
        "",
        f"Two labellers on {a['topics']} RealTime QA topics: of the first's {a['first_events']} events the second found "
        f"{a['first_found_by_second']}; of the second's {a['second_events']}, the first found {a['second_found_by_first']}; "
        f"matched events dated within a day of each other: {a['dates_within_a_day']}.",
    ]
    lines += ["", "| set | topic | split | query | found | events | s |", "|---|---|---|---|---|---|---|"]
    for name, s in r["sets"].items():
        for t in s["topics"]:
            lines.append(
                f"| {name.split('-')[0]} | {t['topic']} | {t['split']} | {t['query']} | {t['found']}/{t['labelled']} | "
                f"{t['events']} | {t['seconds']} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data/eval"))
    parser.add_argument("--llm", default="extractive", choices=["extractive", "local"])
    parser.add_argument("--split", nargs="+", default=["tune", "test"])
    parser.add_argument("--topics", nargs="+", help="only these topics (t02 m05 ...)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    run(args.data_dir, args.out, args.llm, args.split, args.topics)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
