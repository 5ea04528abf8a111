"""How the chain turns a model's draft into the answer: refusals, verdicts and loops, with a scripted chat
model standing in for the model server (the one external boundary) and real MiniLM for the verifier."""

from __future__ import annotations

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.chain import Assistant
from core.answer import Passage

STRIKE = (
    "The Kelso bus drivers' strike ended on 4 May after 12 days, when the city agreed to a 7 percent raise."
)
SALE = "Petrovia Energy bought the Orlan gas field for 2.1 billion crowns on Monday."
PASSAGES = [
    Passage("c1", "a1", "Kelso strike ends", "Ledger", "", "", "2024-05-04", STRIKE, 0, len(STRIKE), 0.6),
    Passage("c2", "a2", "Orlan gas field sold", "Wire", "", "", "2024-05-06", SALE, 0, len(SALE), 0.5),
]


def assistant_saying(draft: str, embeddings) -> Assistant:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=draft)]))
    return Assistant(None, embeddings, None, model, excerpt_chars=0)  # type: ignore[arg-type]


def test_a_comparison_gets_its_yes_and_one_cited_sentence_per_fact(embeddings):
    draft = "Yes. The Kelso strike ended on 4 May [1]. Petrovia Energy bought the field on Monday, reported on 6 May [2]."
    answer = assistant_saying(draft, embeddings).ask(
        "Did the Kelso strike end before Petrovia Energy bought the Orlan gas field?", passages=PASSAGES
    )
    assert not answer.declined and answer.text.startswith("Yes")
    assert all(s.supported for s in answer.sentences)
    assert {c.n for c in answer.citations} == {1, 2}


def test_a_yes_in_front_of_a_who_answer_is_dropped(embeddings):
    answer = assistant_saying("Yes. Petrovia Energy bought it [2].", embeddings).ask(
        "Who bought the Orlan gas field?", passages=PASSAGES
    )
    assert answer.text.startswith("Petrovia Energy bought it") and not answer.declined


def test_a_refusal_beside_a_supported_answer_is_dropped_and_alone_it_declines(embeddings):
    answer = assistant_saying(
        "The passages do not say. Petrovia Energy bought the field [2].", embeddings
    ).ask("Who bought the Orlan gas field?", passages=PASSAGES)
    assert not answer.declined and "do not say" not in answer.text
    refused = assistant_saying("No. The passages do not say.", embeddings).ask(
        "Did Petrovia Energy sell the Kelso buses?", passages=PASSAGES
    )
    assert refused.declined and refused.draft == "No. The passages do not say."


def test_a_model_repeating_itself_is_stopped(embeddings):
    loop = "The passages do not say. " * 40
    answer = assistant_saying(loop, embeddings).ask("Who won the vote?", passages=PASSAGES)
    assert answer.declined
    assert answer.draft.count("do not say") == 2  # stopped at the first repeat, not after 40


def test_a_side_fact_off_the_question_does_not_carry_an_unsupported_answer(embeddings):
    # The sample bench's "How long should I boil an egg?": an invented answer beside a true sentence
    # about something else was shown, because one of its sentences was supported.
    draft = "Boil the egg for about 7 minutes [1]. The strike ended on 4 May after 12 days [1]."
    answer = assistant_saying(draft, embeddings).ask(
        "How long should I boil an egg to get a runny yolk?", passages=PASSAGES
    )
    assert answer.declined
    on_topic = assistant_saying(
        "The raise was 9 percent [1]. The Kelso strike ended on 4 May after 12 days [1].", embeddings
    ).ask("How long did the Kelso strike last?", passages=PASSAGES)
    assert not on_topic.declined  # the second sentence answers it, though the first is wrong


def test_a_citation_between_two_stops_leaves_one_and_the_date_before_it(embeddings):
    answer = assistant_saying("Petrovia Energy bought the field. [2].", embeddings).ask(
        "Who bought the Orlan gas field?", passages=PASSAGES
    )
    assert answer.text == "Petrovia Energy bought the field (reported 6 May 2024) [2]."


def test_a_stray_verdict_with_only_a_citation_leaves_no_empty_sentence(embeddings):
    # The sample's "How many lots of Valsorin did Meridane withdraw?": "No. [1]. The recall affected 27 ..."
    answer = assistant_saying("No. [1]. Petrovia Energy bought the field [2].", embeddings).ask(
        "Who bought the Orlan gas field?", passages=PASSAGES
    )
    assert answer.text.startswith("Petrovia Energy bought the field") and not answer.declined
