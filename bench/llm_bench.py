"""Benchmark the local chat models on this CPU: assembly, load, prompt and output speed, peak memory.

    python -m bench.llm_bench --models-dir /tmp/bench-models            # tiny, fast, default
    python -m bench.llm_bench --profiles fast --prompt-tokens 1500 --json results/llm_bench.json

Each profile runs in its own process so its peak RSS is its own. The prompt is a RAG-style prompt built from
the bundled sample articles, cut to ``--prompt-tokens`` with the model's own tokenizer; speeds are
llama.cpp's own timings (prompt evaluation and generation), with prompt caching off.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.generators.llama_server import default_threads, start_llama_server
from core.cpu import describe_cpu
from models.catalog import GGUF_MODELS, gguf_path

SAMPLE = Path(__file__).resolve().parents[1] / "assistant" / "sample_corpus" / "articles"
SYSTEM = (
    "You answer questions about news articles using only the numbered passages given. Cite passages as [n]. "
    "If the passages do not contain the answer, say so."
)
QUESTION = "Summarise what the passages report, with the dates and figures they give."


def _corpus() -> str:
    texts = [p.read_text(errors="replace") for p in sorted(SAMPLE.glob("*")) if p.suffix in (".txt", ".md")]
    return "\n\n".join(f"[{n}] {t.strip()}" for n, t in enumerate(texts * 4, start=1))


def _prompt_of(server: Any, tokens: int) -> str:
    """Passages cut so that system + user message come to about ``tokens`` tokens."""
    text = _corpus()
    overhead = len(server.tokenize(SYSTEM + QUESTION)) + 20  # the chat template's tokens
    ids = server.tokenize(text)[: max(tokens - overhead, 1)]
    response = httpx.post(server.root_url + "/detokenize", json={"tokens": ids}, timeout=30)
    response.raise_for_status()
    passages: str = response.json()["content"]
    return f"Passages:\n\n{passages}\n\nQuestion: {QUESTION}\nAnswer (cite [n]):"


def run_one(
    profile: str, models_dir: Path, prompt_tokens: int, max_tokens: int, threads: int, runs: int
) -> dict[str, Any]:
    path = gguf_path(profile, models_dir)
    started = time.perf_counter()
    with start_llama_server(
        path, context_tokens=max(4096, prompt_tokens + max_tokens + 64), threads=threads
    ) as srv:
        load_s = time.perf_counter() - started
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": _prompt_of(srv, prompt_tokens)},
        ]
        results = []
        for _ in range(runs):
            body = {
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": 0,
                "cache_prompt": False,  # measure prompt evaluation every time
                "ignore_eos": True,  # always generate max_tokens: output speed over the same length
            }
            t = time.perf_counter()
            response = httpx.post(srv.base_url + "/chat/completions", json=body, timeout=1800)
            response.raise_for_status()
            data = response.json()
            results.append({"wall_s": time.perf_counter() - t, **data["timings"], "usage": data["usage"]})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "profile": profile,
        "cpu": describe_cpu(),  # llama.cpp's speed depends on the CPU's vector extensions: say which
        "model": GGUF_MODELS[profile].description,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "threads": threads,
        "load_s": round(load_s, 2),
        "prompt_tokens": results[0]["prompt_n"],
        "output_tokens": results[0]["predicted_n"],
        "prompt_tok_s": round(statistics.median(r["prompt_per_second"] for r in results), 1),
        "output_tok_s": round(statistics.median(r["predicted_per_second"] for r in results), 1),
        "answer_wall_s": round(statistics.median(r["wall_s"] for r in results), 1),
        "peak_rss_mb": round(peak_mb),
        "runs": runs,
    }


def time_assembly(profile: str, models_dir: Path) -> dict[str, Any]:
    """Assemble into a fresh folder (the parts may be in the page cache; say so when reporting)."""
    fresh = models_dir / f"assembly-{profile}"
    shutil.rmtree(fresh, ignore_errors=True)
    started = time.perf_counter()
    path = gguf_path(profile, fresh)
    seconds = time.perf_counter() - started
    result = {"profile": profile, "assembly_s": round(seconds, 2), "size_bytes": path.stat().st_size}
    shutil.rmtree(fresh, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--profiles", nargs="+", default=["tiny", "fast", "default"], choices=list(GGUF_MODELS)
    )
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--prompt-tokens", type=int, default=1500)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--assembly", action="store_true", help="also time assembling split models from scratch"
    )
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run a single profile in this process
    args = parser.parse_args(argv)

    if args.one:
        result = run_one(
            args.one, args.models_dir, args.prompt_tokens, args.max_tokens, args.threads, args.runs
        )
        print(json.dumps(result))
        return 0

    report: dict[str, Any] = {"assembly": [], "inference": []}
    if args.assembly:
        for profile in args.profiles:
            if GGUF_MODELS[profile].split:
                report["assembly"].append(time_assembly(profile, args.models_dir))
                print(json.dumps(report["assembly"][-1]), flush=True)
    for profile in args.profiles:
        command = [
            sys.executable,
            "-m",
            "bench.llm_bench",
            "--one",
            profile,
            "--models-dir",
            str(args.models_dir),
            "--prompt-tokens",
            str(args.prompt_tokens),
            "--max-tokens",
            str(args.max_tokens),
            "--threads",
            str(args.threads),
            "--runs",
            str(args.runs),
        ]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        report["inference"].append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(report["inference"][-1]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
