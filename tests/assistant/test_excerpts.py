"""The model reads excerpts: the sentences nearest the question, the one after each, offsets kept."""

from __future__ import annotations

from assistant.generators.excerpts import GAP, TITLE_CHARS, read_passages, select_excerpts, whole_passages
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
    assert kept == 1 and "[1] Hamas under threat | DEBKA | 27 January 2017\n" in messages[1].content
    assert GAP.strip() in excerpts[0].text or excerpts[0].text.startswith("…")


def story(n: int, text: str, source: str = "Wire", published: str = "2023-03-01", title: str = "") -> Passage:
    return Passage(
        f"c{n}", f"a{n}", title or f"Story {n}", source, "", "", published, text, 0, len(text), 0.5
    )


FILLER = "The council also discussed parking fees, library hours and the repair of the old bridge. " * 4


def test_the_model_reads_from_many_candidates_and_what_it_reads_is_renumbered(embeddings):
    candidates = [story(n, FILLER) for n in range(1, 12)]
    candidates.append(story(12, "Mayor Ilse Varga of Tarnow resigned on Monday after nine years in office."))
    reading = read_passages("Who resigned as mayor of Tarnow?", candidates, embeddings, budget_chars=600)
    assert any("Ilse Varga" in e.text for e in reading.excerpts)  # the 12th candidate is read
    assert [e.n for e in reading.excerpts] == list(range(1, len(reading.excerpts) + 1))
    assert [e.passage for e in reading.excerpts] == reading.passages  # numbered as the answer cites them


def test_each_part_of_a_question_is_read_from_its_own_source(embeddings):
    verge = story(
        1, "The Verge reported that the Pixel 8 costs $699 and ships in October. " + FILLER, "The Verge"
    )
    crunch = story(2, "TechCrunch said the Pixel 8 has a seven-year update promise. " + FILLER, "TechCrunch")
    also = [
        story(n, "The Pixel 8 launch event was held in New York. " + FILLER, "The Verge") for n in (3, 4, 5)
    ]
    question = "Does The Verge report the Pixel 8 price while TechCrunch reports its update promise?"
    reading = read_passages(
        question, [verge, *also, crunch], embeddings, budget_chars=500, groups=[{1, 2, 3, 4}, {5}]
    )
    assert {p.source for p in reading.passages} == {"The Verge", "TechCrunch"}


def test_a_sentence_republished_word_for_word_is_read_once(embeddings):
    wire = "Mayor Ilse Varga of Tarnow resigned on Monday after nine years in office."
    candidates = [story(1, wire + " " + FILLER), story(2, wire + " " + FILLER)]
    reading = read_passages("Who resigned as mayor of Tarnow?", candidates, embeddings, budget_chars=500)
    assert sum(e.text.count("Ilse Varga") for e in reading.excerpts) == 1


def test_the_prompt_shows_each_excerpts_date_as_an_answer_says_it_and_a_short_title():
    long_title = "An extremely long headline about the mayor of Tarnow that goes on and on about the council"
    (excerpt,) = whole_passages([story(1, "Text.", published="2023-02-01", title=long_title)])
    assert excerpt.header.endswith("| Wire | 1 February 2023")
    assert len(excerpt.header.split(" | ")[0]) <= 4 + TITLE_CHARS and "…" in excerpt.header
