"""The project as LangChain users see it: LangChain's own standard suites for the retriever and the embeddings,
the chain as a Runnable (invoke, stream, batch, ainvoke, ``|``, config reaching retriever and model), the
retriever's invoke arguments, and the read-only VectorStore view. Real Chroma, real MiniLM, real BM25."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.chain import Assistant
from assistant.factory import build_retriever
from assistant.retrievers.hybrid import PassageRetriever, to_passage
from core.answer import Answer, Sources
from core.errors import QuestionError, StoreError
from core.filters import SearchFilter
from models.embeddings import LocalEmbeddings

RATE_QUESTION = "What interest rate did the Bank of Kestria set?"


class TestRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _sample(self, sample_index: Any) -> None:
        type(self).index = sample_index

    @property
    def retriever_constructor(self) -> type[PassageRetriever]:
        return PassageRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        index = type(self).index
        return {"index": index.chunks, "embeddings": index.embeddings}

    @property
    def retriever_query_example(self) -> str:
        return RATE_QUESTION


class MiniLM:
    """The embeddings the standard suites build: the project's MiniLM."""

    @property
    def embeddings_class(self) -> type[LocalEmbeddings]:
        return LocalEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"name": "minilm"}


class TestEmbeddingsStandard(MiniLM, EmbeddingsIntegrationTests):
    pass


class TestEmbeddingsUnitStandard(MiniLM, EmbeddingsUnitTests):
    pass


# --- the retriever's invoke arguments ----------------------------------------------------------------------


def test_build_retriever_applies_overrides(sample_settings, sample_index) -> None:
    retriever = build_retriever(sample_settings, sample_index, k=2)
    assert len(retriever.invoke(RATE_QUESTION)) == 2
    assert retriever.invoke(RATE_QUESTION)[0].metadata["source"] == "Kestrian Financial Observer"


def test_invoke_honours_k_filter_and_as_of(sample_settings, sample_index) -> None:
    retriever = build_retriever(sample_settings, sample_index)
    assert len(retriever.invoke(RATE_QUESTION, k=1)) == 1

    for where in (
        {"source": "Harbor Ledger"},
        {"source": {"$in": ["harbor ledger"]}},  # matched as the filters of `search` are: case-insensitively
        SearchFilter(sources=("Harbor Ledger",)),
    ):
        assert retriever.invoke(RATE_QUESTION, filter=where) == []  # the port strike is no answer about rates
        docs = retriever.invoke(RATE_QUESTION, filter=where, min_relevance=0.0)
        assert docs and {d.metadata["source"] for d in docs} == {"Harbor Ledger"}, where

    retriever = build_retriever(sample_settings, sample_index, min_relevance=0.0)
    dated = retriever.invoke(RATE_QUESTION, k=20, filter={"published": {"$gte": "2024-01-01"}})
    assert dated and all(d.metadata["published"] >= "2024-01-01" for d in dated)
    both = {"$and": [{"published": {"$gte": "2023-01-01"}}, {"published": {"$lt": "2023-07-01"}}]}
    assert {d.metadata["published"] for d in retriever.invoke(RATE_QUESTION, k=20, filter=both)} <= {
        "2023-03-14",
        "2023-06-22",
    }
    before = retriever.invoke(RATE_QUESTION, k=20, as_of="2023-06-30")
    assert before and all(d.metadata["published"] <= "2023-06-30" for d in before)
    assert retriever.invoke(RATE_QUESTION, as_of=date(2023, 6, 30)) == before[:5]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"source": "Daily Nowhere"}, "No article has a source matching Daily Nowhere"),
        ({"colour": "red"}, "cannot be filtered by 'colour'"),
        ({"$or": [{"source": "Harbor Ledger"}]}, "$or is not supported"),
        ({"published": {"$ne": "2023-01-01"}}, "published takes $gte"),
        ({"published": {"$gte": "last week"}}, "Bad date 'last week'"),
        ({"$and": [{"source": "Harbor Ledger"}, {"source": "Orbital Times"}]}, "source is given twice"),
    ],
)
def test_invoke_rejects_bad_filters(sample_settings, sample_index, where, message) -> None:
    with pytest.raises(QuestionError, match=message.replace("$", r"\$")):
        build_retriever(sample_settings, sample_index).invoke(RATE_QUESTION, filter=where)


