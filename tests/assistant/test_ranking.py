"""Sentence ranking (assistant/ranking.py): what the extractive answerer leads with and what the model reads."""

from __future__ import annotations

import pytest

from assistant.ranking import asks_yes_no, score_sentences
from core.answer import Passage


@pytest.mark.parametrize(
    ("question", "yes_no"),
    [
        ("Does the Verge article suggest that Google's deals are unnecessary?", True),
        (
            "Between the report from The Age on 26 September and the one from Wired, is there consistency?",
            True,
        ),
        ("Which company, reported by TechCrunch, has been involved in antitrust cases?", False),
        (
            "Considering the two reports, which network, known for its initialism, did she partner with?",
            False,
        ),
        ("Who did Ismail Haniyeh meet in Cairo?", False),
        ("Did the strike end before the sale?", True),
    ],
)
def test_yes_no_questions_are_told_from_questions_asking_for_a_thing(question, yes_no):
    assert asks_yes_no(question) is yes_no


def test_the_sentence_with_the_questions_own_word_outranks_the_stories_lede(embeddings):
    text = (
        "ISIS in Sinai units hold Palestinian operatives, mostly explosives experts, loaned by Hamas. "
        "On Monday ISIS posted a warning to Hamas, demanding the release of Salafist detainees."
    )
    p = Passage("c", "a", "Hamas under threat from ISIS Sinai", "DEBKA", "", "", "", text, 0, len(text), 0.5)
    ranked = sorted(
        score_sentences("What did ISIS in Sinai demand from Hamas?", [p], embeddings), key=lambda s: -s.score
    )
    assert ranked[0].text.startswith("On Monday ISIS posted a warning")
