"""Time whole answers through the real chain on this CPU: time to first token and total seconds per answer,
for each local model profile and passage count, with the process's peak memory.

    python -m bench.answer_bench                                   # fast + default, from 20 candidates
    python -m bench.answer_bench --profiles default --candidates 5 20 --questions 8 --json results/answers.json

The bundled sample corpus is indexed into a temp directory; the first N answerable sample questions are asked
with the model's excerpts chosen from k candidates (the relevance floor is off, so every question reaches the
model). Each profile runs in its own process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from core.cpu import describe_cpu

SAMPLE = Path(__file__).resolve().parents[1] / "assistant" / "sample_corpus"


def run_profile(profile: str, candidates: list[int], questions: int) -> list[dict[str, Any]]:
    from assistant.factory import build_assistant
    from core.answer import Answer
    from core.settings import Settings
    from ingest.collection import open_index
    from ingest.load import load_articles

    asked = [
        json.loads(line) for line in (SAMPLE / "questions.jsonl").read_text().splitlines() if line.strip()
    ]
    asked = [q for q in asked if q["answerable"]][:questions] + [q for q in asked if not q["answerable"]]
    rows = []
    with tempfile.TemporaryDirectory() as data:
        base = Settings(
            data_dir=Path(data), collection="bench", llm="local", llm_profile=profile, min_relevance=0.0
        )
        index = open_index(base)
        index.ingest(load_articles([SAMPLE / "articles"]))
        for k in candidates:
            assistant = build_assistant(base.with_overrides(candidates=k, fetch_k=max(k, 30)), index)
            assistant.ask("Warm-up: which port is on strike?")  # load the model outside the timings
            for q in asked:
                began = time.perf_counter()
                first = None
                answer = None
                for item in assistant.stream(q["question"]):
                    if isinstance(item, Answer):
                        answer = item
                    elif isinstance(item, str) and first is None:
                        first = time.perf_counter() - began
                total = time.perf_counter() - began
                assert answer is not None
                rows.append(
                    {
                        "profile": profile,
                        "passages": k,
                        "read": len(answer.passages),
                        "question": q["id"],
                        "ttft_s": round(first if first is not None else total, 3),
                        "total_s": round(total, 3),
                        "answerable": q["answerable"],
                        "correct": q["answerable"] and q["answer"].lower() in answer.text.lower(),
                        "in_any_form": q["answerable"]
                        and not answer.declined
                        and in_any_form(q["answer"], answer),
                        "answer": answer.text,
                        "unsupported_sentences": sum(not s.supported for s in answer.sentences),
                        "declined": answer.declined,
                        "supported": all(s.supported for s in answer.sentences),
                    }
                )
                print(
                    f"{profile} k={k} {q['id']}: first token {rows[-1]['ttft_s']:.1f} s, total {total:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for row in rows:
        row["peak_rss_mb"] = round(peak_mb)
    return rows


def in_any_form(expected: str, answer: Any) -> bool:
    """Whether the answer's first sentence states the expected answer, word for word or in other words (eval's
    "right in other words")."""
    from eval.wrong import states_in_other_words

    first = answer.sentences[0].text if answer.sentences else answer.text
    return expected.lower() in first.lower() or states_in_other_words(expected, first)


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["profile"], row["passages"]), []).append(row)
    table = []
    for (profile, k), rows_k in sorted(groups.items()):  # k: the candidates
        group = [r for r in rows_k if r["answerable"]]  # speed is measured on questions that get answers
        unanswerable = [r for r in rows_k if not r["answerable"]]
        totals = sorted(r["total_s"] for r in group)
        table.append(
            {
                "profile": profile,
                "candidates": k,
                "read_median": statistics.median(r.get("read", k) for r in group),
                "answers": len(group),
                "ttft_median_s": round(statistics.median(r["ttft_s"] for r in group), 1),
                "total_median_s": round(statistics.median(totals), 1),
                "total_max_s": round(totals[-1], 1),
                "exact_answer": f"{sum(r['correct'] for r in group)}/{len(group)}",
                "in_any_form": f"{sum(r.get('in_any_form', False) for r in group)}/{len(group)}",
                "declined_unanswerable": f"{sum(r['declined'] for r in unanswerable)}/{len(unanswerable)}",
                "unsupported_sentences": sum(r["unsupported_sentences"] for r in rows_k),
                "peak_rss_mb": group[0]["peak_rss_mb"],
            }
        )
    return table


def markdown(table: list[dict[str, Any]]) -> str:
    head = (
        "| model | candidates | passages read (median) | answers | first token (median s) | total (median s) "
        "| total (max s) | expected answer found | in the first sentence, any form | unanswerable declined "
        "| unsupported sentences | peak RSS (MB) |"
    )
    lines = [head, "|" + "---|" * 12]
    for t in table:
        lines.append(
            f"| {t['profile']} | {t['candidates']} | {t['read_median']} | {t['answers']} | {t['ttft_median_s']} | "
            f"{t['total_median_s']} | "
            f"{t['total_max_s']} | {t['exact_answer']} | {t.get('in_any_form', '–')} | {t['declined_unanswerable']} | "
            f"{t['unsupported_sentences']} | {t['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", nargs="+", default=["fast", "default"])
    parser.add_argument("--candidates", nargs="+", type=int, default=[20], help="passages excerpts come from")
    parser.add_argument(
        "--questions",
        type=int,
        default=24,
        help="answerable sample questions per setting (all 6 unanswerable too)",
    )
    parser.add_argument("--json", type=Path, help="write rows and summary here")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one profile in this process
    args = parser.parse_args(argv)
    if args.one:
        json.dump(run_profile(args.one, args.candidates, args.questions), sys.stdout)
        return 0
    rows: list[dict[str, Any]] = []
    for profile in args.profiles:
        cmd = [
            sys.executable,
            "-m",
            "bench.answer_bench",
            "--one",
            profile,
            "--questions",
            str(args.questions),
            "--candidates",
            *map(str, args.candidates),
        ]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        rows.extend(json.loads(out))
    table = summarise(rows)
    cpu = f"{describe_cpu()}, {os.cpu_count()} cores"
    print(f"CPU: {cpu}\n")
    print(markdown(table))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cpu": cpu, "summary": table, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
