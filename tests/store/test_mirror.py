"""The chunk mirror over a real Chroma collection: BM25 with exact names, masks, vectors, persistence and staleness."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from core.article import Article
from core.chunks import INDEX_FORMAT, contextual_text
from core.filters import SearchFilter, matching
from core.settings import Settings
from ingest.collection import Index
from ingest.index import index_articles
from store.articles import open_article_store
from store.chunk_index import open_chunk_index
from store.mirror import build, fingerprint, load, open_mirror, text_key
from store.vectors import (
    SMALL,
    VectorMirror,
    VectorWriter,
    _Float32Scan,
    _Int8Scan,
    _NumpyScan,
    _SketchScan,
    load_sketch,
    quantize,
)

ARTICLES = [
    Article(
        id="port",
        title="Dockworkers strike at Velmora port",
        text="Dockworkers at the Velmora port walked out on Monday. Union leader Ada Brenn said the strike "
        "would last until wages rose. Ships queued outside the harbour.",
        source="The Ledger",
        author="Ines Okafor",
        published="2023-01-05",
    ),
    Article(
        id="vote",
        title="Tarsova elects a new president",
        text="Voters in Tarsova elected Ilyan Vostrik president with 54 percent of the vote. His rival conceded "
        "on Sunday night. Turnout was the highest in a decade.",
        source="Reuters",
        author="Mara Quint",
        published="2023-02-12",
    ),
    Article(
        id="bank",
        title="Kestria raises interest rates",
        text="The central bank of Kestria raised interest rates again. Governor Lena Varro warned that prices "
        "were still climbing fast.",
        source="Reuters",
        author="Tomas Bell and Ines Okafor",
        published="2023-03-01",
    ),
    Article(
        id="probe",
        title="Probe reaches the outer moon",
        text="The Kepler-Vance probe entered orbit around the outer moon after a six-year flight. Engineers "
        "cheered in the control room.",
        source="Associated Press",
        published="2023-04-10",
    ),
    Article(
        id="harvest",
        title="Harvest fails after drought",
        text="A long drought ruined the barley harvest in the Ambrel valley. Farmers asked the government for help.",
        source="Associated Press",
    ),
]
NEW = Article(
    id="ferry",
    title="Ferry service resumes",
    text="The Quillonby ferry sailed again after repairs to its engines. Passengers praised the crew.",
    source="The Ledger",
    published="2023-05-02",
)


def _index(data_dir: Path, embeddings) -> Index:
    """An ``Index`` as ``open_index`` builds it, reusing the session's MiniLM embedder."""
    settings = Settings(data_dir=data_dir, collection="news", llm="extractive")
    articles = open_article_store(data_dir, "news")
    return Index(open_chunk_index(data_dir, "news", "minilm", articles), articles, embeddings, settings)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, embeddings) -> Index:
    """Read-only for tests: the five articles ingested once."""
    index = _index(tmp_path_factory.mktemp("mirror-shared"), embeddings)
    report = index.ingest(ARTICLES)
    assert report.added == len(ARTICLES) and not report.errors
    return index


@pytest.fixture
def fresh(tmp_path, embeddings) -> Index:
    """A private copy that tests may change."""
    index = _index(tmp_path, embeddings)
    index.ingest(ARTICLES)
    return index


def article_ids(index: Index, hits: list[tuple[int, float]]) -> list[str]:
    return [str(index.chunks.mirror.article_ids[i]) for i, _ in hits]


def dense_article_ids(index: Index, query: str) -> list[str]:
    vector = np.asarray(index.embeddings.embed_query(query), dtype=np.float32)
    hits = index.chunks.dense(vector, len(ARTICLES), SearchFilter())
    stored = index.chunks.get([h.chunk_id for h in hits])
    return [stored[h.chunk_id].meta["article_id"] for h in hits]


def test_indexes_every_chunk_with_its_filter_fields(shared: Index) -> None:
    mirror = shared.chunks.mirror
    assert len(mirror) == shared.chunks.count() == len(ARTICLES)
    assert sorted(mirror.ids) == sorted(c.id for page in shared.chunks.pages() for c in page)
    fields = {
        str(a): (int(d), str(s), str(w))
        for a, d, s, w in zip(mirror.article_ids, mirror.days, mirror.sources, mirror.authors, strict=True)
    }
    assert fields["vote"] == (20230212, "Reuters", "Mara Quint")
    assert fields["harvest"] == (0, "Associated Press", "")


