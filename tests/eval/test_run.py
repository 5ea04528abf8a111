"""The harness end to end on the bundled sample corpus: real index, real assistant (extractive), real report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from eval.answer_cache import AnswerCache
from eval.datasets import load_dataset
from eval.results import RunResult
from eval.run import RunOptions, run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, embeddings):
    data = tmp_path_factory.mktemp("eval-data")
    out = tmp_path_factory.mktemp("eval-out")
    settings = Settings(data_dir=data, llm="extractive")
    options = RunOptions(configs=["naive", "dense", "bm25", "hybrid"], answer_configs=["hybrid"])
    results = run(load_dataset("sample"), settings, options, out)
    return results, out, data


def test_every_configuration_is_scored_and_reported(sample_run):
    results, out, _ = sample_run
    names = [c.name for c in results.configs]
    assert names == ["naive", "dense", "bm25", "hybrid"]
    for config in results.configs:
        r = config.retrieval
        assert r.evidence_hit["5"] >= 0.9, config.name  # the sample's questions name their articles
        assert r.answer_hit is None  # sample golds are scored by evidence, not by answer text
        assert r.latency_ms["n"] == 24  # the 6 unanswerable questions have no evidence to find
        assert config.ingest.chunks > 0
    assert [c.ingest.reused for c in results.configs] == [
        False,
        False,
        True,
        True,
    ]  # naive: own index
    saved = json.loads((out / "results.json").read_text())
    assert saved["questions"] == 30 and saved["environment"]["cpus"] and saved["environment"]["cpu"]
    # the typed results survive the JSON round trip (compared as JSON: NaN is not equal to itself)
    assert json.dumps(RunResult.from_dict(saved).to_dict(), default=str) == json.dumps(saved, default=str)
    report = (out / "report.md").read_text()
    for heading in ("## Retrieval", "## Answers", "## Speed and memory"):
        assert heading in report
    assert (out / "accuracy_vs_k.png").stat().st_size > 5000


def test_answers_are_scored_against_gold_and_unanswerable_questions_declined(sample_run):
    results, _, _ = sample_run
    answers = results.configs[3].answers
    assert answers.backend == "extractive"
    assert answers.declined_unanswerable == 1.0
    assert answers.accuracy >= 0.7
    rows = {r.id: r for r in results.configs[3].rows}
    assert rows["q01"].answer.correct is True  # "38 container ships"
    assert "38 container ships" in rows["q01"].answer.text
    assert rows["q29"].answer.declined is True


def test_a_second_run_takes_answers_from_the_cache(sample_run, tmp_path):
    _, _, data = sample_run
    cache_files = list((data / "cache" / "sample").glob("hybrid-*.jsonl"))
    assert len(cache_files) == 1
    before = cache_files[0].read_text()
    assert len(before.splitlines()) == 30
    settings = Settings(data_dir=data, llm="extractive")
    again = run(load_dataset("sample"), settings, RunOptions(["hybrid"], ["hybrid"]), tmp_path)
    assert cache_files[0].read_text() == before  # nothing re-asked, nothing appended
    assert again.configs[0].answers.accuracy == sample_run[0].configs[3].answers.accuracy


def test_a_cache_folder_carried_to_another_data_dir_is_resumed(sample_run, tmp_path):
    """A committed answer cache (``--cache-dir``) resumes a run on a machine with another data directory."""
    _, _, data = sample_run
    carried = tmp_path / "answers" / "sample"
    carried.mkdir(parents=True)
    (source,) = (data / "cache" / "sample").glob("hybrid-*.jsonl")
    (carried / source.name).write_text(source.read_text())
    options = RunOptions(["hybrid"], ["hybrid"], cache_dir=tmp_path / "answers")
    again = run(load_dataset("sample"), Settings(data_dir=data, llm="extractive"), options, tmp_path / "out")
    assert again.configs[0].answers.cache == str(carried / source.name)
    assert (carried / source.name).read_text() == source.read_text()  # nothing re-asked


def test_cached_answers_are_verified_again_by_todays_verifier(sample_run, tmp_path):
    """The cache keeps each draft and its passages; a run checks them again, so a cached verdict from an older
    verifier never stands: here a cached refusal whose draft its passage supports is answered."""
    _, _, data = sample_run
    (source,) = (data / "cache" / "sample").glob("hybrid-*.jsonl")
    carried = tmp_path / "answers" / "sample"
    carried.mkdir(parents=True)
    entries = [json.loads(line) for line in source.read_text().splitlines()]
    q01 = next(e for e in entries if e["id"] == "q01")["record"]["answer"]
    assert not q01["declined"] and q01["draft"]
    q01.update(answer="The articles do not contain the answer to this question.", declined=True, citations=[])
    (carried / source.name).write_text("".join(json.dumps(e) + "\n" for e in entries))
    options = RunOptions(["hybrid"], ["hybrid"], cache_dir=tmp_path / "answers")
    again = run(load_dataset("sample"), Settings(data_dir=data, llm="extractive"), options, tmp_path / "out")
    row = next(r for r in again.configs[0].rows if r.id == "q01").answer
    assert not row.declined and row.correct and "38 container ships" in row.text
    assert again.configs[0].answers.accuracy == sample_run[0].configs[3].answers.accuracy


def test_declined_answerable_questions_carry_their_cause_and_draft(sample_run):
    results, out, _ = sample_run
    answers = results.configs[3].answers
    declined = [r.answer for r in results.configs[3].rows if r.answer.decline]
    assert sum(c.count for c in answers.decline_causes) == len(declined)
    for a in declined:
        assert a.decline.cause in {"retrieval", "model_declined", "unsupported", "paraphrase"}
    if declined:
        assert "## Why answerable questions were declined" in (out / "report.md").read_text()


def test_cache_ignores_the_half_written_line_of_a_killed_run(tmp_path):
    cache = AnswerCache(tmp_path, "k")
    cache.put("q1", {"x": 1})
    with cache.path.open("a") as f:
        f.write('{"id": "q2", "rec')  # killed mid-write
    reopened = AnswerCache(tmp_path, "k")
    assert "q1" in reopened and "q2" not in reopened
    reopened.put("q2", {"x": 2})
    assert AnswerCache(tmp_path, "k").get("q2") == {"x": 2}


def test_a_killed_run_resumes_without_re_asking(tmp_path):
    """SIGKILL the CLI mid-answering; the rerun reports the answered questions as cached and asks the rest."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "app",
        "eval",
        "sample",
        "--data-dir",
        str(tmp_path / "data"),
        "--llm",
        "extractive",
        "--config",
        "default",
        "--out",
        str(tmp_path / "out"),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache_dir = tmp_path / "data" / "cache" / "sample"
    deadline = time.monotonic() + 300
    answered = 0
    while time.monotonic() < deadline and proc.poll() is None:
        files = list(cache_dir.glob("*.jsonl")) if cache_dir.exists() else []
        answered = len(files[0].read_text().splitlines()) if files else 0
        if answered >= 3:
            break
        time.sleep(0.2)
    if proc.poll() is not None:
        pytest.fail("the run finished before it could be killed; kill it earlier")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    cached = int(done.stderr.split("answers: ")[1].split(" of ")[0])
    assert cached >= answered >= 3
    lines = next(cache_dir.glob("*.jsonl")).read_text().splitlines()
    ids = [json.loads(line)["id"] for line in lines if line.endswith("}")]
    assert len(ids) == len(set(ids)) == 30  # every question answered exactly once across both runs
    assert json.loads((tmp_path / "out" / "results.json").read_text())["configs"][0]["answers"]["n"] == 30


