"""Metadata helpers: dates, authors, source names, and the header blocks of text and markdown files."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

_parse_with_default: Callable[[str, datetime], datetime] | None
try:  # python-dateutil comes with most installs (pandas, htmldate, ...); plain formats cover the rest
    from dateutil import parser as _dateutil_parser

    def _dateutil_parse(text: str, default: datetime) -> datetime:
        return _dateutil_parser.parse(text, default=default)

    _parse_with_default = _dateutil_parse
except ImportError:  # pragma: no cover - depends on the environment
    _parse_with_default = None

try:  # PyYAML reads real front matter (lists, quoting); without it a simple "key: value" reader is used
    import yaml as _yaml
except ImportError:  # pragma: no cover - depends on the environment
    _yaml = None

_EARLIEST = date(1900, 1, 1)
_FUTURE_SLACK = timedelta(days=2)
_EPOCH_MS = 10**11  # numbers above this are milliseconds since the epoch, below it seconds
_FALLBACK_FORMATS = (
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d.%m.%Y",
    "%m/%d/%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%a, %d %b %Y %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S",
)
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]|$)")
_SLASH_DAY = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:\D|$)")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")
_HEADER_LINE = re.compile(r"([A-Za-z][\w .-]{0,30}?)\s*:\s*(.*)")
_JUNK_AUTHOR = re.compile(
    r"(?:view|see|more) all (?:posts|articles|stories)(?: by .*)?|admin|unknown|none|null|n/?a"
)


def parse_date(value: Any) -> str:
    """Date of ``value`` as "YYYY-MM-DD", or "" when it is missing, unparseable, before 1900 or in the future.

    Accepts ISO strings, "2023/01/05", "Jan 27, 2017", RFC 2822, PDF dates ("D:20170127..."),
    epoch seconds or milliseconds, ``{"$date": ms}``, and ``date``/``datetime`` objects.
    A value without a day ("2017", "January 2017") gives "" rather than an invented day.
    """
    day = _to_date(value)
    if day is None or not _EARLIEST <= day <= datetime.now(UTC).date() + _FUTURE_SLACK:
        return ""
    return day.isoformat()


def _to_date(value: Any) -> date | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        return _from_epoch(value)
    if isinstance(value, dict):
        for key in ("$date", "$numberLong", "date", "value"):
            if key in value:
                return _to_date(value[key])
        return None
    if isinstance(value, list | tuple):
        return next((d for d in map(_to_date, value) if d is not None), None)
    if isinstance(value, str):
        return _date_from_text(value.strip())
    return None


def _from_epoch(number: float) -> date | None:
    seconds = number / 1000 if abs(number) >= _EPOCH_MS else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).date()
    except (OverflowError, OSError, ValueError):
        return None


def _date_from_text(text: str) -> date | None:
    if not text or len(text) > 100:
        return None
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        return _from_epoch(float(text))
    match = (
        _ISO_DAY.match(text)
        or _SLASH_DAY.match(text)
        or _PDF_DATE.match(text)
        or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    )
    if match:
        return _safe_date(*(int(g) for g in match.groups()))
    return _parse_free_text(text)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse_free_text(text: str) -> date | None:
    if _parse_with_default is not None:
        try:
            # Parse twice with different defaults: if the results differ, the text had no full date.
            first = _parse_with_default(text, datetime(2000, 1, 1))
            second = _parse_with_default(text, datetime(2001, 2, 2))
        except (ValueError, OverflowError, TypeError):
            return None
        return first.date() if first.date() == second.date() else None
    for fmt in _FALLBACK_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def source_from_url(url: str) -> str:
    """The URL's host without "www." and port ("https://www.cnn.com/x" -> "cnn.com"), or ""."""
    url = (url or "").strip()
    if not url:
        return ""
    if "://" not in url and not url.startswith("//"):
        url = "//" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def looks_like_url(value: str) -> bool:
    """True for "http://x.com/...", "//x.com", "www.x.com": a value naming a place, not a person or site."""
    value = value.strip().lower()
    return value.startswith(("http://", "https://", "//", "www.")) or (" " not in value and "/" in value)


def parse_authors(value: Any) -> str:
    """Authors as "A, B": from a list, a dict with "name", a string, or a string holding a list "['A', 'B']".

    Drops empty entries, URLs, scraper junk ("View All Posts"), duplicates, and an entry that is just the
    other entries run together ("Amir Vera Dakin Andone", "Amir Vera", "Dakin Andone").
    """
    names = _author_names(value)
    kept: list[str] = []
    for name in names:
        name = re.sub(r"^by\s+", "", " ".join(name.split()), flags=re.IGNORECASE).strip(" ,;|")
        if not name or looks_like_url(name) or _JUNK_AUTHOR.fullmatch(name.lower()):
            continue
        if name.lower() not in {k.lower() for k in kept}:
            kept.append(name)
    return ", ".join(n for n in kept if not _is_run_together(n, kept))


def _author_names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        return _author_names(value.get("name") or value.get("Name"))
    if isinstance(value, list | tuple):
        return [name for item in value for name in _author_names(item)]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        for load in (json.loads, ast.literal_eval):
            try:
                parsed = load(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(parsed, list):
                return _author_names(parsed)
    return [text]


def _is_run_together(name: str, names: Iterable[str]) -> bool:
    parts = [other for other in names if other != name and other in name]
    return len(parts) >= 2 and sorted(" ".join(parts).split()) == sorted(name.split())


_HEADER_KEYS = {
    "title",
    "headline",
    "source",
    "site",
    "publisher",
    "url",
    "link",
    "author",
    "authors",
    "byline",
    "published",
    "date",
    "publish_date",
    "published_at",
    "pubdate",
}


def split_header(text: str) -> tuple[dict[str, str], str]:
    """Split a leading block of "Key: value" lines, ended by a blank line, from the body of a text file.

    Returns ``({}, text)`` unless every line of the first paragraph is "Key: value" and at least one key is
    a metadata name (title, url, author, source, published, date...): a first paragraph that merely starts
    with "Washington: ..." is body text.
    """
    head, sep, body = text.lstrip("\n").partition("\n\n")
    if not sep:
        return {}, text
    header: dict[str, str] = {}
    for line in head.split("\n"):
        match = _HEADER_LINE.fullmatch(line.strip())
        if not match:
            return {}, text
        header[match.group(1).strip()] = match.group(2).strip()
    if not {key.lower() for key in header} & _HEADER_KEYS:
        return {}, text
    return header, body


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split YAML-like front matter between "---" lines from a markdown body; ``({}, text)`` when none."""
    match = re.match(r"---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)", text.lstrip("\ufeff"), re.DOTALL)
    if not match:
        return {}, text
    block, body = match.group(1), text.lstrip("\ufeff")[match.end() :]
    data: Any = None
    if _yaml is not None:
        try:
            data = _yaml.safe_load(block)
        except _yaml.YAMLError:
            data = None
    if not isinstance(data, dict):
        data = {}
        for line in block.split("\n"):
            key, sep, value = line.partition(":")
            if sep and key.strip() and not line.startswith((" ", "\t", "-")):
                data[key.strip()] = value.strip().strip("'\"")
    return {str(k): v for k, v in data.items()}, body