def test_rare_exact_name_is_found_first_where_dense_ranks_it_lower(shared: Index) -> None:
    assert dense_article_ids(shared, "Brenn")[0] != "port"  # MiniLM blurs the union leader's name
    hits = shared.chunks.mirror.bm25.search("Brenn", 5)
    assert article_ids(shared, hits) == ["port"]
    assert hits[0][1] > 0


@pytest.mark.parametrize(
    ("query", "expected"), [("Vostrik", "vote"), ("Kepler-Vance", "probe"), ("Varro", "bank")]
)
def test_names_find_their_article(shared: Index, query: str, expected: str) -> None:
    assert article_ids(shared, shared.chunks.mirror.bm25.search(query, 3))[0] == expected


def test_title_and_source_are_searchable(shared: Index) -> None:
    # The title's "reaches" and the source are not in the chunk text, only in its contextual header.
    assert article_ids(shared, shared.chunks.mirror.bm25.search("reaches", 3)) == ["probe"]
    assert set(article_ids(shared, shared.chunks.mirror.bm25.search("Associated Press", 5))) == {
        "probe",
        "harvest",
    }


@pytest.mark.parametrize("query", ["zzqx blorftal", "the of and", ""])
def test_query_without_known_words_finds_nothing(shared: Index, query: str) -> None:
    assert shared.chunks.mirror.bm25.search(query, 5) == []


def test_scores_are_positive_and_best_first(shared: Index) -> None:
    hits = shared.chunks.mirror.bm25.search("Kestria interest rates drought harvest", 5)
    scores = [s for _, s in hits]
    assert set(article_ids(shared, hits)) == {"bank", "harvest"}
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)


def test_mask_restricts_results(shared: Index) -> None:
    mirror = shared.chunks.mirror
    query = "Brenn Vostrik Varro"
    assert set(article_ids(shared, mirror.bm25.search(query, 5))) == {"port", "vote", "bank"}
    reuters = mirror.sources == "Reuters"
    assert set(article_ids(shared, mirror.bm25.search(query, 5, reuters))) == {"vote", "bank"}
    only_port = np.asarray(mirror.article_ids == "port")
    assert article_ids(shared, mirror.bm25.search(query, 5, only_port)) == ["port"]
    nothing = np.zeros(len(mirror), dtype=bool)
    assert mirror.bm25.search(query, 5, nothing) == []


def test_text_keys_identify_texts_up_to_whitespace(shared: Index) -> None:
    assert text_key("Floods close  the\nbridge.") == text_key(" Floods close the bridge. ")
    assert text_key("Floods close the bridge.") != text_key("Floods closed the bridge.")
    stored = shared.chunks.get(shared.chunks.mirror.ids)
    assert shared.chunks.mirror.text_keys.tolist() == [
        text_key(stored[i].text) for i in shared.chunks.mirror.ids
    ]


@pytest.fixture(scope="module")
def many(shared: Index) -> tuple[np.ndarray, np.ndarray]:
    """Real embeddings of 600 similar texts (shuffled words of the articles), and of 40 of them as queries."""
    rng = np.random.default_rng(0)
    words = " ".join(a.text for a in ARTICLES).split()
    texts = [" ".join(rng.choice(words, 40)) for _ in range(600)]
    vectors = np.asarray(shared.embeddings.embed_documents(texts), dtype=np.float32)
    return vectors, vectors[:40].copy()


def test_scan_finds_the_exact_nearest_chunks(many: tuple[np.ndarray, np.ndarray]) -> None:
    """The scans of a large collection, int8 (a CPU with AVX2) and float32 (one without): both find the
    chunks exact cosine ranks first among the 30 candidates the retriever takes (whose cosines it then
    computes exactly)."""
    vectors, queries = many
    exact = vectors @ queries.T
    for scan in (_Int8Scan(*quantize(vectors)), _Float32Scan(vectors)):
        for column, query in enumerate(queries):
            sims = scan.similarities(query)
            assert np.abs(sims - exact[:, column]).max() < 0.02
            assert int(np.argmax(sims)) == column  # each text is its own nearest neighbour
            best = set(np.argsort(-exact[:, column])[:10].tolist())
            assert best <= set(np.argsort(-sims)[:30].tolist())


