"""Load articles from files and folders: text, markdown, HTML, JSON, JSONL, CSV and PDF.

``load_articles`` streams one result at a time: an ``Article``, a ``LoadError`` for a file or record that
could not be read, or ``Skipped`` for a file of a type it does not read. One bad file or record never stops
the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from core.article import LoadError, LoadResult, Skipped
from ingest.decode import FileProblem
from ingest.documents import load_html, load_markdown, load_pdf, load_txt
from ingest.fields import DEFAULT_FIELDS, FieldMap
from ingest.records import load_csv, load_json, load_jsonl

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".csv", ".pdf")


# Formats read whole into memory hold one article (or one JSON document); JSONL and CSV are streamed.
WHOLE_FILE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".pdf")
MAX_FILE_BYTES = 25 * 2**20


def load_articles(
    paths: Iterable[str | Path] | str | Path,
    fields: FieldMap = DEFAULT_FIELDS,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[LoadResult]:
    """Articles from files and folders (walked recursively, sorted, hidden entries skipped), one at a time.

    A file read whole (not JSONL or CSV) larger than ``max_bytes`` is refused with a ``LoadError``.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for item in _walk(path, set()):
                if isinstance(item, LoadError):
                    yield item
                else:
                    yield from load_file(item, fields, max_bytes)
        elif path.exists():
            yield from load_file(path, fields, max_bytes)
        else:
            yield LoadError(str(given), "no such file or folder; check the path")


def count_files(paths: Iterable[str | Path]) -> int:
    """How many files ``load_articles`` will open (for a progress bar's total)."""
    total = 0
    for given in paths:
        path = Path(given)
        if path.is_dir():
            total += sum(1 for item in _walk(path, set()) if not isinstance(item, LoadError))
        else:
            total += 1
    return total


def load_file(
    path: str | Path, fields: FieldMap = DEFAULT_FIELDS, max_bytes: int = MAX_FILE_BYTES
) -> Iterator[LoadResult]:
    """Articles in one file; errors become ``LoadError`` results, never exceptions."""
    path = Path(path)
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        kind = f"file type {suffix!r}" if suffix else "file without an extension"
        yield Skipped(str(path), f"unsupported {kind}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
        return
    try:
        if suffix in WHOLE_FILE_SUFFIXES and (size := path.stat().st_size) > max_bytes:
            yield LoadError(
                str(path),
                f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit for one {suffix} "
                "file; split it (or, for many records, use .jsonl), or raise --max-file-mb",
            )
            return
        yield from loader(path, fields)
    except FileProblem as exc:
        yield LoadError(str(path), str(exc))
    except OSError as exc:
        yield LoadError(str(path), f"cannot read the file: {exc.strerror or exc}; check its permissions")
    except Exception as exc:  # a broken file must not stop the corpus
        yield LoadError(str(path), f"could not load {suffix} file: {type(exc).__name__}: {exc}")


def _walk(folder: Path, seen: set[Path]) -> Iterator[Path | LoadError]:
    real = folder.resolve()
    if real in seen:  # a symlink loop
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        yield LoadError(str(folder), f"cannot list the folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(Path(entry.path), seen)
        elif entry.is_file():
            yield Path(entry.path)


_LOADERS = {
    ".txt": load_txt,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".json": load_json,
    ".jsonl": load_jsonl,
    ".csv": load_csv,
    ".pdf": load_pdf,
}
