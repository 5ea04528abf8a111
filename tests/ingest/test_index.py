"""Indexing into a real temp-dir Chroma with real MiniLM embeddings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.article import Article, LoadError
from core.settings import Settings
from ingest.collection import open_index
from ingest.index import index_articles

BODY = (
    "The Velmora port authority reported 412 containers stranded. Dockworkers walked out on Monday. "
    "The union leader, Ada Brenn, said talks would resume. Shipping lines diverted vessels to Korsk."
)


@pytest.fixture
def index(tmp_path, embeddings):
    return open_index(Settings(data_dir=tmp_path, collection="tst", llm="extractive"))


def article(n: int, text: str = BODY) -> Article:
    return Article(id=f"art{n}", title=f"Article {n}", text=text, source="Ledger", published=f"2024-01-0{n}")


def chunk_ids(index) -> list[str]:
    return sorted(c.id for page in index.chunks.pages() for c in page)


def run(index, items, **kw):
    return index_articles(
        items, chunks=index.chunks, articles=index.articles, embeddings=index.embeddings, chunk_size=120, **kw
    )


def test_reingest_does_not_duplicate_chunks(index):
    first = run(index, [article(1), article(2)])
    ids = chunk_ids(index)
    second = run(index, [article(1), article(2)])
    assert first.added == 2 and first.chunks == len(ids) > 2
    assert second.added == second.updated == second.chunks == 0
    assert second.unchanged == 2
    assert chunk_ids(index) == ids


def test_changed_article_replaces_its_chunks(index):
    run(index, [article(1), article(2)])
    before = [c.id for c in index.chunks.of_articles(["art1"])]
    report = run(index, [replace(article(1), text="A short replacement text about Korsk.")])
    after = [c.text for c in index.chunks.of_articles(["art1"])]
    assert report.updated == 1
    assert len(before) > 1 and after == ["A short replacement text about Korsk."]
    assert index.articles.counts() == (2, len(chunk_ids(index)))


def test_interrupted_ingest_is_completed_without_orphans(index):
    # Chunks of a longer earlier version reached Chroma, but the run died before the article was recorded.
    run(index, [replace(article(1), text=BODY + " " + BODY)])
    index.articles.delete(["art1"])
    run(index, [article(1)])
    stored = index.chunks.of_articles(["art1"])
    assert sorted(c.meta["chunk_index"] for c in stored) == list(range(index.articles.get("art1").chunks))


def test_bad_items_are_reported_and_the_rest_indexed(index):
    report = run(index, [LoadError("bad.json", "invalid JSON at line 1"), article(3)])
    assert report.added == 1
    assert report.errors == [LoadError("bad.json", "invalid JSON at line 1")]


def test_chunks_carry_offsets_into_the_stored_article(index):
    run(index, [article(4)])
    got = index.chunks.of_articles(["art4"])
    text = index.articles.text("art4")
    assert got
    for chunk in got:
        meta = chunk.meta
        assert text[meta["start"] : meta["end"]] == chunk.text
        assert meta["title"] == "Article 4" and meta["published"] == "2024-01-04"


def test_opening_a_collection_with_another_embedder_is_refused(tmp_path, index):
    from core.errors import ConfigError
    from store.chunk_index import open_chunk_index

    with pytest.raises(ConfigError, match="built with the 'minilm' embedding model"):
        open_chunk_index(index.settings.data_dir, "tst", "mpnet", index.articles)
