"""The whole chain on the bundled sample corpus: retrieval, extractive answers, citations, declining."""

from __future__ import annotations

import json

import pytest

from core.answer import NOT_IN_ARTICLES
from tests.conftest import SAMPLE

QUESTIONS = [
    json.loads(line) for line in (SAMPLE / "questions.jsonl").read_text().splitlines() if line.strip()
]
ANSWERABLE = [q for q in QUESTIONS if q["answerable"]]
UNANSWERABLE = [q for q in QUESTIONS if not q["answerable"]]


def test_sample_corpus_is_fully_indexed(sample_index):
    articles, chunks = sample_index.articles.counts()
    assert 12 <= articles <= 20
    assert chunks >= articles


def test_right_article_ranks_first_for_sample_questions(sample_assistant):
    ranks = []
    for q in ANSWERABLE:
        titles = [p.title for p in sample_assistant.retriever.search(q["question"], k=5)]
        ranks.append(titles.index(q["article_title"]) + 1 if q["article_title"] in titles else None)
    first = sum(r == 1 for r in ranks) / len(ranks)
    assert None not in ranks, [q["question"] for q, r in zip(ANSWERABLE, ranks, strict=True) if r is None]
    assert first >= 0.9, ranks


@pytest.mark.parametrize("q", ANSWERABLE, ids=[q["id"] for q in ANSWERABLE])
def test_answer_cites_passages_that_hold_the_cited_text(sample_assistant, q):
    answer = sample_assistant.ask(q["question"])
    assert not answer.declined, answer.text
    assert answer.citations
    for citation in answer.citations:
        article = sample_assistant.articles.text(citation.passage.article_id)
        assert article[citation.start : citation.end] == citation.quote
        assert citation.quote in citation.passage.text
        assert f"[{citation.n}]" in answer.text
    assert all(s.supported and s.cites for s in answer.sentences)


def test_extractive_answers_contain_the_expected_answer(sample_assistant):
    hits = [q["answer"].lower() in sample_assistant.ask(q["question"]).text.lower() for q in ANSWERABLE]
    assert sum(hits) / len(hits) >= 0.75, [q["id"] for q, h in zip(ANSWERABLE, hits, strict=True) if not h]


@pytest.mark.parametrize("q", UNANSWERABLE, ids=[q["id"] for q in UNANSWERABLE])
def test_unanswerable_question_gets_the_not_in_articles_answer(sample_assistant, q):
    answer = sample_assistant.ask(q["question"])
    assert answer.declined
    assert answer.text == NOT_IN_ARTICLES
    assert answer.citations == []


def test_follow_up_question_is_searched_with_the_previous_question(sample_assistant):
    first = ANSWERABLE[0]
    answer = sample_assistant.ask("And when did that happen?", history=[(first["question"], "…")])
    assert answer.rewritten_question and first["question"] in answer.rewritten_question
    assert answer.passages[0].title == first["article_title"]


def test_answer_json_has_the_documented_fields(sample_assistant):
    data = sample_assistant.ask(ANSWERABLE[0]["question"]).to_dict()
    assert {"answer", "declined", "citations", "rewritten_question", "timings"} <= data.keys()
    assert {"n", "article_id", "title", "source", "url", "published", "passage", "start", "end"} <= (
        data["citations"][0].keys()
    )
    assert {"retrieve", "generate", "total"} <= data["timings"].keys()
    json.dumps(data)


def test_retriever_works_through_langchains_retriever_interface(sample_assistant):
    q = ANSWERABLE[0]
    docs = sample_assistant.retriever.invoke(q["question"])
    assert docs and docs[0].metadata["title"] == q["article_title"]
    assert 0 < docs[0].metadata["score"] <= 1
    assert docs[0].page_content == sample_assistant.retriever.search(q["question"])[0].text
