"""eval.metrics: hand-made cases with exact expected values for every scoring function."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.metrics import (
    SentenceJudgment,
    accuracy_by_type,
    choice_accuracy,
    citation_precision,
    citation_recall,
    contains_answer,
    exact_match,
    first_hit_rank,
    hits_at_k,
    latency_summary,
    mean_reciprocal_rank,
    normalize,
    percentile,
    token_f1,
    uncited_share,
)

# --- normalize -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U.S.", "u s"),
        ("  Hello,   World!  ", "hello world"),
        ("“Biden’s plan”—revised", "biden s plan revised"),
        ("Biden's plan", "biden s plan"),
        ("$5 + 10% of €3", "5 10 of 3"),
        ("1,000", "1 000"),
        ("Zürich's ÉCOLE", "zürich s école"),
        ("line one\n\tline\u00a0two", "line one line two"),
        ("snake_case «quoted» (paren) [x]", "snake case quoted paren x"),
        ("", ""),
        (" ... ", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@given(st.text())
def test_normalize_is_idempotent_and_single_spaced(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip()
    assert "  " not in once


# --- contains_answer -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passage", "answer", "expected"),
    [
        ("Troops left the U.S. base.", "u.s.", True),
        ("U.S. troops left.", "u s", True),
        ("The US says no.", "U.S.", False),  # "us" is one word, "u s" two
        ("30 people died.", "3", False),
        ("3 people died.", "3", True),
        ("The toll rose to 3.", "3", True),
        ("He won in 2030", "30", False),
        ("“Biden’s plan” passed", "Biden's plan", True),
        ("in New York City", "york city", True),
        ("across Northern Ireland", "north", False),
        ("PARIS, France", "paris", True),
        ("anything at all", "", False),
        ("anything at all", "?!", False),
        ("", "x", False),
    ],
)
def test_contains_answer(passage: str, answer: str, expected: bool) -> None:
    assert contains_answer(passage, answer) is expected


# --- first_hit_rank ------------------------------------------------------------------------------------

PASSAGES = ["nothing here", "30 died", "3 died", "again 3 died"]


def test_first_hit_rank_is_one_based_and_takes_the_first_of_tied_hits() -> None:
    assert first_hit_rank(PASSAGES, "3") == 3
    assert first_hit_rank(PASSAGES, "died") == 2
    assert first_hit_rank(PASSAGES, "nothing") == 1


def test_first_hit_rank_none_when_absent_or_empty() -> None:
    assert first_hit_rank(PASSAGES, "4") is None
    assert first_hit_rank(PASSAGES, "") is None
    assert first_hit_rank([], "3") is None


def test_first_hit_rank_evidence_hit_needs_an_allowed_passage() -> None:
    assert first_hit_rank(PASSAGES, "3", allowed=[True, True, False, True]) == 4
    assert first_hit_rank(PASSAGES, "3", allowed=[True, True, True, False]) == 3
    assert first_hit_rank(PASSAGES, "3", allowed=[False] * 4) is None
    assert first_hit_rank(PASSAGES, "died", allowed=[True, False, False, True]) == 4


def test_first_hit_rank_rejects_misaligned_flags() -> None:
    with pytest.raises(ValueError, match="3 flags for 4 passages"):
        first_hit_rank(PASSAGES, "3", allowed=[True] * 3)


# --- hits_at_k, mean_reciprocal_rank -------------------------------------------------------------------


def test_hits_at_k_counts_none_as_miss_and_rank_equal_to_k_as_hit() -> None:
    ranks = [1, 5, None, 10, 25]
    assert hits_at_k(ranks) == {1: 0.2, 5: 0.4, 10: 0.6, 20: 0.6}
    assert hits_at_k(ranks, ks=(4, 30)) == {4: 0.2, 30: 0.8}
    assert hits_at_k([None, None], ks=(1,)) == {1: 0.0}


def test_hits_at_k_empty_is_nan() -> None:
    result = hits_at_k([], ks=(1, 5))
    assert list(result) == [1, 5]
    assert all(math.isnan(v) for v in result.values())


def test_hits_at_k_rejects_bad_ranks_and_ks() -> None:
    with pytest.raises(ValueError, match="1-based"):
        hits_at_k([0, 1])
    with pytest.raises(ValueError, match="k must be"):
        hits_at_k([1], ks=(0,))


def test_mean_reciprocal_rank() -> None:
    ranks = [1, 2, None, 4]
    assert mean_reciprocal_rank(ranks) == 0.4375  # (1 + 1/2 + 0 + 1/4) / 4
    assert mean_reciprocal_rank(ranks, cutoff=4) == 0.4375  # the cutoff is inclusive
    assert mean_reciprocal_rank(ranks, cutoff=2) == 0.375  # rank 4 drops out
    assert mean_reciprocal_rank([None, None]) == 0.0
    assert mean_reciprocal_rank([3, 3]) == pytest.approx(1 / 3, abs=1e-15)
    assert math.isnan(mean_reciprocal_rank([]))


def test_mean_reciprocal_rank_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="cutoff"):
        mean_reciprocal_rank([1], cutoff=0)
    with pytest.raises(ValueError, match="1-based"):
        mean_reciprocal_rank([-1])


# --- exact_match, token_f1 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("The U.S.", "u s", True),
        ("an apple", "Apple!", True),
        ("Bank of the West", "bank of west", True),  # articles go anywhere, as in SQuAD
        ("the theater", "theater", True),  # but only whole words
        ("theater", "ater", False),
        ("Biden’s", "Biden's", True),
        ("apple pie", "pie apple", False),
        ("3", "30", False),
        ("", "", True),
        ("", "the", True),  # both empty once articles go
        ("", "x", False),
    ],
)
def test_exact_match(prediction: str, gold: str, expected: bool) -> None:
    assert exact_match(prediction, gold) is expected


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("the cat sat on the mat", "a cat sat", 2 / 3),  # p = 2/4, r = 2/2
        ("new new york", "new york", 0.8),  # repeated "new" counts once: p = 2/3, r = 1
        ("U.S. troops", "u s", 0.8),  # p = 2/3, r = 1
        ("in Paris", "Paris, France", 0.5),  # p = 1/2, r = 1/2
        ("Paris, France", "paris france", 1.0),
        ("London", "Paris", 0.0),
        ("", "", 1.0),
        ("the", "", 1.0),
        ("", "Paris", 0.0),
        ("Paris", "an", 0.0),
    ],
)
def test_token_f1(prediction: str, gold: str, expected: float) -> None:
    assert token_f1(prediction, gold) == pytest.approx(expected, abs=1e-12)


# --- choice_accuracy, accuracy_by_type -----------------------------------------------------------------


def test_choice_accuracy_counts_none_as_wrong() -> None:
    assert choice_accuracy([0, 2, None, 1], [0, 1, 2, 1]) == 0.5
    assert choice_accuracy([None], [0]) == 0.0  # None is not option 0
    assert choice_accuracy([3, 0], [3, 0]) == 1.0
    assert math.isnan(choice_accuracy([], []))


def test_choice_accuracy_rejects_misaligned_input() -> None:
    with pytest.raises(ValueError, match="2 predictions for 1 questions"):
        choice_accuracy([0, 1], [0])


def test_accuracy_by_type_is_sorted_by_type() -> None:
    rows = [("when", True), ("who", False), ("when", False), ("how_many", True), ("when", True)]
    result = accuracy_by_type(rows)
    assert list(result) == ["how_many", "when", "who"]
    assert result == {"how_many": (1, 1, 1.0), "when": (2, 3, 2 / 3), "who": (0, 1, 0.0)}
    assert accuracy_by_type([]) == {}


# --- percentile, latency_summary -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        # numpy.percentile(values, q), worked by hand: position (n - 1) * q / 100 between sorted values.
        ([1, 2, 3, 4], 50, 2.5),  # position 1.5
        ([1, 2, 3, 4], 25, 1.75),  # position 0.75
        ([1, 2, 3, 4], 75, 3.25),  # position 2.25
        ([1, 2, 3, 4], 0, 1.0),
        ([1, 2, 3, 4], 100, 4.0),
        ([30, 10, 20, 0], 50, 15.0),  # sorted first
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 9.55),  # position 8.55
        (list(range(1, 21)), 95, 19.05),  # position 18.05
        (list(range(1, 21)), 50, 10.5),  # position 9.5
        ([5, 5, 5, 10], 50, 5.0),  # ties: position 1.5 lies between two 5s
        ([5, 5, 5, 10], 90, 8.5),  # position 2.7: 5 + 0.7 * 5
        ([0, 10], 33, 3.3),
        ([7], 95, 7.0),
    ],
)
def test_percentile_matches_numpy_linear(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected, abs=1e-12)


def test_percentile_edge_cases() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="q must be"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="q must be"):
        percentile([1.0], -1)
    with pytest.raises(ValueError, match="nan"):
        percentile([1.0, math.nan], 50)


def test_latency_summary() -> None:
    summary = latency_summary([0.5, 1.5, 1.0, 3.0])
    assert summary == {"n": 4, "mean": 1.5, "p50": 1.25, "p95": pytest.approx(2.775, abs=1e-12), "max": 3.0}


def test_latency_summary_empty() -> None:
    summary = latency_summary([])
    assert summary["n"] == 0
    assert sorted(summary) == ["max", "mean", "n", "p50", "p95"]
    assert all(math.isnan(summary[key]) for key in ("mean", "p50", "p95", "max"))


# --- citations (ALCE) ----------------------------------------------------------------------------------

# A worked example of ALCE's definitions (Gao et al. 2023), five sentences of one answer:
#   S1 cites [1, 2]; [1]+[2] entail it; [1] alone entails it; [2] alone doesn't, and removing [2] leaves
#      [1], which still entails it, so [2] is irrelevant. Recall 1; precise citations 1 of 2.
#   S2 cites [3], which entails it. Recall 1; precise 1 of 1.
#   S3 cites [2, 4], which together don't entail it. Recall 0; both citations imprecise (0 of 2), even
#      though the judge flagged them needed.
#   S4 cites nothing. Recall 0; it has no citations to add to precision.
#   S5 cites [4, 5]; only together do they entail it, so removing either breaks entailment. Recall 1;
#      precise 2 of 2.
# Citation recall = 3 / 5 sentences. Citation precision = (1 + 1 + 0 + 2) / (2 + 1 + 2 + 0 + 2) = 4 / 7.
# Uncited share = 1 / 5.
ALCE_EXAMPLE = [
    SentenceJudgment(cited=(1, 2), entailed_by_all=True, needed=(True, False)),
    SentenceJudgment(cited=(3,), entailed_by_all=True, needed=(True,)),
    SentenceJudgment(cited=(2, 4), entailed_by_all=False, needed=(True, True)),
    SentenceJudgment(cited=(), entailed_by_all=False, needed=()),
    SentenceJudgment(cited=(4, 5), entailed_by_all=True, needed=(True, True)),
]


def test_citation_scores_on_the_worked_alce_example() -> None:
    assert citation_recall(ALCE_EXAMPLE) == 0.6
    assert citation_precision(ALCE_EXAMPLE) == 4 / 7
    assert uncited_share(ALCE_EXAMPLE) == 0.2


def test_uncited_sentence_scores_zero_recall_even_if_marked_entailed() -> None:
    judgments = [SentenceJudgment(cited=(), entailed_by_all=True, needed=())]
    assert citation_recall(judgments) == 0.0
    assert uncited_share(judgments) == 1.0
    assert math.isnan(citation_precision(judgments))  # no citations at all


def test_lone_citation_of_an_entailed_sentence_is_always_precise() -> None:
    # ALCE skips the irrelevance check for a single citation: removing it leaves no evidence.
    judgments = [SentenceJudgment(cited=(0,), entailed_by_all=True, needed=(False,))]
    assert citation_precision(judgments) == 1.0
    assert citation_recall(judgments) == 1.0


def test_padding_citations_of_an_entailed_sentence_are_imprecise() -> None:
    # [1] alone entails the sentence; [2] and [3] don't, and dropping either leaves [1], so both are
    # irrelevant. Precision 1 / 3, recall still 1.
    judgments = [SentenceJudgment(cited=(1, 2, 3), entailed_by_all=True, needed=(True, False, False))]
    assert citation_precision(judgments) == pytest.approx(1 / 3, abs=1e-15)
    assert citation_recall(judgments) == 1.0


def test_citation_scores_empty_are_nan() -> None:
    assert math.isnan(citation_recall([]))
    assert math.isnan(citation_precision([]))
    assert math.isnan(uncited_share([]))


def test_sentence_judgment_validates_its_flags() -> None:
    with pytest.raises(ValueError, match="1 needed flags for 2 citations"):
        SentenceJudgment(cited=(0, 1), entailed_by_all=True, needed=(True,))
    with pytest.raises(ValueError, match="duplicate"):
        SentenceJudgment(cited=(2, 2), entailed_by_all=True, needed=(True, True))
