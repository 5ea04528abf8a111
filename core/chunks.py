"""The chunk schema: what every vector in the store carries, and the text that is embedded and searched.

Ingest writes it, the retriever and the BM25 index read it: one definition, so the three agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from core.article import ARTICLE_FIELDS, Article


def chunk_metadata(article: Article, index: int, start: int, end: int) -> dict[str, Any]:
    """What each vector carries, so a search hit can be cited, and filtered, without another lookup."""
    meta = {f: getattr(article, f) for f in ARTICLE_FIELDS if f != "id"}
    return {
        "article_id": article.id,
        "chunk_index": index,
        "start": start,
        "end": end,
        "published_day": day_number(article.published),
        **meta,
    }


def day_number(published: str) -> int:
    """An ISO date as the integer YYYYMMDD (Chroma compares numbers only); 0 when there is no date."""
    try:
        return int(date.fromisoformat(published[:10]).strftime("%Y%m%d"))
    except ValueError:
        return 0


def contextual_text(title: str, source: str, published: str, text: str) -> str:
    """A chunk under its article's title and a "source · date" line: what is embedded and what BM25 sees.

    A chunk alone often lacks the names its article's headline carries ("the minister said..."), and the
    source and date let "Reuters, January 2017" style questions match (contextual chunks, as Onyx does).
    """
    byline = " · ".join(x for x in (source, published[:10]) if x)
    head = "\n".join(x for x in (title, byline) if x)
    return f"{head}\n{text}" if head else text


def stored_contextual_text(meta: Mapping[str, Any], text: str) -> str:
    """``contextual_text`` of a stored chunk, from its ``chunk_metadata``."""
    return contextual_text(
        str(meta.get("title", "")), str(meta.get("source", "")), str(meta.get("published", "")), text
    )


# What each chunk's vector and metadata hold. 1: title + text embedded; 2: title, source and date embedded
# (contextual chunks), and a numeric ``published_day`` to filter on. Ingest re-indexes an older collection.
INDEX_FORMAT = 2
