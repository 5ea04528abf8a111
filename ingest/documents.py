"""Articles from documents: text, Markdown (front matter), HTML (boilerplate removed) and PDF files, and
the ``Article`` each becomes, with its metadata cleaned."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from core.article import Article, LoadError
from ingest.clean import strip_markdown
from ingest.decode import FileProblem, check_bytes, decode
from ingest.fields import FIELDS, FieldMap, RecordMeta, lower_keys, make_article, record_meta
from ingest.meta import (
    parse_authors,
    parse_date,
    split_front_matter,
    split_header,
)

MAX_TITLE_LINE = 200  # a first line this long is body text, not a title


def load_txt(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    text = decode(path.read_bytes())
    header, body = split_header(text)
    if header:
        meta = record_meta(lower_keys(header), fields)
        known = {name.lower() for name in itertools.chain(*(getattr(fields, f) for f in FIELDS))}
        meta.extra = {key: value for key, value in header.items() if key.lower() not in known}
        yield make_article(path, str(path), body, meta, document=True)
        return
    first, _, rest = text.strip().partition("\n")
    if len(first.strip()) < MAX_TITLE_LINE and rest.strip():
        yield make_article(path, str(path), rest, RecordMeta(title=first), document=True)
    else:
        yield make_article(path, str(path), text, RecordMeta(), document=True)


def load_markdown(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    front, body = split_front_matter(decode(path.read_bytes()))
    meta = record_meta(lower_keys(front), fields) if front else RecordMeta()
    if not meta.title:
        meta.title = _markdown_title(body)
    yield make_article(path, str(path), strip_markdown(body), meta, document=True)


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


def load_html(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    data = path.read_bytes()
    check_bytes(data)
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
        raise FileProblem("no article text found in the HTML page")
    meta = RecordMeta(
        title=info.get("title") or "",
        url=info.get("url") or "",
        published=parse_date(info.get("date")),
        author=parse_authors((info.get("author") or "").split(";")),
        site_name=info.get("sitename") or "",
    )
    yield make_article(path, str(path), body, meta, document=True)


def load_pdf(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    from pypdf import PdfReader  # imported here: only PDF needs it

    try:
        reader = PdfReader(path)
    except Exception as exc:
        raise FileProblem(f"could not read PDF: {exc}; the file may be damaged or not a PDF") from None
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))  # many PDFs are encrypted with an empty user password
        except Exception:
            opened = False
        if not opened:
            raise FileProblem("PDF is encrypted; decrypt it first (e.g. qpdf --decrypt in.pdf out.pdf)")
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Mapping[str, Any] = reader.metadata or {}
    except Exception as exc:
        raise FileProblem(f"could not read PDF: {exc}") from None
    body = "\n\n".join(page.strip() for page in pages if page.strip())
    if not body:
        raise FileProblem("no text in the PDF (scanned pages?); run OCR on it first, e.g. ocrmypdf")
    title = str(info.get("/Title") or "").strip()
    if title.lower() in {"", "untitled", "untitled document"} or title.lower().startswith("microsoft"):
        first = body.strip().split("\n", 1)[0].strip()
        title = first if len(first) < MAX_TITLE_LINE else ""
    meta = RecordMeta(
        title=title,
        author=parse_authors(str(info.get("/Author") or "")),
        published=parse_date(str(info.get("/CreationDate") or "")),
    )
    yield make_article(path, str(path), body, meta, document=True)
