"""Load articles from files and folders: text, markdown, HTML, JSON, JSONL, CSV and PDF.

``load_articles`` streams one result at a time: an ``Article``, a ``LoadError`` for a file or record that
could not be read, or ``Skipped`` for a file of a type it does not read. One bad file or record never stops
the rest.
"""

from __future__ import annotations

import csv
import html
import itertools
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

from assistant.errors import ConfigError
from ingest.article import Article, LoadError, article_id
from ingest.clean import clean_text, strip_markdown
from ingest.meta import (
    looks_like_url,
    parse_authors,
    parse_date,
    source_from_url,
    split_front_matter,
    split_header,
)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".csv", ".pdf")
MAX_TITLE_LINE = 200  # a first line this long is body text, not a title


@dataclass(frozen=True)
class Skipped:
    """A file that is not in an article format (an image, a spreadsheet...): reported, not an error."""

    path: str
    reason: str


LoadResult: TypeAlias = Article | LoadError | Skipped


class FieldSpecError(ConfigError, ValueError):
    """A ``--fields`` string that cannot be read; the message says which item and how to write it."""


_FIELDS = ("title", "text", "url", "published", "author", "source")


@dataclass(frozen=True)
class FieldMap:
    """Field names to try, in order and case-insensitively, for records in JSON, JSONL and CSV files.

    A name may be a dotted path into nested objects ("meta.og.site_name"). ``records_key`` names a list field
    holding the records ("search_result"); without it such a list is found when it is the only one.
    """

    title: tuple[str, ...] = ("title", "headline", "name")
    text: tuple[str, ...] = ("text", "content", "body", "article", "maintext")
    url: tuple[str, ...] = ("url", "link", "canonical_link", "source_url")
    published: tuple[str, ...] = (
        "published",
        "publish_date",
        "published_at",
        "date",
        "pubdate",
        "datePublished",
        "scraped_at",
    )
    author: tuple[str, ...] = ("author", "authors", "byline", "creator")
    source: tuple[str, ...] = ("source", "site", "site_name", "domain", "publisher", "outlet")
    records_key: str | None = None

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):  # FieldMap(text="body") means FieldMap(text=("body",))
                object.__setattr__(self, name, (value,))
        if not self.text:
            raise ValueError("FieldMap.text needs at least one field name, e.g. FieldMap(text=('body',)).")

    @classmethod
    def from_spec(cls, spec: str) -> FieldMap:
        """FieldMap from a CLI string like "text=content,title=headline".

        "text=body|content" tries both in order; "records=items" names the list of nested records.
        Raises FieldSpecError (a ValueError) naming the bad item.
        """
        overrides: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key, sep, value = (part.strip() for part in item.partition("="))
            key = key.lower()
            if not sep or not key or not value:
                raise FieldSpecError(
                    f"--fields item {item!r} is not NAME=FIELD; write e.g. --fields text=content,title=head"
                )
            if key in ("records", "records_key"):
                overrides["records_key"] = value
            elif key in _FIELDS:
                overrides[key] = tuple(name.strip() for name in value.split("|") if name.strip())
            else:
                raise FieldSpecError(
                    f"--fields has an unknown name {key!r}; use {', '.join(_FIELDS)} or records"
                )
        return cls(**overrides)


# Formats read whole into memory hold one article (or one JSON document); JSONL and CSV are streamed.
WHOLE_FILE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".pdf")
MAX_FILE_BYTES = 25 * 2**20