def test_the_scan_is_chosen_by_size_and_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(SMALL + 1, 16)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    small, large = VectorMirror(rows[:SMALL]), VectorMirror(rows)
    assert isinstance(small._scan, _NumpyScan) and isinstance(large._scan, _Int8Scan)
    query = rows[7]
    assert np.array_equal(small._scan.similarities(query), rows[:SMALL] @ query)  # exact
    assert np.abs(large._scan.similarities(query)[:SMALL] - rows[:SMALL] @ query).max() < 0.02
    assert small.nearest(query, 3)[0] == large.nearest(query, 3)[0] == 7
    monkeypatch.setattr("store.vectors.int8_scan", lambda: False)  # a CPU without AVX2
    assert isinstance(VectorMirror(rows)._scan, _Float32Scan)
    assert VectorMirror(rows).nearest(query, 3) == large.nearest(query, 3)


def test_a_sketched_scan_finds_what_an_exact_search_finds(
    many: tuple[np.ndarray, np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``SKETCH_ABOVE`` rows the mirror is saved with a sketch (int8 codes of a projection), whose
    best rows the full codes re-score: searches, filtered or not, find what an exact search finds, but for a
    near-tie now and then (these texts are shuffles of one set of words, far closer than news chunks)."""
    vectors, queries = many
    monkeypatch.setattr("store.vectors.SMALL", 50)
    monkeypatch.setattr("store.vectors.SKETCH_ABOVE", 100)
    monkeypatch.setattr("store.vectors.SKETCH_DIMS", 32)
    monkeypatch.setattr("store.vectors.SKETCH_POOL", 60)  # a tenth of the rows, as 4,000 of 40,000
    writer = VectorWriter(tmp_path)
    for at in range(0, len(vectors), 128):  # pages, as a build writes them
        writer.add(vectors[at : at + 128])
    writer.finish()
    assert not (tmp_path / "vectors.raw").exists()
    saved = VectorMirror(
        np.load(tmp_path / "vectors.npy", mmap_mode="r"),
        (np.load(tmp_path / "vectors.int8.npy"), np.load(tmp_path / "vectors.scale.npy")),
        load_sketch(tmp_path, len(vectors)),
    )
    assert np.array_equal(saved.matrix, vectors)
    assert (
        saved.sketch is not None
        and saved.sketch.codes.shape == (600, 32)
        and len(saved.sketch.centroids) == 24
    )
    assert sorted(saved.sketch.rows.tolist()) == list(range(600))  # every row in one list
    assert isinstance(saved._scan, _SketchScan)
    half = np.arange(len(vectors)) % 2 == 0
    for share, floor in ((1, 0.98), (8, 0.9)):  # every list read; the lists nearest, 240 of the 600 rows
        monkeypatch.setattr("store.vectors.PROBE_SHARE", share)
        found = {"all": 0, "half": 0}
        for column, query in enumerate(queries):
            exact = np.argsort(-(vectors @ query), kind="stable")
            nearest = saved.nearest(query, 10)
            assert nearest[0] == column  # each text is its own nearest neighbour
            assert nearest == sorted(nearest, key=lambda i: -float(vectors[i] @ query))  # by exact cosine
            found["all"] += len(set(nearest) & set(exact[:10].tolist()))
            within = saved.nearest(query, 10, half)
            assert all(half[i] for i in within)
            found["half"] += len(set(within) & set([int(i) for i in exact if half[i]][:10]))
        assert min(found.values()) >= floor * 10 * len(queries), (share, found)
    one = np.zeros(len(vectors), dtype=bool)
    one[[3, 599]] = True  # a filter that leaves two rows: every list is read
    assert sorted(saved.nearest(queries[3], 10, one)) == [3, 599]
    # A filter that leaves a quarter of the rows, all far from the question: the lists nearest it hold too few,
    # so every list is read (the fallback), and the search still returns the nearest allowed rows.
    monkeypatch.setattr("store.vectors.SKETCH_POOL", 10)
    full = []
    scan = saved._scan
    assert isinstance(scan, _SketchScan)
    monkeypatch.setattr(
        scan.first, "similarities", lambda q, f=scan.first.similarities: full.append(1) or f(q)
    )
    query = queries[0]
    far = np.zeros(len(vectors), dtype=bool)
    far[np.argsort(vectors @ query)[:150]] = True  # the lists nearest the question hold few of these
    exact = [int(i) for i in np.argsort(-(vectors @ query), kind="stable") if far[i]]
    within = saved.nearest(query, 50, far)
    assert full and all(far[i] for i in within) and within[:3] == exact[:3]


def test_a_large_saved_mirror_is_opened_memory_mapped_with_its_int8_codes(
    fresh: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``SMALL`` chunks the int8 codes are saved with the mirror, and opening it reads them, not the
    float32 vectors (memory-mapped: a search reads only its candidates' rows); searches are exact."""
    monkeypatch.setattr("store.vectors.SMALL", 2)  # the five test articles count as a large collection
    built = build(fresh.chunks.pages, fresh.articles, fresh.chunks.mirror_dir, INDEX_FORMAT)
    assert (fresh.chunks.mirror_dir / "vectors.int8.npy").exists()
    assert not (fresh.chunks.mirror_dir / "sketch.int8.npy").exists()  # 5 rows: no sketch
    loaded = load(fresh.chunks.mirror_dir)
    assert loaded is not None and isinstance(loaded.vectors.matrix, np.memmap)
    assert loaded.vectors.int8 is not None and isinstance(loaded.vectors._scan, _Int8Scan)
    codes, scales = quantize(np.asarray(loaded.vectors.matrix))
    assert np.array_equal(loaded.vectors.int8[0], codes) and np.array_equal(loaded.vectors.int8[1], scales)
    for query in ("Brenn", "interest rates in Kestria", "a probe reaches a comet"):
        vector = np.asarray(fresh.embeddings.embed_query(query), dtype=np.float32)
        exact = np.argsort(-(np.asarray(loaded.vectors.matrix) @ vector), kind="stable")
        assert loaded.vectors.nearest(vector, 3) == built.vectors.nearest(vector, 3) == exact[:3].tolist()


def test_text_and_metadata_come_from_the_article_store_as_chroma_has_them(
    fresh: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hit's text is its article's text between its offsets, its metadata the article's fields: what Chroma
    stores for it, read without Chroma. A chunk whose article changed behind the mirror's back (an ingest
    under way) is read from Chroma instead."""
    chunks = fresh.chunks
    ids = chunks.mirror.ids
    from_chroma = chunks._stored(ids)
    reads: list[list[str]] = []
    original = chunks._stored
    monkeypatch.setattr(chunks, "_stored", lambda wanted: reads.append(list(wanted)) or original(wanted))
    served = chunks.get(ids)
    assert reads == []
    assert {i: (c.text, c.meta) for i, c in served.items()} == {
        i: (c.text, c.meta) for i, c in from_chroma.items()
    }
    assert chunks.get(["no-such-chunk"]) == {} and reads == [["no-such-chunk"]]
    reads.clear()
    port = fresh.articles.article("port")
    assert port is not None
    fresh.articles.put(replace(port, text="Rewritten. " + port.text), 1)  # the chunks still hold the old text
    port_chunk = next(i for i in ids if i.startswith("port"))
    assert chunks.get([port_chunk])[port_chunk].text == from_chroma[port_chunk].text
    assert reads == [[port_chunk]]


def test_a_process_that_searches_holds_numpys_blas_to_one_thread(shared: Index) -> None:
    """Its idle threads spin on the cores torch's kernels wait for (core.cpu.one_blas_thread)."""
    from threadpoolctl import threadpool_info

    assert len(shared.chunks.mirror) == len(ARTICLES)
    assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}


def test_a_search_never_reads_chroma(fresh: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the mirror is open, a search, with its passages' text and metadata, reads neither Chroma's HNSW
    index nor its records (either read loads the collection's vector segment: 2 GB at a million chunks)."""
    from assistant.retrievers.hybrid import PassageRetriever

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Chroma was read to answer")

    assert len(fresh.chunks.mirror) == len(ARTICLES)
    monkeypatch.setattr(fresh.chunks._collection, "query", refuse)
    monkeypatch.setattr(fresh.chunks._collection, "get", refuse)
    assert dense_article_ids(fresh, "Ilyan Vostrik won the election")[0] == "vote"
    retriever = PassageRetriever(index=fresh.chunks, embeddings=fresh.embeddings, k=3)
    passages = retriever.search("Who did the central bank governor warn about prices?")
    assert passages[0].article_id == "bank" and "Governor Lena Varro" in passages[0].text
    assert passages[0].source == "Reuters" and passages[0].published.startswith("2023-03-01")
    dated = retriever.search(
        "Who won the vote?", filter=SearchFilter(as_of=date(2023, 3, 1), sources=("reuters",))
    )
    assert [p.article_id for p in dated][:1] == ["vote"]


def test_articles_are_read_in_pages(tmp_path: Path) -> None:
    store = open_article_store(tmp_path, "news")
    many = [replace(NEW, id=f"a{i:04d}", text=f"Article {i}.") for i in range(1203)]
    store.put_many([(a, 1) for a in many])
    found = store.articles([a.id for a in many] + ["missing"])
    assert len(found) == 1203 and found["a1202"].text == "Article 1202." and "missing" not in found


@pytest.mark.parametrize("query", ["Brenn", "interest rates in Kestria", "a probe reaches a comet"])
def test_nearest_is_ordered_by_exact_cosine(shared: Index, query: str) -> None:
    mirror = shared.chunks.mirror
    vector = np.asarray(shared.embeddings.embed_query(query), dtype=np.float32)
    exact = np.argsort(-(mirror.vectors.matrix @ vector), kind="stable")
    assert mirror.vectors.nearest(vector, 4) == exact[:4].tolist()
    reuters = np.asarray(mirror.sources == "Reuters")
    assert mirror.vectors.nearest(vector, 2, reuters) == [int(i) for i in exact if reuters[i]][:2]


def test_save_and_load_round_trip(shared: Index) -> None:
    assert shared.chunks.mirror_dir == shared.settings.data_dir / "mirror" / "news"
    loaded = load(shared.chunks.mirror_dir)
    assert loaded is not None
    assert (
        loaded.fingerprint == shared.chunks.mirror.fingerprint == fingerprint(shared.articles, INDEX_FORMAT)
    )
    assert loaded.ids == shared.chunks.mirror.ids
    for column in ("article_ids", "days", "sources", "authors", "text_keys"):
        assert getattr(loaded, column).tolist() == getattr(shared.chunks.mirror, column).tolist()
    for query in ("Brenn", "Kestria interest rates", "Ambrel barley", "zzqx"):
        assert loaded.bm25.search(query, 5) == shared.chunks.mirror.bm25.search(query, 5)


def test_changed_collection_is_rebuilt_on_open(fresh: Index) -> None:
    before = fresh.chunks.mirror.fingerprint
    # Ingest behind the chunk mirror's back, as an older version or another process might.
    index_articles([NEW], chunks=fresh.chunks, articles=fresh.articles, embeddings=fresh.embeddings)
    assert fingerprint(fresh.articles, INDEX_FORMAT) != before
    stale = load(fresh.chunks.mirror_dir)
    assert stale is not None and stale.fingerprint == before and stale.bm25.search("Quillonby", 5) == []

    reopened = open_mirror(fresh.chunks.pages, fresh.articles, fresh.chunks.mirror_dir, INDEX_FORMAT)
    assert reopened.fingerprint == fingerprint(fresh.articles, INDEX_FORMAT)
    assert [str(reopened.article_ids[i]) for i, _ in reopened.bm25.search("Quillonby", 5)] == ["ferry"]
    saved = load(fresh.chunks.mirror_dir)
    assert saved is not None and saved.fingerprint == reopened.fingerprint and len(saved) == len(ARTICLES) + 1


def test_ingest_brings_the_index_up_to_date(fresh: Index) -> None:
    assert fresh.chunks.mirror.bm25.search("Quillonby", 5) == []
    fresh.ingest([NEW])
    assert article_ids(fresh, fresh.chunks.mirror.bm25.search("Quillonby", 5)) == ["ferry"]
    changed = replace(NEW, text="The Quillonby ferry was withdrawn for good. Marrowgate got a bus.")
    fresh.ingest([changed])
    assert article_ids(fresh, fresh.chunks.mirror.bm25.search("Marrowgate", 5)) == ["ferry"]
    assert article_ids(fresh, fresh.chunks.mirror.bm25.search("Passengers praised crew", 5)) == []


@pytest.mark.parametrize("garbage", ["{not json", "", '{"format": 1}'])
def test_corrupt_chunks_file_is_ignored_and_rebuilt(fresh: Index, garbage: str) -> None:
    chunks = fresh.chunks.mirror_dir / "chunks.json"
    chunks.write_text(garbage, encoding="utf-8")
    assert load(fresh.chunks.mirror_dir) is None
    rebuilt = open_mirror(fresh.chunks.pages, fresh.articles, fresh.chunks.mirror_dir, INDEX_FORMAT)
    assert [str(rebuilt.article_ids[i]) for i, _ in rebuilt.bm25.search("Brenn", 5)] == ["port"]
    assert json.loads(chunks.read_text(encoding="utf-8"))["fingerprint"] == fingerprint(
        fresh.articles, INDEX_FORMAT
    )


@pytest.mark.parametrize("garbage", ["null", "[]"])
def test_chunks_file_that_is_not_an_object_is_ignored_and_rebuilt(fresh: Index, garbage: str) -> None:
    (fresh.chunks.mirror_dir / "chunks.json").write_text(garbage, encoding="utf-8")
    rebuilt = open_mirror(fresh.chunks.pages, fresh.articles, fresh.chunks.mirror_dir, INDEX_FORMAT)
    assert [str(rebuilt.article_ids[i]) for i, _ in rebuilt.bm25.search("Brenn", 5)] == ["port"]


def test_empty_bm25_data_file_is_ignored_and_rebuilt(fresh: Index) -> None:
    data = sorted(fresh.chunks.mirror_dir.glob("*.npy"))
    assert data  # bm25s keeps its sparse score matrix in .npy files
    data[0].write_bytes(b"")
    rebuilt = open_mirror(fresh.chunks.pages, fresh.articles, fresh.chunks.mirror_dir, INDEX_FORMAT)
    assert [str(rebuilt.article_ids[i]) for i, _ in rebuilt.bm25.search("Brenn", 5)] == ["port"]


def test_missing_bm25_files_are_rebuilt(fresh: Index) -> None:
    for path in fresh.chunks.mirror_dir.glob("*.npy"):
        path.unlink()
    rebuilt = open_mirror(fresh.chunks.pages, fresh.articles, fresh.chunks.mirror_dir, INDEX_FORMAT)
    assert [str(rebuilt.article_ids[i]) for i, _ in rebuilt.bm25.search("Brenn", 5)] == ["port"]


def test_empty_collection_gives_an_empty_index(tmp_path: Path, embeddings) -> None:
    index = _index(tmp_path, embeddings)
    assert len(index.chunks.mirror) == 0
    assert index.chunks.mirror.bm25.search("Brenn", 5) == []
    assert load(index.chunks.mirror_dir) is not None  # saved, so the next open does not rebuild


# --- helpers ------------------------------------------------------------------------------------------


def test_matching_is_case_insensitive_and_substring_based() -> None:
    values = ["Reuters", "Reuters Africa", "Associated Press", "The Ledger", ""]
    assert matching(values, ["reuters"]) == ["Reuters", "Reuters Africa"]
    assert matching(values, ["PRESS", "ledg"]) == ["Associated Press", "The Ledger"]
    assert matching(["Tomas Bell and Ines Okafor", "Ines Okafor", "Mara Quint"], ["okafor"]) == [
        "Ines Okafor",
        "Tomas Bell and Ines Okafor",
    ]
    assert matching(values, [" reuters "]) == ["Reuters", "Reuters Africa"]
    assert matching(values, ["bloomberg"]) == []
    assert matching(values, ["", "  "]) == []  # blank filters match nothing, not everything
    assert matching(["Reuters", "Reuters"], ["reuters"]) == ["Reuters"]


@pytest.mark.parametrize(
    ("title", "source", "published", "expected"),
    [
        ("Port strike", "Ledger", "2017-01-27T10:00:00", "Port strike\nLedger · 2017-01-27\nBody."),
        ("Port strike", "Ledger", "", "Port strike\nLedger\nBody."),
        ("Port strike", "", "2017-01-27", "Port strike\n2017-01-27\nBody."),
        ("", "Ledger", "2017-01-27", "Ledger · 2017-01-27\nBody."),
        ("Port strike", "", "", "Port strike\nBody."),
        ("", "", "", "Body."),
    ],
)
def test_contextual_text(title: str, source: str, published: str, expected: str) -> None:
    assert contextual_text(title, source, published, "Body.") == expected
