"""Find the passages that answer a question: dense and BM25 search fused, filtered, dated, diversified.

The pipeline, each stage chosen by measurement on RealTime QA (see the README's retrieval table):
1. candidates from dense (Chroma, cosine) and lexical (BM25) search, both under the same filters;
2. reciprocal-rank fusion of the two lists;
3. a boost for passages published in the window the question names ("this week", "in January"),
   resolved against the as-of date; newer passages win ties;
4. optionally, rescoring of the fused candidates by a second embedder (all-mpnet-base-v2);
5. one copy of each text, and optionally MMR so five passages are not five copies of one wire story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import numpy as np
from chromadb.api.models.Collection import Collection
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.retrievers.dates import DateWindow, resolve_dates
from assistant.retrievers.filters import SearchFilter, as_date, day_bounds
from core.answer import Passage
from core.chunks import day_number, stored_contextual_text
from core.errors import QuestionError
from store.mirror import ChunkMirror, matching, text_key

Mode = Literal["dense", "bm25", "hybrid"]
MODES: tuple[str, ...] = ("dense", "bm25", "hybrid")
RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 scores 1/61, rank 20 scores 1/80


@dataclass
class _Candidate:
    chunk_id: str
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    vector: np.ndarray | None = None
    day: int = 0  # published, YYYYMMDD; 0 when undated
    key: int = 0  # text_key of the text: copies of one text share it
    fused: float = 0.0
    cosine: float = 0.0


class PassageRetriever(BaseRetriever):
    """The ``k`` best passages for a query, each with its cosine similarity in ``score``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Collection
    embeddings: Embeddings
    mirror: ChunkMirror | None = None  # the chunks in memory: BM25, vectors, filter fields
    mode: Mode = "hybrid"
    k: int = 5
    fetch_k: int = 30  # candidates taken from each of dense and BM25 search
    min_relevance: float = 0.0  # cosine similarity below which a passage is not evidence
    date_boost: float = 1.0  # fused-score bonus, in units of a rank-1 hit, for the window the question names
    recency: float = 1.0  # bonus, in the same units, for articles published just before the as-of date
    recency_half_life: float = 7.0  # days after which the recency bonus has halved
    rescorer: Embeddings | None = None  # a stronger embedder that re-ranks the fused candidates
    mmr_lambda: float = 1.0  # 1.0: pure relevance; lower trades relevance for diversity
    _sources: tuple[int, list[str]] | None = PrivateAttr(default=None)

    def known_sources(self) -> list[str]:
        """The distinct sources of the collection's chunks (the outlets a question may name), from memory."""
        if self.mirror is None:
            return []
        if self._sources is None or self._sources[0] != id(self.mirror):
            names = sorted({str(s) for s in self.mirror.sources.tolist() if s})
            self._sources = (id(self.mirror), names)
        return self._sources[1]

    def search(
        self,
        query: str,
        k: int | None = None,
        filter: SearchFilter | None = None,
        min_relevance: float | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages under ``filter``, best first, one per distinct text."""
        k = self.k if k is None else k
        floor = self.min_relevance if min_relevance is None else min_relevance
        filter = filter or SearchFilter()
        vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        pool: dict[str, _Candidate] = {}
        if self.mode in ("dense", "hybrid"):
            self._dense(vector, filter, pool)
        if self.mode in ("bm25", "hybrid"):
            self._bm25(query, filter, pool)
        candidates = list(pool.values())
        for c in candidates:
            assert c.vector is not None
            c.cosine = float(c.vector @ vector)
        as_of = filter.as_of or date.today()
        window = resolve_dates(query, as_of) if self.date_boost else None
        if window:
            _boost_window(candidates, window, self.date_boost / (RRF_K + 1))
        if self.recency:
            _boost_recent(candidates, as_of, self.recency / (RRF_K + 1), self.recency_half_life)
        if self.rescorer is not None:
            self._complete(candidates)
            candidates = [c for c in candidates if c.meta]
            self._rescore(query, candidates)
        ranked = sorted(candidates, key=lambda c: (c.fused, c.day), reverse=True)
        ranked = [c for c in ranked if c.cosine >= floor]
        if self.mmr_lambda < 1.0:
            diverse = _mmr(self._distinct(ranked, len(ranked)), k, self.mmr_lambda)
            return [_to_passage(c) for c in diverse[:k]]
        return [_to_passage(c) for c in self._distinct(ranked, k)]

    def _dense(self, vector: np.ndarray, filter: SearchFilter, pool: dict[str, _Candidate]) -> None:
        if self.mirror is not None and filter != SearchFilter():
            # Filtered: exact search over the allowed rows of the in-memory copy (Chroma's filtered HNSW
            # query is ten times slower); text and metadata are fetched for the winners only.
            mask = self._mask(filter)
            for rank, i in enumerate(self.mirror.vectors.nearest(vector, self.fetch_k, mask), start=1):
                self._candidate(pool, i).fused += 1.0 / (RRF_K + rank)
            return
        n = min(self.fetch_k, self.collection.count())
        if n == 0:
            return
        hits = self.collection.query(
            query_embeddings=[vector.tolist()],
            n_results=n,
            where=self._chroma_where(filter),  # type: ignore[arg-type]
            include=["documents", "metadatas", "embeddings"],
        )
        docs, metas, vectors = hits["documents"], hits["metadatas"], hits["embeddings"]
        assert docs is not None and metas is not None and vectors is not None
        for rank, chunk_id in enumerate(hits["ids"][0], start=1):
            c = pool.setdefault(chunk_id, _Candidate(chunk_id))
            c.text, c.meta = docs[0][rank - 1], dict(metas[0][rank - 1])
            c.vector = np.asarray(vectors[0][rank - 1], dtype=np.float32)
            c.day = int(c.meta.get("published_day", 0) or 0)
            c.key = text_key(c.text)
            c.fused += 1.0 / (RRF_K + rank)

    def _bm25(self, query: str, filter: SearchFilter, pool: dict[str, _Candidate]) -> None:
        if self.mirror is None:
            raise QuestionError(
                "BM25 search needs the collection's BM25 index: run `assistant ingest` again to build it."
            )
        for rank, (i, _) in enumerate(self.mirror.bm25.search(query, self.fetch_k, self._mask(filter)), 1):
            self._candidate(pool, i).fused += 1.0 / (RRF_K + rank)

    def _candidate(self, pool: dict[str, _Candidate], position: int) -> _Candidate:
        """The pool's candidate for the mirror's chunk at ``position``: vector and date from memory,
        text and metadata fetched later, and only if it is among the passages returned."""
        assert self.mirror is not None
        chunk_id = self.mirror.ids[position]
        if chunk_id not in pool:
            lex = self.mirror
            pool[chunk_id] = _Candidate(
                chunk_id,
                vector=lex.vectors.matrix[position],
                day=int(lex.days[position]),
                key=int(lex.text_keys[position]),
            )
        return pool[chunk_id]

    def _complete(self, candidates: Sequence[_Candidate]) -> None:
        """Fetch text and metadata for the candidates found in memory (Chroma's get costs about 0.3 ms
        per id at 300k chunks, so only for those that may be returned)."""
        missing = [c for c in candidates if not c.meta]
        if not missing:
            return
        got = self.collection.get(ids=[c.chunk_id for c in missing], include=["documents", "metadatas"])
        docs, metas = got["documents"], got["metadatas"]
        assert docs is not None and metas is not None
        found = {cid: (text, meta) for cid, text, meta in zip(got["ids"], docs, metas, strict=True)}
        for c in missing:
            if c.chunk_id in found:  # else deleted from Chroma since the BM25 index was built
                c.text, c.meta = found[c.chunk_id][0], dict(found[c.chunk_id][1])

    def _distinct(self, ranked: list[_Candidate], k: int) -> list[_Candidate]:
        """The first ``k`` of ``ranked``, one per distinct text (wire stories are republished verbatim, so
        only the first copy is kept), with their text and metadata."""
        seen: set[int] = set()
        out: list[_Candidate] = []
        rest = iter(ranked)
        while len(out) < k:
            batch: list[_Candidate] = []
            for c in rest:
                if c.key not in seen:
                    seen.add(c.key)
                    batch.append(c)
                    if len(out) + len(batch) == k:
                        break
            if not batch:
                break
            self._complete(batch)
            out += [c for c in batch if c.meta]  # the others were deleted since the BM25 index was built
        return out

    def _rescore(self, query: str, candidates: list[_Candidate]) -> None:
        """Fuse the first-stage order with the rescorer's cosine order (rank fusion again)."""
        assert self.rescorer is not None
        first = sorted(candidates, key=lambda c: c.fused, reverse=True)
        texts = [stored_contextual_text(c.meta, c.text) for c in first]
        q = np.asarray(self.rescorer.embed_query(query), dtype=np.float32)
        m = np.asarray(self.rescorer.embed_documents(texts), dtype=np.float32)
        order = np.argsort(-(m @ q), kind="stable")
        for rank, i in enumerate(order, start=1):
            first[int(i)].fused += 1.0 / (RRF_K + rank)

    # --- filters -------------------------------------------------------------------------------------

    def _chroma_where(self, f: SearchFilter) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        sources, authors = self._resolve(f)
        if sources is not None:
            clauses.append({"source": {"$in": sources}})
        if authors is not None:
            clauses.append({"author": {"$in": authors}})
        for day, op in day_bounds(f):
            clauses.append({"published_day": {op: day}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _mask(self, f: SearchFilter) -> np.ndarray | None:
        assert self.mirror is not None
        lex = self.mirror
        mask = np.ones(len(lex), dtype=bool)
        sources, authors = self._resolve(f)
        if sources is not None:
            mask &= np.isin(lex.sources, sources)
        if authors is not None:
            mask &= np.isin(lex.authors, authors)
        for day, op in day_bounds(f):
            mask &= {"$gte": lex.days >= day, "$lte": lex.days <= day, "$gt": lex.days > day}[op]
        return None if mask.all() else mask

    def _resolve(self, f: SearchFilter) -> tuple[list[str] | None, list[str] | None]:
        """Source and author filters as the exact stored values they match, case-insensitively."""
        out: list[list[str] | None] = []
        for wanted, known, what in (
            (f.sources, self.mirror.sources if self.mirror else None, "source"),
            (f.authors, self.mirror.authors if self.mirror else None, "author"),
        ):
            if not wanted:
                out.append(None)
                continue
            if known is None:
                out.append(list(wanted))
                continue
            values = matching(set(known.tolist()), wanted)
            if not values:
                names = sorted({str(v) for v in known.tolist() if v})
                raise QuestionError(
                    f"No article has a {what} matching {', '.join(wanted)}. Known {what}s include: "
                    f"{', '.join(names[:12]) or 'none'}."
                )
            out.append(values)
        return out[0], out[1]

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filter: SearchFilter | dict[str, Any] | None = None,
        as_of: date | str | None = None,
        min_relevance: float | None = None,
    ) -> list[Document]:
        """LangChain's entry (``invoke``, ``batch``, callbacks): the same search, ``filter`` a ``SearchFilter``
        or a Chroma-style ``where`` dict, ``as_of`` a date or ISO date overriding the filter's."""
        search_filter = filter if isinstance(filter, SearchFilter) else SearchFilter.from_where(filter)
        if as_of is not None:
            search_filter = replace(search_filter, as_of=as_date(as_of))
        return [to_document(p) for p in self.search(query, k, search_filter, min_relevance)]


def _boost_window(candidates: Sequence[_Candidate], window: DateWindow, bonus: float) -> None:
    start, end = day_number(window.start.isoformat()), day_number(window.end.isoformat())
    for c in candidates:
        if start <= c.day <= end:
            c.fused += bonus


def _boost_recent(candidates: Sequence[_Candidate], as_of: date, bonus: float, half_life: float) -> None:
    for c in candidates:
        published = _day(c.day)
        if published is not None and published <= as_of:
            c.fused += bonus * 0.5 ** ((as_of - published).days / half_life)


def _day(number: int) -> date | None:
    try:
        return date(number // 10000, number // 100 % 100, number % 100) if number else None
    except ValueError:
        return None


def _mmr(ranked: list[_Candidate], k: int, lam: float) -> list[_Candidate]:
    """Maximal marginal relevance: the best candidate first, then each next one by ``lam`` times its cosine
    similarity to the query minus ``1 - lam`` times its highest similarity to those already chosen."""
    if len(ranked) <= 1:
        return ranked
    relevance = np.array([c.cosine for c in ranked])
    vectors = np.stack([c.vector for c in ranked if c.vector is not None])
    chosen: list[int] = [0]
    rest = list(range(1, len(ranked)))
    while rest and len(chosen) < k:
        similarity = (vectors[rest] @ vectors[chosen].T).max(axis=1)
        scores = lam * relevance[rest] - (1 - lam) * similarity
        chosen.append(rest.pop(int(np.argmax(scores))))
    return [ranked[i] for i in chosen] + [ranked[i] for i in rest]


def _to_passage(c: _Candidate) -> Passage:
    return _passage(c.chunk_id, c.meta, c.text, c.cosine)


def _passage(chunk_id: str, m: Mapping[str, Any], text: str, score: float) -> Passage:
    """A chunk's ``Passage`` from its stored metadata (``chunk_metadata``)."""
    return Passage(
        chunk_id=chunk_id,
        article_id=str(m.get("article_id", "")),
        title=str(m.get("title", "")),
        source=str(m.get("source", "")),
        url=str(m.get("url", "")),
        author=str(m.get("author", "")),
        published=str(m.get("published", "")),
        text=text,
        start=int(m.get("start", 0)),
        end=int(m.get("end", 0)),
        score=score,
    )


def to_document(p: Passage) -> Document:
    meta = {k: v for k, v in p.__dict__.items() if k not in ("text", "chunk_id")}  # score unrounded
    return Document(page_content=p.text, id=p.chunk_id, metadata=meta)


def to_passage(document: Document) -> Passage:
    """The ``Passage`` a ``to_document`` document came from (the chain retrieves through ``invoke``)."""
    m = document.metadata
    return _passage(
        str(document.id or m.get("chunk_id", "")), m, document.page_content, float(m.get("score", 0.0))
    )
