"""Find the passages that answer a question: dense and BM25 search fused, filtered, dated, diversified.

The pipeline, each stage chosen by measurement on RealTime QA (see the retrieval table in docs/evaluation.md):
1. candidates from dense (cosine) and lexical (BM25) search of the chunk index, both under one filter;
2. reciprocal-rank fusion of the two lists;
3. a boost for passages published in the window the question names ("this week", "in January"),
   resolved against the as-of date; newer passages win ties;
4. optionally, rescoring of the fused candidates by a second embedder (all-mpnet-base-v2);
5. one copy of each text, and optionally MMR so five passages are not five copies of one wire story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManager, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import ensure_config
from pydantic import ConfigDict

from assistant.retrievers.dates import DateWindow, resolve_dates
from core.answer import Passage
from core.chunks import day_number, stored_contextual_text
from core.filters import SearchFilter
from store.chunk_index import ChunkIndex, Hit

Mode = Literal["dense", "bm25", "hybrid"]
MODES: tuple[str, ...] = ("dense", "bm25", "hybrid")
RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 scores 1/61, rank 20 scores 1/80


@dataclass
class _Candidate(Hit):
    """A hit in the fused pool: its fused rank score and its cosine similarity to the query."""

    fused: float = 0.0
    cosine: float = 0.0

    @classmethod
    def of(cls, hit: Hit) -> _Candidate:
        return cls(hit.chunk_id, hit.vector, hit.day, hit.key, hit.text, hit.meta)


class PassageRetriever(BaseRetriever):
    """The ``k`` best passages for a query, each with its cosine similarity in ``score``.

    ``search`` is the one way in, for the chain, the UI, the API and eval; LangChain's ``invoke`` (which
    returns ``Document``s and also takes a Chroma-style ``where`` dict) runs the same search.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: ChunkIndex
    embeddings: Embeddings
    mode: Mode = "hybrid"
    k: int = 5
    fetch_k: int = 30  # candidates taken from each of dense and BM25 search
    min_relevance: float = 0.0  # cosine similarity below which a passage is not evidence
    date_boost: float = 1.0  # fused-score bonus, in units of a rank-1 hit, for the window the question names
    recency: float = 1.0  # bonus, in the same units, for articles published just before the as-of date
    recency_half_life: float = 7.0  # days after which the recency bonus has halved
    rescorer: Embeddings | None = None  # a stronger embedder that re-ranks the fused candidates
    mmr_lambda: float = 1.0  # 1.0: pure relevance; lower trades relevance for diversity

    def known_sources(self) -> list[str]:
        """The distinct sources of the collection's chunks (the outlets a question may name)."""
        return self.index.sources()

    def search(
        self,
        query: str,
        k: int | None = None,
        filter: SearchFilter | None = None,
        min_relevance: float | None = None,
        config: RunnableConfig | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages under ``filter``, best first, one per distinct text.

        With a ``config`` (a chain's run), the search is reported to its callbacks as a retriever run, as
        ``invoke`` reports it.
        """
        if config is None:
            return self._search(query, k, filter or SearchFilter(), min_relevance)
        config = ensure_config(config)
        manager = CallbackManager.configure(  # as ``BaseRetriever.invoke`` reports a run
            config.get("callbacks"),
            inheritable_tags=config.get("tags"),
            local_tags=self.tags,
            inheritable_metadata={**(config.get("metadata") or {}), **self._get_ls_params()},
            local_metadata=self.metadata,
        )
        run = manager.on_retriever_start(None, query, name=config.get("run_name") or self.get_name())
        try:
            passages = self._search(query, k, filter or SearchFilter(), min_relevance)
        except BaseException as exc:
            run.on_retriever_error(exc)
            raise
        run.on_retriever_end([to_document(p) for p in passages])
        return passages

    def _search(
        self, query: str, k: int | None, filter: SearchFilter, min_relevance: float | None
    ) -> list[Passage]:
        k = self.k if k is None else k
        floor = self.min_relevance if min_relevance is None else min_relevance
        vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        pool: dict[str, _Candidate] = {}
        if self.mode in ("dense", "hybrid"):
            self._fuse(self.index.dense(vector, self.fetch_k, filter), pool)
        if self.mode in ("bm25", "hybrid"):
            self._fuse(self.index.bm25(query, self.fetch_k, filter), pool)
        candidates = list(pool.values())
        for c in candidates:
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

    @staticmethod
    def _fuse(hits: list[Hit], pool: dict[str, _Candidate]) -> None:
        """Add one ranked list to the pool: each hit scores 1 / (RRF_K + its rank)."""
        for rank, hit in enumerate(hits, start=1):
            if hit.chunk_id not in pool:
                pool[hit.chunk_id] = _Candidate.of(hit)
            pool[hit.chunk_id].fused += 1.0 / (RRF_K + rank)

    def _complete(self, candidates: Sequence[_Candidate]) -> None:
        """Fetch text and metadata for the candidates (from the article store: only for those that may be
        returned)."""
        missing = [c for c in candidates if not c.meta]
        found = self.index.get([c.chunk_id for c in missing])
        for c in missing:
            if c.chunk_id in found:  # else deleted since the chunk mirror was built
                c.text, c.meta = found[c.chunk_id].text, found[c.chunk_id].meta

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
            out += [c for c in batch if c.meta]  # the others were deleted since the chunk mirror was built
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
        return [
            to_document(p) for p in self._search(query, k, SearchFilter.parse(filter, as_of), min_relevance)
        ]


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
    vectors = np.stack([c.vector for c in ranked])
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
    """The ``Passage`` a ``to_document`` document came from (for LangChain callers of ``invoke``)."""
    m = document.metadata
    return _passage(
        str(document.id or m.get("chunk_id", "")), m, document.page_content, float(m.get("score", 0.0))
    )