def load_articles(
    paths: Iterable[str | Path] | str | Path,
    fields: FieldMap = FieldMap(),
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
    path: str | Path, fields: FieldMap = FieldMap(), max_bytes: int = MAX_FILE_BYTES
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
    except _FileProblem as exc:
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


class _FileProblem(Exception):
    """A whole file cannot be read; the message is the ``LoadError`` reason."""


# ---- bytes to text ----------------------------------------------------------------------------------------

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v") + b"\x7f"


def _check_bytes(head: bytes) -> None:
    """Raise for an empty or binary file, judged from its first bytes."""
    if not head.strip():
        raise _FileProblem("empty file")
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return
    sample = head[:8192]
    if b"\x00" in sample or sum(sample.count(b) for b in _CONTROL_BYTES) > len(sample) * 0.05:
        raise _FileProblem("binary file (not text)")


def _decode(data: bytes) -> str:
    """Text of a whole file with LF line ends: UTF-8 (with or without BOM), UTF-16/32 with BOM, or cp1252."""
    return _read_text(data).replace("\r\n", "\n").replace("\r", "\n")


def _read_text(data: bytes) -> str:
    _check_bytes(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise _FileProblem(f"not valid {encoding.upper()} text; re-save the file as UTF-8") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("cp1252")  # old Windows files; strict, so truly mixed bytes still fail
        except UnicodeDecodeError:
            raise _FileProblem(
                f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start});"
                " re-save the file as UTF-8"
            ) from None


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines of a file read as a stream, each decoded on its own (UTF-8, else cp1252)."""
    head = stream.read(8192)
    _check_bytes(head)
    stream.seek(0)
    for number, raw in enumerate(stream):
        if number == 0:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace")


# ---- records (JSON, JSONL, CSV) ---------------------------------------------------------------------------

_META_CONTAINERS = ("meta_data", "metadata", "meta")
_META_FALLBACKS = {  # page metadata that scrapers keep beside the article (FakeNewsNet "meta_data")
    "title": ("og.title", "twitter.title"),
    "url": ("og.url",),
    "published": (
        "article.published_time",
        "og.published_time",
        "pubdate",
        "dc.date.issued",
        "date",
        "datepublished",
        "publish-date",
        "sailthru.date",
    ),
    "author": ("author", "article.author", "dc.creator"),
    "source": ("og.site_name", "application-name"),
}


@dataclass
class _Meta:
    title: str = ""
    url: str = ""
    published: str = ""
    author: str = ""
    source: str = ""
    site_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _lower_keys(record: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in record.items()}


def _lookup(record: dict[str, Any], name: str) -> Any:
    """Value of ``name`` in a record with lower-cased keys; a dotted name walks into nested objects."""
    name = name.lower()
    if name in record:
        return record[name]
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # longest key first: "dc.date.issued" may be one key
        inner = record.get(".".join(parts[:cut]))
        if isinstance(inner, Mapping):
            return _lookup(_lower_keys(inner), ".".join(parts[cut:]))
    return None


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def _values(record: dict[str, Any], names: Iterable[str], fallback: str = "") -> Iterator[Any]:
    """Present values of ``names`` in order, then of the page-metadata fallbacks for ``fallback``."""
    for name in names:
        value = _lookup(record, name)
        if _present(value):
            yield value
    for container in _META_CONTAINERS:
        inner = record.get(container)
        if fallback and isinstance(inner, Mapping):
            yield from _values(_lower_keys(inner), _META_FALLBACKS[fallback])


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple):
        return next((s for s in map(_as_str, value) if s), "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _record_meta(record: dict[str, Any], fields: FieldMap) -> _Meta:
    """Title, url, date, author and source of a record, with page-metadata fallbacks."""
    meta = _Meta(
        title=next(filter(None, map(_as_str, _values(record, fields.title, "title"))), ""),
        url=next(filter(None, map(_as_str, _values(record, fields.url, "url"))), ""),
        published=next(filter(None, map(parse_date, _values(record, fields.published, "published"))), ""),
        author=next(filter(None, map(parse_authors, _values(record, fields.author, "author"))), ""),
        source=next(filter(None, map(_as_str, _values(record, fields.source))), ""),
    )
    for container in _META_CONTAINERS:
        inner = record.get(container)
        if isinstance(inner, Mapping):
            sites = _values(_lower_keys(inner), _META_FALLBACKS["source"])
            meta.site_name = meta.site_name or next(filter(None, map(_as_str, sites)), "")
    return meta


def _has_text_field(record: dict[str, Any], fields: FieldMap) -> bool:
    return any(_lookup(record, name) is not None for name in fields.text)


def _text_value(value: Any) -> str:
    if isinstance(value, list | tuple):  # paragraphs
        return "\n\n".join(_text_value(part) for part in value)
    if isinstance(value, str):
        return value
    return "" if value is None or isinstance(value, Mapping) else str(value)


def _record_result(
    record: Mapping[Any, Any], fields: FieldMap, path: Path, where: str, label: str, place: str = ""
) -> Article | LoadError:
    """One record to an Article. ``where`` ("file.jsonl:3") and ``label`` ("search_result[2]") locate errors;
    ``place`` ("line 3") and ``label`` go to ``extra["record"]``."""
    prefix = f"{label}: " if label else ""
    try:
        rec = _lower_keys(record)
        if not _has_text_field(rec, fields):
            keys = ", ".join(str(key) for key in list(record)[:12]) + (", ..." if len(record) > 12 else "")
            return LoadError(
                where,
                f"{prefix}no text field: looked for {', '.join(fields.text)} — pass --fields text=YOURFIELD"
                f" (the record has: {keys or 'no fields'})",
            )
        body = next((_text_value(v) for v in _values(rec, fields.text)), "")
        meta = _record_meta(rec, fields)
        record_place = ", ".join(filter(None, [place, label]))
        meta.extra = {"record": record_place} if record_place else {}
        return _make_article(path, where, body, meta, prefix)
    except Exception as exc:  # one odd record must not stop the file
        return LoadError(where, f"{prefix}could not read the record: {type(exc).__name__}: {exc}")


def _nested_records(record: Mapping[Any, Any], fields: FieldMap) -> tuple[str, list[Any]] | None:
    """The list of nested article records inside ``record``, with its key, or None when it is itself one.

    Without ``records_key``, when the record has no text field of its own: the only list of objects with
    a text field, else the only list of objects, else the only empty list (a search that found nothing).
    """
    rec = _lower_keys(record)
    if fields.records_key:
        value = _lookup(rec, fields.records_key)
        return (fields.records_key, value) if isinstance(value, list) else None
    if _has_text_field(rec, fields):
        return None
    objects = [
        (str(key), value)
        for key, value in record.items()
        if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value)
    ]
    with_text = [(k, v) for k, v in objects if any(_has_text_field(_lower_keys(item), fields) for item in v)]
    for candidates in (with_text, objects, [(str(k), v) for k, v in record.items() if v == []]):
        if candidates:
            return candidates[0] if len(candidates) == 1 else None
    return None


def _records_in(
    item: Any, fields: FieldMap, path: Path, where: str, label: str, place: str = ""
) -> Iterator[LoadResult]:
    if not isinstance(item, Mapping):
        yield LoadError(where, f"{label or 'record'}: is a JSON {type(item).__name__}, not an object")
        return
    nested = _nested_records(item, fields)
    if nested is None:
        yield _record_result(item, fields, path, where, label, place)
        return
    key, records = nested
    if not records:
        yield Skipped(where, f"{label + ': ' if label else ''}no articles: {key!r} is an empty list")
    for index, record in enumerate(records):
        sub = f"{label}.{key}[{index}]" if label else f"{key}[{index}]"
        if isinstance(record, Mapping):
            yield _record_result(record, fields, path, where, sub, place)
        else:
            yield LoadError(where, f"{sub}: is a JSON {type(record).__name__}, not an object")


def _load_json(path: Path, fields: FieldMap) -> Iterator[LoadResult]:
    try:
        data = json.loads(_decode(path.read_bytes()))
    except json.JSONDecodeError as exc:
        hint = "; one JSON object per line? name the file .jsonl" if exc.msg == "Extra data" else ""
        raise _FileProblem(f"invalid JSON at line {exc.lineno}: {exc.msg}{hint}") from None
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _records_in(item, fields, path, str(path), f"[{index}]")
    elif isinstance(data, dict):
        yield from _records_in(data, fields, path, str(path), "")
    else:
        raise _FileProblem(f"the JSON holds a {type(data).__name__}, not an object or a list of objects")


def _load_jsonl(path: Path, fields: FieldMap) -> Iterator[LoadResult]:
    with path.open("rb") as stream:
        for number, line in enumerate(_decoded_lines(stream), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield LoadError(where, f"invalid JSON at line {number}: {exc.msg}")
                continue
            yield from _records_in(item, fields, path, where, "", f"line {number}")


def _load_csv(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    """Rows of a CSV file; row numbers count the header as row 1, as a spreadsheet shows them."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # scraped article bodies exceed the 128 KiB default
    with path.open("rb") as stream:
        lines = _decoded_lines(stream)
        first = next(lines, "")
        delimiter = max(",;\t|", key=first.count)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
        columns = [name.strip() for name in next(reader, [])]
        if not any(name.lower() in {c.lower() for c in columns} for name in fields.text):
            raise _FileProblem(
                f"no text column: looked for {', '.join(fields.text)}; the file has columns "
                f"{', '.join(c for c in columns if c) or '(none)'} — pass --fields text=YOURCOLUMN"
            )
        for row_number in itertools.count(2):
            try:
                row = next(reader, None)
            except csv.Error as exc:
                yield LoadError(f"{path}:{row_number}", f"malformed CSV at row {row_number}: {exc}")
                return
            if row is None:
                return
            if any(cell.strip() for cell in row):
                record = dict(zip(columns, row, strict=False))
                yield _record_result(record, fields, path, f"{path}:{row_number}", "", f"row {row_number}")