def test_documents_round_trip_to_passages(sample_settings, sample_index) -> None:
    retriever = build_retriever(sample_settings, sample_index)
    passages = retriever.search(RATE_QUESTION)
    assert [to_passage(d) for d in retriever.invoke(RATE_QUESTION)] == passages


# --- the chain as a Runnable -------------------------------------------------------------------------------


class Recorder(BaseCallbackHandler):
    """Which runs LangChain reported, with their tags."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, tuple[str, ...]]] = []

    def on_chain_start(self, serialized: Any, inputs: Any, *, tags: Any = None, **kw: Any) -> None:
        self.runs.append(("chain", tuple(tags or ())))

    def on_retriever_start(self, serialized: Any, query: str, *, tags: Any = None, **kw: Any) -> None:
        self.runs.append(("retriever", tuple(tags or ())))

    def on_chat_model_start(self, serialized: Any, messages: Any, *, tags: Any = None, **kw: Any) -> None:
        self.runs.append(("model", tuple(tags or ())))

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kw: Any) -> None:
        self.runs.append(("retrieved", (str(len(documents)),)))


def test_assistant_is_a_runnable(sample_assistant) -> None:
    answer = sample_assistant.invoke(RATE_QUESTION)
    assert isinstance(answer, Answer) and not answer.declined and "7.25" in answer.text
    assert sample_assistant.invoke({"question": RATE_QUESTION}).text == answer.text
    assert sample_assistant.ask(RATE_QUESTION).text == answer.text

    items = list(sample_assistant.stream(RATE_QUESTION))
    assert isinstance(items[0], Sources) and isinstance(items[-1], Answer)
    assert "".join(i for i in items if isinstance(i, str)) == items[-1].draft

    text = RunnableLambda(lambda a: a.text)
    assert (sample_assistant | text).invoke(RATE_QUESTION) == answer.text
    assert list((sample_assistant | text).stream(RATE_QUESTION))[-1] == answer.text

    batch = sample_assistant.batch([RATE_QUESTION, "Who won the election in Tarsova?"])
    assert [type(a) for a in batch] == [Answer, Answer] and batch[0].text == answer.text
    assert asyncio.run(sample_assistant.ainvoke(RATE_QUESTION)).text == answer.text


def test_invoke_passes_search_options_to_the_retriever(sample_assistant) -> None:
    answer = sample_assistant.invoke(RATE_QUESTION, k=2, filter={"source": "Harbor Ledger"}, min_relevance=0)
    assert len(answer.passages) == 2 and {p.source for p in answer.passages} == {"Harbor Ledger"}
    with pytest.raises(QuestionError, match="Unknown option top_k"):
        sample_assistant.invoke(RATE_QUESTION, top_k=2)


def test_config_reaches_retriever_and_model(sample_assistant) -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage("The rate is 7.25 percent [1].")]))
    chain = Assistant(
        sample_assistant.retriever, sample_assistant.embeddings, sample_assistant.articles, model
    )
    recorder = Recorder()
    answer = chain.with_config(tags=["analyst"]).invoke(RATE_QUESTION, config={"callbacks": [recorder]})
    assert "7.25" in answer.text and not answer.declined
    kinds = [kind for kind, _ in recorder.runs]
    assert kinds[:2] == ["chain", "retriever"] and "model" in kinds
    assert all("analyst" in tags for kind, tags in recorder.runs if kind != "retrieved")
    assert ("retrieved", (str(len(answer.passages)),)) in recorder.runs


# --- the VectorStore view ----------------------------------------------------------------------------------


def test_vectorstore_view_searches_the_collection_and_refuses_writes(sample_settings, sample_index) -> None:
    store = sample_index.as_vectorstore()
    hits = store.similarity_search(RATE_QUESTION, k=3)
    assert len(hits) == 3 and all(isinstance(d, Document) for d in hits)
    dense = build_retriever(sample_settings, sample_index, mode="dense", k=3).invoke(RATE_QUESTION)
    assert [d.id for d in hits] == [d.id for d in dense]  # the same vectors, the same query embedding

    before = sample_index.chunks.count()
    for write in (
        lambda: store.add_texts(["An unindexed chunk."]),
        lambda: store.add_documents([Document("An unindexed chunk.")]),
        lambda: store.delete([hits[0].id]),
    ):
        with pytest.raises(StoreError, match="read-only"):
            write()
    assert sample_index.chunks.count() == before
