"""The lock (requirements/lock.txt) agrees with pyproject.toml, and the venv holds what it pins: a fresh clone
installs what the suite passed with."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from app.lockfile import LOCK, NO_DEPS, all_pins, declared, disagreements, drift, installed, read_pins
from models.catalog import EMBEDDINGS, GGUF_MODELS


def test_pyproject_and_lock_agree():
    assert disagreements(declared(), read_pins(LOCK)) == []


def test_the_agreement_check_reads_versions_as_pip_does():
    requirements = [Requirement("torch==2.13.0"), Requirement("openai>=2.45,<4"), Requirement("click>=8.1")]
    pins = {"torch": "2.13.0+cpu", "openai": "4.0.0"}
    assert disagreements(requirements, pins) == [
        "openai: the lock pins 4.0.0, outside pyproject's <4,>=2.45",
        "click is declared (click>=8.1) but not pinned in the lock",
    ]


def test_the_lock_pins_pip_and_the_cpu_torch():
    pins = read_pins(LOCK)
    assert "pip" in pins
    assert pins["torch"].startswith("2.13.0")


def test_no_deps_models_are_pinned_at_the_catalog_versions():
    pins = read_pins(NO_DEPS)
    tiny = GGUF_MODELS["tiny"]
    mpnet = EMBEDDINGS["mpnet"]
    assert pins == {tiny.packages[0]: tiny.version, **dict.fromkeys(mpnet.parts, mpnet.version)}
    assert not set(pins) & set(read_pins(LOCK)), "a package is in both pin lists"


def test_a_malformed_pin_is_refused(tmp_path: Path):
    bad = tmp_path / "lock.txt"
    bad.write_text("# comment\nopenai>=3\n")
    with pytest.raises(ValueError, match=r"lock.txt:2: 'openai>=3' is not 'name==version'"):
        read_pins(bad)


@pytest.mark.skipif(
    os.environ.get("ASSISTANT_UNLOCKED") == "1", reason="make test-latest: the newest releases, not the lock"
)
def test_the_venv_holds_what_the_lock_pins():
    unpinned, differ = drift(installed(), all_pins())
    assert unpinned == [], "installed but not in requirements/lock.txt: run `make install` or `make lock`"
    assert differ == [], "installed versions differ from the lock: run `make install`"


def test_drift_names_unpinned_and_different_versions():
    have = {"openai": "3.64.0", "torch": "2.13.0+cpu", "leftover": "1.0", "article-assistant": "0.1.0"}
    pins = {"openai": "3.63.0", "torch": "2.13.0+cpu"}
    assert drift(have, pins) == (["leftover"], ["openai 3.64.0 (locked 3.63.0)"])
