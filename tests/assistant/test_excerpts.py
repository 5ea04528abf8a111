"""The model reads excerpts: the sentences nearest the question, the one after each, offsets kept."""

from __future__ import annotations

from assistant.generators.excerpts import GAP, select_excerpts, whole_passages
from assistant.generators.prompts import build_messages
from core.answer import Passage

ARTICLE = (
    "In January, when he saw that his bid was going nowhere, Haniyeh decided to return home to Gaza City. "
    "But on the way, he stopped over in Cairo to seek the patronage of Egypt's El-Sisi administration. "
    "The stopover lasted for most of this week, during which he held long talks with Maj. Gen. Khaled Fawzy, "
    "the Director of Egyptian General Intelligence. Most of their daily conversations focused on Ansar Beit "
    "al Maqdis, the Sinai terrorist group which has sworn allegiance to the Islamic State. This group has got "
    "the Egyptian army on the run in the Peninsula. Hamas has also frozen its supplies of arms and explosives "
    "to the Sinai terrorist group. Hundreds of ISIS collaborators have been arrested."
)


def passage(text: str, start: int = 0, n: int = 1) -> Passage:
    return Passage(
        f"c{n}",
        "a1",
        "Hamas under threat",
        "DEBKA",
        "",
        "",
        "2017-01-27",
        text,
        start,
        start + len(text),
        0.5,
    )


def test_the_sentence_after_the_best_one_comes_with_it_and_offsets_are_kept(embeddings):
    offset = 500
    p = passage(ARTICLE, offset)
    (excerpt,) = select_excerpts("Who did Haniyeh meet in Cairo?", [p], embeddings, budget_chars=520)
    assert "stopped over in Cairo" in excerpt.text and "Khaled Fawzy" in excerpt.text
    assert "Hundreds of ISIS collaborators" not in excerpt.text  # over the budget, and far from the question
    for start, end in excerpt.windows:  # windows are offsets into the passage text
        assert ARTICLE[start:end] in excerpt.text
    assert not excerpt.whole


def test_passages_that_fit_the_budget_are_given_whole(embeddings):
    short = passage("Hamas has frozen its supplies of arms to the Sinai group.")
    assert select_excerpts(
        "What did Hamas freeze?", [short], embeddings, budget_chars=2000
    ) == whole_passages([short])
    assert select_excerpts("What did Hamas freeze?", [passage(ARTICLE)], embeddings, budget_chars=0)[0].whole


def test_a_passage_with_nothing_near_the_question_is_left_out_and_numbers_are_kept(embeddings):
    weather = passage("The weather in Oslo was cold and wet all week, with snow on Sunday. " * 6, n=2)
    excerpts = select_excerpts(
        "Who did Haniyeh meet in Cairo?", [passage(ARTICLE), weather], embeddings, budget_chars=450
    )
    assert [e.n for e in excerpts] == [1]
    messages, kept = build_messages(
        "Who did Haniyeh meet in Cairo?", excerpts, context_tokens=4096, answer_tokens=100
    )
    assert kept == 1 and "[1] Hamas under threat | DEBKA | 2017-01-27\n" in messages[1].content
    assert GAP.strip() in excerpts[0].text or excerpts[0].text.startswith("…")
