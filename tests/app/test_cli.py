"""The ``assistant`` command end to end, as scripts and users call it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.conftest import SAMPLE, SAMPLE_ARTICLES, shared_data


@pytest.fixture
def runner():
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_console_script_has_help_for_every_subcommand():
    exe = shutil.which("assistant", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the 'assistant' console script is not installed: pip install -e ."
    for sub in ([], ["ingest"], ["ask"], ["stats"], ["ui"], ["setup-model"], ["eval"]):
        out = subprocess.run([exe, *sub, "--help"], capture_output=True, text=True, check=True).stdout
        assert "Usage: assistant" in out


def test_ingest_ask_stats_end_to_end(runner, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_ARTICLES, corpus)
    (corpus / "broken.json").write_text('{"title": "x", "text": ')
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    data = tmp_path / "data"

    result = invoke(runner, "ingest", corpus, "--data-dir", data, "--collection", "cli", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1  # some files failed: the status says so
    assert {e["path"].split("/")[-1] for e in report["errors"]} == {"broken.json", "image.txt"}
    assert report["articles"] >= 12

    stats = json.loads(invoke(runner, "stats", "--data-dir", data, "--collection", "cli", "--json").stdout)
    assert stats["articles"] == report["articles"] and stats["chunks"] == report["chunks"]
    assert stats["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"

    again = json.loads(
        invoke(runner, "ingest", corpus, "--data-dir", data, "--collection", "cli", "--json").stdout
    )
    assert again["articles"] == 0 and again["unchanged"] == report["articles"]

    question = json.loads((SAMPLE / "questions.jsonl").read_text().splitlines()[0])
    ask = [
        "ask",
        question["question"],
        "--data-dir",
        data,
        "--collection",
        "cli",
        "--llm",
        "extractive",
        "--json",
    ]
    out = invoke(runner, *ask)
    answer = json.loads(out.stdout)
    assert not answer["declined"]
    assert answer["citations"][0]["title"] == question["article_title"]

    source = answer["citations"][0]["source"]
    filtered = json.loads(invoke(runner, *ask, "--source", source.lower()).stdout)
    assert filtered["passages"] and {p["source"] for p in filtered["passages"]} == {source}
    unknown = runner.invoke(main, [str(a) for a in ask] + ["--source", "no-such-source"])
    assert unknown.exit_code == 1
    assert "No article has a source matching no-such-source" in unknown.output
    assert source in unknown.output  # the message lists the sources there are
    future = json.loads(invoke(runner, *ask, "--since", "2090-01-01").stdout)
    assert future["declined"] and future["passages"] == []
    backwards = runner.invoke(
        main, [str(a) for a in ask] + ["--since", "2020-02-01", "--until", "2020-01-01"]
    )
    assert backwards.exit_code == 1 and "since 2020-02-01 is after until 2020-01-01" in backwards.output


def test_unknown_collection_setting_is_a_readable_error(runner, tmp_path):
    result = runner.invoke(main, ["stats", "--data-dir", str(tmp_path), "--collection", "no good"])
    assert result.exit_code != 0
    assert "Collection name 'no good' is not valid" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_seed_article_answers_the_isis_question_without_share_widget(runner, tmp_path):
    seed = shared_data("seed")
    data = tmp_path / "data"
    invoke(runner, "ingest", seed, "--data-dir", data)
    from core.settings import Settings
    from ingest.collection import open_index

    index = open_index(Settings(data_dir=data))
    documents = [c.text for page in index.chunks.pages() for c in page]
    assert documents and not any("Print Friendly" in d for d in documents)

    out = invoke(
        runner,
        "ask",
        "What did ISIS in Sinai demand from Hamas?",
        "--data-dir",
        data,
        "--llm",
        "extractive",
        "--json",
    )
    answer = json.loads(out.stdout)
    assert "release of Salafist detainees" in answer["sentences"][0]["text"]  # the answer leads
    assert any("Salafist detainees" in c["quote"] for c in answer["citations"])


def test_empty_question_is_a_readable_error(runner, tmp_path):
    result = runner.invoke(main, ["ask", "  ", "--data-dir", str(tmp_path), "--llm", "extractive"])
    assert result.exit_code == 1
    assert "The question is empty" in result.output
    assert "Traceback" not in result.output


def test_sources_are_listed_with_their_source_and_date_before_the_answer():
    from app.cli import render_sources
    from core.answer import Passage

    p = Passage("c", "a", "Dockworkers halt cargo", "Ledger", "", "", "2024-05-04", "text", 0, 4, 0.5)
    assert render_sources([p, p]) == (
        "Reading 2 passages:\n[1] Dockworkers halt cargo (Ledger, 2024-05-04)\n[2] Dockworkers halt cargo (Ledger, 2024-05-04)"
    )


def test_check_marks_each_sentence_of_a_file_and_refuses_what_it_cannot_read(runner, tmp_path, sample_index):
    data = ["--data-dir", sample_index.settings.data_dir, "--collection", sample_index.settings.collection]
    draft = tmp_path / "draft.txt"
    draft.write_text(
        "The Bank of Kestria raised its main refinancing rate to 7.25 percent.\n"
        "The Bank of Kestria raised its main refinancing rate to 8.25 percent.\n",
        encoding="utf-8",
    )
    checks = json.loads(invoke(runner, "check", "--file", draft, *data, "--json").stdout)
    assert [c["label"] for c in checks] == ["supported", "contradicted"]
    assert checks[0]["spans"][0]["verdict"] == "supports" and "7.25 percent" in checks[0]["spans"][0]["quote"]
    text = invoke(
        runner, "check", "The Bank of Kestria raised its main refinancing rate to 7.25 percent.", *data
    )
    assert text.stdout.startswith("Supported (") and "Kestrian Financial Observer, 2023-06-22" in text.stdout
    markdown = invoke(runner, "check", "--file", draft, *data, "--format", "markdown").stdout
    assert "1. **Supported**" in markdown and "2. **Contradicted**" in markdown and "“" in markdown

    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.7\n\xff\xfe\x00\x01" + bytes(range(256)))
    for args, message in (
        (["--file", binary], "is not UTF-8 text"),
        (["  "], "The text to check is empty"),
        ([], "Give a CLAIM to check or --file FILE"),
    ):
        result = runner.invoke(main, ["check", *map(str, args), *map(str, data)])
        assert result.exit_code != 0 and message in result.output, result.output
        assert "Traceback" not in result.output


def test_eval_judge_is_the_claim_checker_unless_the_llm_is_named():
    command = main.commands["eval"]
    given = {
        args: command.make_context("eval", ["sample", *args]).params["judge"]
        for args in [(), ("--judge",), ("--judge", "llm")]
    }
    assert given == {(): None, ("--judge",): "checker", ("--judge", "llm"): "llm"}
