from assistant.answer import Passage
from assistant.citations import content_words, locate_span, parse_cites, split_cited_sentences, verify_answer

ARTICLE = (
    "Haniyeh stopped over in Cairo. Hamas has also frozen its supplies of arms and explosives to the Sinai "
    "group. On Monday, Jan. 23, ISIS posted a warning to Hamas, demanding the release of Salafist detainees "
    "without delay. Hundreds of ISIS collaborators have been arrested."
)


def passage(text: str = ARTICLE, offset: int = 0) -> Passage:
    return Passage(
        "c-1", "a-1", "Hamas threatened", "DEBKA", "", "", "2017-01-27", text, offset, offset + len(text), 0.6
    )


def test_parse_citation_groups_and_ranges():
    assert parse_cites("1") == [1]
    assert parse_cites("1, 3") == [1, 3]
    assert parse_cites("2-4") == [2, 3, 4]
    assert parse_cites("1; 2") == [1, 2]


def test_sentences_keep_their_citations_including_after_the_period():
    parts = split_cited_sentences(
        "ISIS demanded the release of detainees [1]. Arms were frozen.[2][3] Nothing here."
    )
    assert parts == [
        ("ISIS demanded the release of detainees.", [1]),
        ("Arms were frozen.", [2, 3]),
        ("Nothing here.", []),
    ]


def test_span_is_located_in_article_offsets():
    offset = 1000
    article = "x" * offset + ARTICLE
    start, end, support = locate_span(
        "ISIS demanded the release of Salafist detainees.", passage(ARTICLE, offset)
    )
    assert article[start:end].startswith("On Monday, Jan. 23, ISIS posted a warning")
    assert article[start:end].endswith("without delay.")
    assert support == 1.0


def test_wrong_number_is_not_supported():
    _, _, support = locate_span("Forty-two ISIS collaborators, 900 in all, were arrested.", passage())
    assert support < 0.6


def test_verify_flags_unsupported_and_drops_citations_of_missing_passages():
    verified = verify_answer(
        "ISIS demanded the release of Salafist detainees [1]. Egypt won the World Cup in Doha [4]. Egypt won.",
        [passage()],
    )
    assert [s.supported for s in verified.sentences] == [True, False, False]
    assert verified.sentences[1].cites == ()
    assert "[4]" not in verified.text
    assert any("[4]" in w for w in verified.warnings)
    (citation,) = verified.citations
    assert citation.n == 1
    assert ARTICLE[citation.start : citation.end] == citation.quote
    assert "Salafist detainees" in citation.quote


def test_uncited_or_miscited_sentence_is_attributed_to_the_passage_that_supports_it():
    other = passage("The weather in Cairo was mild all week.", 5000)
    verified = verify_answer(
        "Hamas froze its arms supplies. Hundreds of collaborators were arrested [1].", [other, passage()]
    )
    assert [s.cites for s in verified.sentences] == [(2,), (2,)]
    assert all(s.supported for s in verified.sentences)
    assert any("instead of [1]" in w for w in verified.warnings)


def test_words_restated_from_the_question_need_no_support():
    claim = "The hackers most likely broke into the utility through a contractor's remote-access account."
    text = "Early evidence suggested the attackers entered through a contractor's remote-access account."
    p = Passage(
        "c", "a", "Ransomware attack on the Lindmoor water utility", "", "", "", "", text, 0, len(text), 0.5
    )
    _, _, plain = locate_span(claim, p)
    _, _, given = locate_span(
        claim, p, frozenset(content_words("How did the hackers break into the utility?"))
    )
    assert plain < 0.6 <= given


def test_citation_span_covers_every_supported_sentence_citing_it():
    verified = verify_answer(
        "Hamas froze its supplies of arms [1]. Hundreds of collaborators were arrested [1].", [passage()]
    )
    (citation,) = verified.citations
    assert "frozen its supplies" in citation.quote and "collaborators have been arrested" in citation.quote


def test_true_figure_attached_to_the_question_subject_from_another_story_is_not_supported():
    deal = passage("Break-up fee: $190 million, payable by Quillon if regulators block the deal.")
    question = "What transfer fee did the football club pay for its new centre-forward this summer?"
    claim = (
        "The transfer fee paid by the football club for its new centre-forward this summer was $190 million."
    )
    verified = verify_answer(claim + " [1]", [deal], question)
    assert not verified.sentences[0].supported
