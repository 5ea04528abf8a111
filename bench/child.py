"""Measurements in a fresh process of their own, so that peak RSS and start-up are theirs alone: the parent
runs the benchmark module again with extra arguments, and the child prints its result as one JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

_TAG = "RESULT "


def run_child(module: str, argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -m module *argv`` (with ``env`` added to the environment) and return the result it
    printed with ``print_result``."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *argv],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith(_TAG))
    return dict(json.loads(line.removeprefix(_TAG)))


def print_result(result: dict[str, Any]) -> None:
    """The child's result, for ``run_child`` to read from its output."""
    print(_TAG + json.dumps(result), flush=True)
