"""``assistant doctor`` on real installs: this venv, the sample collection, a missing model, a busy port."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner

from app.cli import main


def doctor(*args: object) -> tuple[int, list[dict[str, str]]]:
    result = CliRunner().invoke(main, ["doctor", "--json", *map(str, args)], catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def test_a_healthy_install_exits_0_and_lists_the_collection(sample_settings, sample_index):
    status, findings = doctor("--data-dir", sample_settings.data_dir, "--collection", "sample", "--port", 1)
    errors = [f for f in findings if f["level"] == "error"]
    assert status == 0, errors
    by_topic = {f["topic"]: f for f in findings if f["level"] in ("ok", "warn")}
    assert "as requirements/lock.txt pins them" in by_topic["packages"]["message"]
    data = next(f for f in findings if f["topic"] == "data")
    assert data["level"] == "ok" and "sample (16 articles, " in data["message"]
    assert any(
        f["topic"] == "model" and "all-MiniLM-L6-v2: SHA-256 verified" in f["message"] for f in findings
    )
    assert any(f["topic"] == "kernels" and "vector scan:" in f["message"] for f in findings)


def test_a_missing_local_model_is_an_error_with_its_fix(tmp_path, sample_settings, sample_index):
    models = tmp_path / "no-models"
    result = CliRunner(env={"ASSISTANT_MODELS_DIR": str(models)}).invoke(
        main,
        ["doctor", "--json", "--data-dir", str(sample_settings.data_dir), "--collection", "sample",
         "--llm", "local", "--profile", "fast", "--port", "1"],
    )  # fmt: skip
    assert result.exit_code == 1
    errors = [f for f in json.loads(result.output) if f["level"] == "error"]
    assert [e["topic"] for e in errors] == ["model"]
    assert "'fast'" in errors[0]["message"] and "--llm local cannot answer" in errors[0]["message"]
    assert "assistant setup-model --profile fast" in errors[0]["fix"]


def test_a_missing_collection_and_a_busy_port_are_warnings(sample_settings, sample_index):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, findings = doctor(
            "--data-dir", sample_settings.data_dir, "--collection", "nope", "--port", port
        )
    assert status == 0
    warnings = {f["topic"]: f for f in findings if f["level"] == "warn"}
    assert "collection 'nope' does not exist" in warnings["data"]["message"]
    assert "--collection (sample)" in warnings["data"]["fix"]
    assert f"127.0.0.1:{port}" in warnings["port"]["message"] and "--port" in warnings["port"]["fix"]


def test_the_text_report_ends_with_a_summary(tmp_path):
    result = CliRunner().invoke(main, ["doctor", "--data-dir", str(tmp_path / "none"), "--port", "1"])
    assert result.output.startswith("Article Assistant doctor\n")
    assert "no data directory at" in result.output
    assert result.output.rstrip().endswith("warning(s).")