# ---- documents (text, markdown, HTML, PDF) ----------------------------------------------------------------


def _load_txt(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    text = _decode(path.read_bytes())
    header, body = split_header(text)
    if header:
        meta = _record_meta(_lower_keys(header), fields)
        known = {name.lower() for name in itertools.chain(*(getattr(fields, f) for f in _FIELDS))}
        meta.extra = {key: value for key, value in header.items() if key.lower() not in known}
        yield _make_article(path, str(path), body, meta, document=True)
        return
    first, _, rest = text.strip().partition("\n")
    if len(first.strip()) < MAX_TITLE_LINE and rest.strip():
        yield _make_article(path, str(path), rest, _Meta(title=first), document=True)
    else:
        yield _make_article(path, str(path), text, _Meta(), document=True)


def _load_markdown(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    front, body = split_front_matter(_decode(path.read_bytes()))
    meta = _record_meta(_lower_keys(front), fields) if front else _Meta()
    if not meta.title:
        meta.title = _markdown_title(body)
    yield _make_article(path, str(path), strip_markdown(body), meta, document=True)


def _markdown_title(body: str) -> str:
    lines = body.split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("# "):
            return strip_markdown(stripped[2:].strip(" #"))
        nxt = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if stripped and nxt and set(nxt) == {"="}:
            return strip_markdown(stripped)
    return ""


def _load_html(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    data = path.read_bytes()
    _check_bytes(data)
    doc = trafilatura.bare_extraction(
        data, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    info: dict[str, Any] = {}
    if isinstance(doc, dict):
        info = doc
    elif doc is not None:
        info = doc.as_dict()
    body = info.get("text") or ""
    if not body.strip():
        body = trafilatura.html2txt(data) or ""  # the baseline: all visible text
    if not body.strip():
        raise _FileProblem("no article text found in the HTML page")
    meta = _Meta(
        title=info.get("title") or "",
        url=info.get("url") or "",
        published=parse_date(info.get("date")),
        author=parse_authors((info.get("author") or "").split(";")),
        site_name=info.get("sitename") or "",
    )
    yield _make_article(path, str(path), body, meta, document=True)


def _load_pdf(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    from pypdf import PdfReader  # imported here: only PDF needs it

    try:
        reader = PdfReader(path)
    except Exception as exc:
        raise _FileProblem(f"could not read PDF: {exc}; the file may be damaged or not a PDF") from None
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))  # many PDFs are encrypted with an empty user password
        except Exception:
            opened = False
        if not opened:
            raise _FileProblem("PDF is encrypted; decrypt it first (e.g. qpdf --decrypt in.pdf out.pdf)")
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Mapping[str, Any] = reader.metadata or {}
    except Exception as exc:
        raise _FileProblem(f"could not read PDF: {exc}") from None
    body = "\n\n".join(page.strip() for page in pages if page.strip())
    if not body:
        raise _FileProblem("no text in the PDF (scanned pages?); run OCR on it first, e.g. ocrmypdf")
    title = str(info.get("/Title") or "").strip()
    if title.lower() in {"", "untitled", "untitled document"} or title.lower().startswith("microsoft"):
        first = body.strip().split("\n", 1)[0].strip()
        title = first if len(first) < MAX_TITLE_LINE else ""
    meta = _Meta(
        title=title,
        author=parse_authors(str(info.get("/Author") or "")),
        published=parse_date(str(info.get("/CreationDate") or "")),
    )
    yield _make_article(path, str(path), body, meta, document=True)


# ---- the Article ------------------------------------------------------------------------------------------


def _make_article(
    path: Path, where: str, body: str, meta: _Meta, prefix: str = "", *, document: bool = False
) -> Article | LoadError:
    """The Article for a cleaned body and its metadata; LoadError when no text is left.

    ``document``: the file holds this one article (text, markdown, HTML, PDF), so it is its identity.
    """
    title = _clean_title(meta.title)
    text = clean_text(body)
    first, _, rest = text.partition("\n")
    if title and _fold(first) == _fold(title):  # the title repeated as the body's first line
        text = rest.lstrip("\n")
    if not text:
        only = " (the page holds only its title)" if title and _fold(first) == _fold(title) else ""
        return LoadError(where, f"{prefix}no article text after cleaning{only}")
    url = meta.url.strip()
    return Article(
        id=article_id(url, text, str(path) if document else ""),
        title=title or _title_from_path(path),
        text=text,
        source=_choose_source(meta.source, meta.site_name, url),
        url=url,
        author=meta.author,
        published=meta.published,
        path=str(path),
        extra=dict(meta.extra),
    )


def _clean_title(title: str) -> str:
    return " ".join(unicodedata.normalize("NFC", html.unescape(title)).split())


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _title_from_path(path: Path) -> str:
    return " ".join(path.stem.replace("_", " ").replace("-", " ").split())


def _choose_source(source: str, site_name: str, url: str) -> str:
    """The explicit source, else the site name, else the host of a source URL or of the article URL."""
    source = " ".join(source.split())
    if source and not looks_like_url(source):
        return source
    return " ".join(site_name.split()) or source_from_url(source) or source_from_url(url)


_LOADERS = {
    ".txt": _load_txt,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".json": _load_json,
    ".jsonl": _load_jsonl,
    ".csv": _load_csv,
    ".pdf": _load_pdf,
}
