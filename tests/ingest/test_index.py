"""Indexing into a real temp-dir Chroma with real MiniLM embeddings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.factory import open_index
from core.article import Article, LoadError
from core.settings import Settings
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
    return sorted(index.collection.get(include=[])["ids"])


def run(index, items, **kw):
    return index_articles(items, index.collection, index.articles, index.embeddings, chunk_size=120, **kw)


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
    before = index.collection.get(where={"article_id": "art1"})["ids"]
    report = run(index, [replace(article(1), text="A short replacement text about Korsk.")])
    after = index.collection.get(where={"article_id": "art1"}, include=["documents"])
    assert report.updated == 1
    assert len(before) > 1 and after["documents"] == ["A short replacement text about Korsk."]
    assert index.articles.counts() == (2, len(chunk_ids(index)))


def test_interrupted_ingest_is_completed_without_orphans(index):
    # Chunks of a longer earlier version reached Chroma, but the run died before the article was recorded.
    run(index, [replace(article(1), text=BODY + " " + BODY)])
    index.articles.delete(["art1"])
    run(index, [article(1)])
    stored = index.collection.get(where={"article_id": "art1"}, include=["metadatas"])
    assert sorted(m["chunk_index"] for m in stored["metadatas"]) == list(
        range(index.articles.get("art1").chunks)
    )


def test_bad_items_are_reported_and_the_rest_indexed(index):
    report = run(index, [LoadError("bad.json", "invalid JSON at line 1"), article(3)])
    assert report.added == 1
    assert report.errors == [LoadError("bad.json", "invalid JSON at line 1")]


def test_chunks_carry_offsets_into_the_stored_article(index):
    run(index, [article(4)])
    got = index.collection.get(where={"article_id": "art4"}, include=["documents", "metadatas"])
    text = index.articles.text("art4")
    for doc, meta in zip(got["documents"], got["metadatas"], strict=True):
        assert text[meta["start"] : meta["end"]] == doc
        assert meta["title"] == "Article 4" and meta["published"] == "2024-01-04"


def test_opening_a_collection_with_another_embedder_is_refused(tmp_path, index):
    from core.errors import ConfigError
    from store.chroma import open_collection

    with pytest.raises(ConfigError, match="built with the 'minilm' embedding model"):
        open_collection(index.settings.data_dir, "tst", "mpnet")
