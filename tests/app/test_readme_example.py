"""The README's LangChain example runs as printed, against the sample corpus (extractive answerer)."""

from __future__ import annotations

import contextlib
import io
import re

from tests.conftest import REPO


def _example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- lcel-example -->\s*```python\n(.*?)```", readme, re.S)
    assert found, "README.md lost its LCEL example (marked <!-- lcel-example -->)"
    return found.group(1)


def test_the_lcel_example_runs(sample_settings, sample_index, monkeypatch) -> None:
    code = _example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 8
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(sample_settings.data_dir))
    monkeypatch.setenv("ASSISTANT_COLLECTION", sample_settings.collection)
    monkeypatch.setenv("ASSISTANT_LLM", "extractive")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue()
    assert "Question: What interest rate did the Bank of Kestria set?" in printed  # the prompt, filled
    assert "7.25 percent" in printed  # the retrieved passage in it, and the chain's verified answer
