"""Which record field holds what (``FieldMap``), page metadata that scrapers keep beside the article, and
the ``Article`` a cleaned body and its metadata become."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.article import Article, LoadError, article_id
from core.errors import ConfigError
from ingest.clean import clean_text
from ingest.meta import (
    looks_like_url,
    parse_authors,
    parse_date,
    source_from_url,
)


class FieldSpecError(ConfigError, ValueError):
    """A ``--fields`` string that cannot be read; the message says which item and how to write it."""


FIELDS = ("title", "text", "url", "published", "author", "source")


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
        for name in FIELDS:
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
            elif key in FIELDS:
                overrides[key] = tuple(name.strip() for name in value.split("|") if name.strip())
            else:
                raise FieldSpecError(
                    f"--fields has an unknown name {key!r}; use {', '.join(FIELDS)} or records"
                )
        return cls(**overrides)


DEFAULT_FIELDS = FieldMap()


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
class RecordMeta:
    title: str = ""
    url: str = ""
    published: str = ""
    author: str = ""
    source: str = ""
    site_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def lower_keys(record: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in record.items()}


def lookup(record: dict[str, Any], name: str) -> Any:
    """Value of ``name`` in a record with lower-cased keys; a dotted name walks into nested objects."""
    name = name.lower()
    if name in record:
        return record[name]
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # longest key first: "dc.date.issued" may be one key
        inner = record.get(".".join(parts[:cut]))
        if isinstance(inner, Mapping):
            return lookup(lower_keys(inner), ".".join(parts[cut:]))
    return None


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def field_values(record: dict[str, Any], names: Iterable[str], fallback: str = "") -> Iterator[Any]:
    """Present values of ``names`` in order, then of the page-metadata fallbacks for ``fallback``."""
    for name in names:
        value = lookup(record, name)
        if _present(value):
            yield value
    for container in _META_CONTAINERS:
        inner = record.get(container)
        if fallback and isinstance(inner, Mapping):
            yield from field_values(lower_keys(inner), _META_FALLBACKS[fallback])


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple):
        return next((s for s in map(_as_str, value) if s), "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def record_meta(record: dict[str, Any], fields: FieldMap) -> RecordMeta:
    """Title, url, date, author and source of a record, with page-metadata fallbacks."""
    meta = RecordMeta(
        title=next(filter(None, map(_as_str, field_values(record, fields.title, "title"))), ""),
        url=next(filter(None, map(_as_str, field_values(record, fields.url, "url"))), ""),
        published=next(
            filter(None, map(parse_date, field_values(record, fields.published, "published"))), ""
        ),
        author=next(filter(None, map(parse_authors, field_values(record, fields.author, "author"))), ""),
        source=next(filter(None, map(_as_str, field_values(record, fields.source))), ""),
    )
    for container in _META_CONTAINERS:
        inner = record.get(container)
        if isinstance(inner, Mapping):
            sites = field_values(lower_keys(inner), _META_FALLBACKS["source"])
            meta.site_name = meta.site_name or next(filter(None, map(_as_str, sites)), "")
    return meta


def has_text_field(record: dict[str, Any], fields: FieldMap) -> bool:
    return any(lookup(record, name) is not None for name in fields.text)


def text_value(value: Any) -> str:
    if isinstance(value, list | tuple):  # paragraphs
        return "\n\n".join(text_value(part) for part in value)
    if isinstance(value, str):
        return value
    return "" if value is None or isinstance(value, Mapping) else str(value)


def make_article(
    path: Path, where: str, body: str, meta: RecordMeta, prefix: str = "", *, document: bool = False
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
