"""BM25 built a page at a time (the streamed mirror build) is the index bm25s builds over all texts at once."""

from __future__ import annotations

import numpy as np
import pytest

from store.bm25 import Bm25, Bm25Builder

WORDS = (
    "Dockworkers at the Velmora port walked out on Monday union leader Ada Brenn said the strike would last "
    "until wages rose ships queued outside harbour voters in Tarsova elected Ilyan Vostrik president 54 "
    "percent the of and 2023 XVI Hamlin's running runs ran"
).split()


@pytest.mark.parametrize("page", [1, 7, 100, 5000])
def test_a_paged_build_is_the_one_bm25s_builds(page: int) -> None:
    rng = np.random.default_rng(page)
    texts = [" ".join(rng.choice(WORDS, rng.integers(0, 60))) for _ in range(400)]
    texts += ["", "the of and", "Zebra crossing", "Zebra"]  # no words, only stopwords, a new word late
    whole = Bm25.build(texts)
    builder = Bm25Builder()
    for at in range(0, len(texts), page):
        builder.add(texts[at : at + page])
    paged = builder.finish()
    assert paged.size == whole.size == len(texts)
    assert paged.bm25.vocab_dict == whole.bm25.vocab_dict
    for part in ("data", "indices", "indptr"):
        assert paged.bm25.scores[part].dtype == whole.bm25.scores[part].dtype
        assert np.array_equal(paged.bm25.scores[part], whole.bm25.scores[part])
    for query in ("Brenn strike", "Zebra", "running", "Vostrik 54 percent", "the"):
        assert paged.search(query, 10) == whole.search(query, 10)


def test_an_empty_build_finds_nothing(tmp_path) -> None:
    empty = Bm25Builder().finish()
    assert empty.size == 0 and empty.search("anything", 5) == []
    empty.save(tmp_path)
    assert Bm25.load(tmp_path, 0).search("anything", 5) == []
