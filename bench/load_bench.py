"""The HTTP API under load, on loopback and bounded in time: concurrent clients mixing search, ask and streamed
chat against ``assistant serve`` in its own process, for each answerer.

    python -m bench.load_bench --answerers extractive local --clients 32 --seconds 120 --out bench/results/load

Counts every response by status (a 5xx is a failure; a 429 is the queue bound doing its job), checks that
every accepted answer arrived whole (a streamed one ends with its verified answer and ``[DONE]``), and times
searches while answers are being written. The server's peak RSS comes from /proc. The sample corpus is
ingested into a temporary data directory first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from core.cpu import describe_cpu

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "assistant" / "sample_corpus"
MIX = (("search", 0.5), ("ask", 0.25), ("stream", 0.25))


@dataclass
class Tally:
    """What one answerer's run saw."""

    answerer: str
    clients: int
    seconds: float
    status: Counter[str] = field(default_factory=Counter)  # "search 200", "ask 429", ...
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    search_while_answering: list[float] = field(default_factory=list)
    incomplete: int = 0  # accepted (200) answers that did not arrive whole
    errors: list[str] = field(default_factory=list)  # transport failures, with what happened
    peak_rss_mb: float = 0.0

    def summary(self) -> dict[str, Any]:
        def pct(values: list[float], q: int) -> float | None:
            return round(statistics.quantiles(values, n=100)[q - 1], 3) if len(values) >= 2 else None

        by_kind = {
            kind: {"n": len(v), "p50_s": pct(v, 50), "p95_s": pct(v, 95)}
            for kind, v in sorted(self.latency.items())
        }
        fives = sum(n for key, n in self.status.items() if key.split()[1].startswith("5"))
        return {
            "answerer": self.answerer,
            "clients": self.clients,
            "seconds": self.seconds,
            "status": dict(sorted(self.status.items())),
            "server_errors_5xx": fives,
            "refused_429": sum(n for key, n in self.status.items() if key.endswith(" 429")),
            "incomplete_answers": self.incomplete,
            "transport_errors": len(self.errors),
            "latency": by_kind,
            "search_p95_while_answering_s": pct(self.search_while_answering, 95),
            "search_p50_while_answering_s": pct(self.search_while_answering, 50),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, answerer: str, port: int, profile: str) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("assistant")
    command = [str(cli), "serve", "--data-dir", str(data_dir), "--collection", "sample", "--llm", answerer]
    if answerer == "local":
        command += ["--profile", profile]
    env = {**os.environ, "ASSISTANT_API_TOKEN": ""}
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(
                f"assistant serve exited: {server.stdout.read().decode() if server.stdout else ''}"
            )
        time.sleep(0.5)
    server.kill()
    raise SystemExit("assistant serve did not start in 10 minutes")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def client(
    number: int, base: str, questions: list[str], until: float, tally: Tally, answering: list[int]
) -> None:
    rng = random.Random(number)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(300, connect=10)) as http:
        while time.monotonic() < until:
            kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            question = rng.choice(questions)
            began = time.monotonic()
            try:
                if kind == "search":
                    r = await http.post("/v1/search", json={"query": question, "k": 5})
                    elapsed = time.monotonic() - began
                    if answering[0]:
                        tally.search_while_answering.append(elapsed)
                    status = r.status_code
                elif kind == "ask":
                    answering[0] += 1
                    try:
                        r = await http.post("/v1/ask", json={"question": question})
                    finally:
                        answering[0] -= 1
                    status = r.status_code
                    if status == 200 and "declined" not in r.json():
                        tally.incomplete += 1
                else:
                    status = await _stream(http, question, tally, answering)
            except httpx.HTTPError as exc:
                tally.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            tally.status[f"{kind} {status}"] += 1
            if status == 200:
                tally.latency[kind].append(time.monotonic() - began)
            elif status == 429:
                await asyncio.sleep(rng.uniform(0.5, 2.0))


async def _stream(http: httpx.AsyncClient, question: str, tally: Tally, answering: list[int]) -> int:
    body = {"model": "articles:sample", "messages": [{"role": "user", "content": question}], "stream": True}
    answering[0] += 1
    try:
        async with http.stream("POST", "/v1/chat/completions", json=body) as r:
            if r.status_code != 200:
                await r.aread()
                return r.status_code
            final = done = False
            async for line in r.aiter_lines():
                if line == "data: [DONE]":
                    done = True
                elif line.startswith("data: ") and '"answer"' in line:
                    final = "answer" in json.loads(line[6:])
            if not (final and done):
                tally.incomplete += 1
            return 200
    finally:
        answering[0] -= 1


def run_one(answerer: str, data_dir: Path, clients: int, seconds: float, profile: str) -> Tally:
    port = free_port()
    server = start_server(data_dir, answerer, port, profile)
    questions = [
        json.loads(line)["question"] for line in (SAMPLE / "questions.jsonl").read_text().splitlines()
    ]
    tally = Tally(answerer, clients, seconds)
    try:
        base = f"http://127.0.0.1:{port}"
        httpx.post(f"{base}/v1/ask", json={"question": questions[0]}, timeout=600)  # warm-up

        async def main() -> None:
            until = time.monotonic() + seconds
            answering = [0]
            await asyncio.gather(
                *(client(i, base, questions, until, tally, answering) for i in range(clients))
            )

        asyncio.run(main())
        tally.peak_rss_mb = peak_rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--answerers", nargs="+", default=["extractive", "local"], choices=["extractive", "local"]
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--profile", default="default", help="the local model's profile")
    parser.add_argument("--out", type=Path, help="write results.json and report.md here")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="load-bench-"))
    try:
        cli = str(Path(sys.executable).with_name("assistant"))
        ingest = [cli, "ingest", str(SAMPLE / "articles"), "--data-dir", str(work)]
        subprocess.run([*ingest, "--collection", "sample"], check=True, capture_output=True, cwd=REPO)
        rows = []
        for answerer in args.answerers:
            print(
                f"{answerer}: {args.clients} clients for {args.seconds:g} s ...", file=sys.stderr, flush=True
            )
            rows.append(run_one(answerer, work, args.clients, args.seconds, args.profile).summary())
            print(json.dumps(rows[-1]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"created": datetime.now().isoformat(timespec="seconds"), "cpu": describe_cpu(), "rows": rows}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(result, indent=1))
        (args.out / "report.md").write_text(report(result))
    return 1 if any(r["server_errors_5xx"] or r["incomplete_answers"] for r in rows) else 0


def report(result: dict[str, Any]) -> str:
    lines = [
        f"# API load ({result['created']}, {result['cpu']})",
        "",
        "| answerer | clients | seconds | 5xx | 429 | incomplete | search p50 / p95 s (while answering) | ask p50 / p95 s | stream p50 / p95 s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def pair(latency: dict[str, Any], kind: str) -> str:
        v = latency.get(kind, {})
        return f"{v.get('p50_s')} / {v.get('p95_s')} ({v.get('n', 0)})"

    for r in result["rows"]:
        lat = r["latency"]
        lines.append(
            f"| {r['answerer']} | {r['clients']} | {r['seconds']:g} | {r['server_errors_5xx']} | {r['refused_429']} "
            f"| {r['incomplete_answers']} | {r['search_p50_while_answering_s']} / {r['search_p95_while_answering_s']} "
            f"| {pair(lat, 'ask')} | {pair(lat, 'stream')} | {r['peak_rss_mb']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
