"""The trained claim checker, on real text: the committed int8 model read through ONNX Runtime, alone
(``check_claim``) and behind the citations (the verifier with a ``ClaimReader``)."""

from __future__ import annotations

import json

import pytest

from assistant import check_claim
from assistant.checking import build_checker
from assistant.verifiers.citations import verify_answer
from assistant.verifiers.claims import ClaimReader
from core.answer import Passage
from core.errors import ModelError
from core.settings import Settings
from models.catalog import CLAIM_CHECKER
from models.claim_checker import ClaimModel, graph_path
from models.weights import sha256_file
from tests.conftest import SAMPLE_ARTICLES

ARMS = json.loads((SAMPLE_ARTICLES / "arms-seizure-karvash.json").read_text(encoding="utf-8"))
TEXT = ARMS["text"]
ARTICLE = Passage(
    "c1", "a1", ARMS["title"], "State Border Guard", "", "", "2024-10-02", TEXT, 0, len(TEXT), 0.9
)
TRUE = "Officers found a false compartment containing 64 assault rifles when the cargo of pomegranates was unloaded."
CHANGED = TRUE.replace("64", "46")
ELSEWHERE = "The Bank of Kestria cut its benchmark interest rate to 2 percent in June."
ON = Settings(claim_checker="on")


@pytest.fixture(scope="module")
def reader() -> ClaimReader:
    return ClaimReader(ClaimModel())


def test_the_committed_model_is_the_catalogued_one():
    assert CLAIM_CHECKER.sha256 == sha256_file(graph_path())
    assert graph_path().stat().st_size < 150e6


def test_a_true_claim_is_supported_and_its_span_found_in_the_article():
    result = check_claim(TRUE, [ELSEWHERE, ARTICLE], ON)
    assert result.label == "supported" and result.checker == "model" and result.score >= 0.5
    best = result.spans[0]
    assert best.text == 1 and "64 assault rifles" in best.quote
    assert TEXT[best.start : best.end] == best.quote  # article offsets, as citations give them


def test_a_changed_figure_is_contradicted_and_another_topic_not_supported():
    checker = build_checker(ON)
    changed = checker.check(CHANGED, [ARTICLE])
    assert changed.label == "contradicted" and "64 assault rifles" in changed.spans[0].quote
    assert checker.check(ELSEWHERE, [ARTICLE]).label == "not_supported"


def test_batches_run_as_a_runnable_and_an_empty_claim_is_not_supported():
    results = build_checker(ON).batch(
        [{"claim": TRUE, "texts": [ARTICLE]}, {"claim": " ", "texts": [ARTICLE]}]
    )
    assert [r.label for r in results] == ["supported", "not_supported"]
    assert not results[1].spans


def test_off_word_overlap_decides_and_never_contradicts():
    assert check_claim(TRUE, [TEXT], Settings(claim_checker="off")).checker == "words"
    result = check_claim(TRUE, [TEXT])  # the default: off
    assert result.checker == "words" and result.label == "supported"
    assert "64 assault rifles" in result.spans[0].quote
    assert check_claim(CHANGED, [TEXT]).label == "not_supported"


def test_on_without_the_weights_says_how_to_restore_them(monkeypatch):
    import assistant.checking as checking

    monkeypatch.setattr(checking, "claim_checker_ready", lambda: False)
    with pytest.raises(ModelError, match="git checkout -- models/checker"):
        build_checker(ON)


def test_the_verifier_with_the_model_refuses_a_detail_the_span_does_not_state(reader):
    """The words accept "fresh apples" (the article says fresh fruit, and pomegranates): the model does not."""
    question = "Where were the weapons found?"
    wrong = "The weapons were found in a lorry of fresh apples at the Karvash crossing [1]."
    right = "The weapons were found in a false compartment of a lorry at the Karvash crossing [1]."
    assert verify_answer(wrong, [ARTICLE], question).sentences[0].supported  # the words alone
    assert not verify_answer(wrong, [ARTICLE], question, reader=reader).sentences[0].supported
    assert verify_answer(right, [ARTICLE], question, reader=reader).sentences[0].supported
