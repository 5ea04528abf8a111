"""Citation recall and precision by the trained claim checker (the committed int8 model), and its agreement
with hand labels, on real text from the bundled sample corpus."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from assistant.checking import build_checker
from core.answer import Answer, Passage, Sentence
from core.settings import Settings
from eval import metrics
from eval.checker_judge import CHECKER_JUDGE, CheckerJudge, checker_agreement
from eval.hand_labels import HELD_OUT, LabelledClaim, load_labelled_claims
from models.catalog import CLAIM_CHECKER
from tests.conftest import SAMPLE_ARTICLES

ARMS = json.loads((SAMPLE_ARTICLES / "arms-seizure-karvash.json").read_text(encoding="utf-8"))
ARTICLE = Passage(
    "c1",
    "a1",
    ARMS["title"],
    "State Border Guard",
    "",
    "",
    "2024-10-02",
    ARMS["text"],
    0,
    len(ARMS["text"]),
    0.9,
)
OTHER = Passage(
    "c2", "a2", "Rates", "Bank", "", "", "2024-06-01", "The Bank of Kestria cut its rate.", 0, 33, 0.5
)
TRUE = "Officers found a false compartment containing 64 assault rifles when the cargo of pomegranates was unloaded."
CHANGED = TRUE.replace("64", "46")


@pytest.fixture(scope="module")
def judge() -> CheckerJudge:
    return CheckerJudge(build_checker(Settings(claim_checker="on")))


def test_a_sentence_its_passage_states_is_entailed_and_a_changed_figure_is_not(judge):
    assert judge.entails([ARTICLE.text], TRUE)
    assert not judge.entails([ARTICLE.text], CHANGED)
    assert judge.name == CHECKER_JUDGE and judge.version.startswith(CLAIM_CHECKER.sha256[:8])


def test_citation_recall_and_precision_of_an_answer(judge):
    """One sentence cites the article that states it and a needless passage (recall 1, one citation of two
    needed); the other cites only the needless passage (not entailed)."""
    answer = Answer(
        text="",
        declined=False,
        passages=[ARTICLE, OTHER],
        sentences=[Sentence(TRUE, (1, 2), True, 0.9), Sentence(CHANGED, (2,), True, 0.9)],
        question="What was found in the cargo?",
    )
    judgments = judge.judge_answer(answer)
    assert [j.entailed_by_all for j in judgments] == [True, False]
    assert judgments[0].needed == (True, False)
    assert metrics.citation_recall(judgments) == 0.5
    assert judge.judge_answer(replace(answer, declined=True)) == []


def test_agreement_counts_each_verdict_against_its_label_and_the_held_out_pairs_apart(judge):
    def labelled(claim: str, entailed: bool, split: str) -> LabelledClaim:
        return LabelledClaim("p", split, "right_entity", "", claim, (1,), (ARTICLE,), entailed)

    pairs = [
        labelled(TRUE, True, "tune"),  # agreed: true positive
        labelled(CHANGED, False, HELD_OUT),  # agreed: true negative
        labelled(CHANGED, True, HELD_OUT),  # the label says entailed, the checker refuses: a false refusal
    ]
    check = checker_agreement(judge.checker, pairs)
    assert (check.n, check.tp, check.tn, check.fn, check.fp) == (3, 1, 1, 1, 0)
    assert check.held_out is not None and (check.held_out.n, check.held_out.tn, check.held_out.fn) == (
        2,
        1,
        1,
    )
    assert check.model == CHECKER_JUDGE


def test_the_committed_hand_labels_load_with_their_passages():
    labelled = load_labelled_claims()
    held = [c for c in labelled if c.set == HELD_OUT]
    assert sum(not c.entailed for c in held) >= 150 and sum(c.entailed for c in held) >= 100
    assert all(c.passages and c.cited for c in labelled if c.cites)


def test_the_words_cannot_play_the_judge():
    with pytest.raises(ValueError, match="trained checker"):
        CheckerJudge(build_checker(Settings(claim_checker="off")))


def test_a_run_scores_its_llm_answers_citations_by_the_checker_and_caches_the_verdicts(tmp_path):
    from eval.answer_cache import AnswerCache
    from eval.citation_scores import judge_citations
    from eval.results import AnswerScores, ConfigResult, QuestionRow, RunResult

    answer = {
        "answer": f"{TRUE} [1]",
        "declined": False,
        "question": "What was found in the cargo?",
        "passages": [ARTICLE.to_dict(), OTHER.to_dict()],
        "sentences": [
            {"text": TRUE, "cites": [1], "supported": True, "support": 0.9},
            {"text": CHANGED, "cites": [2], "supported": True, "support": 0.9},
        ],
    }
    answers = AnswerCache(tmp_path / "answers", "default-local-default-abc")
    answers.put("q1", {"answer": answer})
    config = ConfigResult(
        "default",
        rows=[QuestionRow("q1")],
        answers=AnswerScores(backend="local:default", cache=str(answers.path)),
    )
    check = judge_citations(RunResult("sample", configs=[config]), Settings(), tmp_path / "cache")
    citation = config.answers.citation
    assert citation is not None and citation.judge == CHECKER_JUDGE
    assert (citation.recall, citation.sentences) == (0.5, 2)
    assert check is not None and check.held_out is not None and check.held_out.n >= 250  # the hand labels
    (verdicts,) = (tmp_path / "cache" / "judge").glob("default-local-default-abc-judge-*.jsonl")
    assert '"entailed_by_all": true' in verdicts.read_text()
