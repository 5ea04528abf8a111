"""What every benchmark dataset becomes: questions with gold answers, baselines to compare with, and a corpus
to index (built lazily, read in place, never copied), plus the readers the loaders share."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.article import Article, LoadResult

_CORPUS_VERSION = "1"  # bump when the way a corpus is built from the files changes (keys cached indexes)


@dataclass(frozen=True)
class EvalQuestion:
    """One benchmark question with its gold answer and the ids of its own articles."""

    id: str
    question: str
    gold: str
    choices: tuple[str, ...] = ()
    answer_index: int | None = None
    as_of: datetime.date | None = None  # articles published later are not evidence
    qtype: str = ""
    answerable: bool = True
    evidence_ids: frozenset[str] = frozenset()
    evidence: tuple[Article, ...] = ()  # MultiHop: the gold evidence facts, one Article each
    answer_in_evidence: bool | None = None  # RealTime QA: one of its own articles holds the answer's text


@dataclass(frozen=True)
class Baseline:
    """A reference figure to compare with: computed from a system's predictions, or published (n=0)."""

    name: str
    metric: str
    value: float
    n: int
    source: str


@dataclass
class Dataset:
    """Questions, baselines and (lazily) the corpus to index; ``fingerprint`` keys a cached index."""

    name: str
    path: Path
    questions: list[EvalQuestion]
    baselines: list[Baseline]
    fingerprint: str

    build_corpus: Callable[[Path], Iterator[LoadResult]] = field(
        repr=False, compare=False, default=lambda _: iter(())
    )

    def corpus(self) -> Iterator[LoadResult]:
        """Everything to index, one item at a time, each article id once."""
        return self.build_corpus(self.path)


def missing_files(path: Path, pattern: str, folder: str) -> ValueError:
    """The error for a folder without the expected files, pointing at the right folder when it is inside."""
    hint = f" (found {path / folder}: pass that)" if (path / folder).is_dir() else ""
    return ValueError(f"{path / pattern} not found: pass the {folder} folder{hint}")


def corpus_fingerprint(name: str, root: Path, files: Iterable[Path]) -> str:
    """sha256 over the dataset name, the corpus-building version and each file's relative path and bytes."""
    digest = hashlib.sha256(f"{name}\x1f{_CORPUS_VERSION}".encode())
    for file in sorted(files):
        digest.update(f"\x1e{file.relative_to(root).as_posix()}\x1f".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; ValueError naming the line when it is not an object."""
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            yield number, row


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
