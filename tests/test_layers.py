"""The packages form layers that import only downward: core (the shared vocabulary), store, models (the
embedders and model files), ingest, assistant, eval, then the app (CLI and UI) outermost. Checked twice: every
import statement in the source (including those inside functions), and what importing each module really
loads, in a fresh interpreter. Only store/ touches Chroma."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("core", "store", "models", "ingest", "assistant", "eval", "app")
OUTSIDE_STORE = ("core", "models", "ingest", "assistant", "eval", "app", "bench")
CHROMA = ("chromadb", "langchain_chroma")


def _rank(module: str) -> int | None:
    top = module.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else None


def _modules(package: str) -> list[str]:
    return sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for p in (REPO / package).rglob("*.py")
        if p.name != "__main__.py"  # a program, not a module to import
    )


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", LAYERS)
def test_source_imports_only_downward(package: str) -> None:
    upward = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in sorted(_imported(path))
        if (_rank(name) or 0) > LAYERS.index(package)
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("package", LAYERS[:-1])
def test_importing_a_layer_loads_nothing_above_it(package: str) -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {_modules(package)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    above = [m for m in loaded if (_rank(m) or 0) > LAYERS.index(package)]
    assert not above, f"importing {package} loaded {above}"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from app.cli import main\n")
    assert "app.cli" in _imported(bad) and _rank("app.cli") == LAYERS.index("app")


def _is_chroma(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in CHROMA)


def test_only_store_imports_chromadb() -> None:
    """Chroma is behind ``store.chunk_index`` (and ``store.vectorstore`` for LangChain's view of it)."""
    found = [
        f"{path.relative_to(REPO)} imports {name}"
        for package in OUTSIDE_STORE
        for path in sorted((REPO / package).rglob("*.py"))
        for name in sorted(_imported(path))
        if _is_chroma(name)
    ]
    assert not found, "\n".join(found)


def test_the_check_sees_a_chromadb_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import chromadb\nfrom chromadb.api.models.Collection import Collection\n"
        "def f():\n    from langchain_chroma import Chroma\n"
    )
    assert {"chromadb", "chromadb.api.models.Collection", "langchain_chroma"} <= _imported(bad)
    assert all(_is_chroma(name) for name in _imported(bad))
    assert not _is_chroma("chromadbx") and not _is_chroma("store.chroma")


@pytest.mark.parametrize(("package", "other"), [("generators", "verifiers"), ("verifiers", "generators")])
def test_generators_and_verifiers_do_not_import_each_other(package: str, other: str) -> None:
    """Both rank sentences with ``assistant.ranking``; what writes an answer and what checks it stay apart."""
    crossing = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / "assistant" / package).rglob("*.py"))
        for name in sorted(_imported(path))
        if name.startswith(f"assistant.{other}")
    ]
    assert not crossing, "\n".join(crossing)


@pytest.mark.parametrize(("package", "other"), [("store", "models"), ("models", "store")])
def test_store_and_models_do_not_import_each_other(package: str, other: str) -> None:
    """Side by side above core: where chunks are kept and what embeds them, joined only by ingest/."""
    crossing = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in sorted(_imported(path))
        if name.split(".")[0] == other
    ]
    assert not crossing, "\n".join(crossing)
