"""A question that names several outlets is searched in each: its parts."""

from __future__ import annotations

from assistant.retrievers.parts import Part, question_parts

SOURCES = ["TechCrunch", "The Verge", "The Age", "Cnbc | World Business News Leader", "The New York Times"]


def test_each_outlet_named_is_a_part_with_the_words_that_follow_it():
    question = (
        "Does the article from Cnbc | World Business News Leader suggest that sellers on Amazon set "
        "non-competitive prices, while the article from The Verge indicates that eBay matches prices?"
    )
    parts = question_parts(question, SOURCES)
    assert [p.source for p in parts] == ["Cnbc | World Business News Leader", "The Verge"]
    assert "non-competitive prices" in parts[0].text and "eBay matches prices" in parts[1].text


def test_a_part_with_nothing_of_its_own_shares_the_next_parts_words():
    question = "Do 'The Age' and 'TechCrunch' articles imply Google's actions are driven by profit?"
    age, crunch = question_parts(question, SOURCES)
    assert age.source == "The Age" and "driven by profit" in age.text and "driven by profit" in crunch.text


def test_outlets_are_names_as_written_not_words():
    assert question_parts("What shaped the age of AI?", SOURCES) == []  # "the age", not "The Age"
    one = question_parts("Which company did a New York Times article say was fined?", SOURCES)
    assert one == [Part("Which company did a New York Times article say was fined?", "The New York Times")]
