"""The article record that every loader produces and every later stage consumes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TypeAlias
from urllib.parse import urlsplit, urlunsplit

ARTICLE_FIELDS = ("id", "title", "source", "url", "author", "published", "path")  # stored with each article


@dataclass(frozen=True)
class Article:
    """One cleaned article. ``text`` is the cleaned body; all offsets refer to it."""

    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    author: str = ""
    published: str = ""  # ISO 8601 date ("2017-01-27") or datetime, "" when unknown
    path: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index, so a changed article is re-indexed."""
        parts = [self.title, self.source, self.url, self.author, self.published, self.text]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class LoadError:
    """A file (or one record inside it) that could not be read; ingest reports it and goes on."""

    path: str
    reason: str


def normalize_url(url: str) -> str:
    """Canonical form of a URL for identity: lowercase scheme and host, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def article_id(url: str = "", text: str = "", path: str = "") -> str:
    """Stable id: from the normalised URL when there is one, else the file's absolute path for a file that
    holds one article (so an edited file replaces its article), else the cleaned text (records)."""
    if url.strip():
        key = "url:" + normalize_url(url)
    elif path:
        key = "path:" + os.path.abspath(path)
    else:
        key = "text:" + " ".join(text.split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Skipped:
    """A file that is not in an article format (an image, a spreadsheet...): reported, not an error."""

    path: str
    reason: str


LoadResult: TypeAlias = Article | LoadError | Skipped  # what loading one file yields, item by item