def test_the_naive_baseline_index_is_reused_while_the_corpus_is_unchanged(sample_run, embeddings):
    from eval.naive import NaiveIndex

    _, _, data = sample_run
    naive = NaiveIndex(data, "sample-naive-langchain", embeddings)
    record = naive.build(load_dataset("sample").corpus(), load_dataset("sample").fingerprint)
    assert record["reused"] is True and record["chunks"] == len(naive.store.get(include=[])["ids"]) > 0
    hits = naive.search("How many vessels were left waiting at anchor during the Velmora dock stoppage?", 3)
    assert hits[0].title.startswith("Dockworkers Halt Cargo at Port of Velmora") and hits[0].article_id


def test_a_limited_run_scores_the_baselines_on_the_same_questions():
    from eval.datasets import select
    from eval.run import baselines_for
    from tests.conftest import shared_data

    dataset = load_dataset("realtimeqa", shared_data("realtimeqa-2023q1"))
    subset = select(dataset.questions, 30, seed=0)
    by_name = {(b.name, b.metric): b for b in baselines_for(dataset, subset)}
    web = by_name[("GPT-3 + web search", "choice_accuracy")]
    assert web.n == 30 and web.value != pytest.approx(0.590, abs=1e-3)
    assert by_name[("answer in the question's own articles", "evidence_hit_ceiling")].n == 30
    full = {(b.name, b.metric): b for b in baselines_for(dataset, dataset.questions)}
    assert full[("GPT-3 + web search", "choice_accuracy")].value == pytest.approx(0.590, abs=1e-3)
