"""From the answerer's draft to the ``Answer`` the analyst sees: every sentence checked against the passages
it cites, and a refusal only when the model says the articles lack the answer or no sentence is supported."""

from __future__ import annotations

import re

from langchain_core.embeddings import Embeddings

from assistant.generators.extractive import extract_answer
from assistant.verifiers.citations import is_verdict, strip_verdict, verify_answer
from assistant.verifiers.relevance import asks_yes_no
from core.answer import NOT_IN_ARTICLES, Answer

_DECLINE = re.compile(
    r"do(?:es)? not (?:contain|include|mention|say|provide|specify|state|give|have)|no information"
    r"|not (?:stated|mentioned|specified)|cannot be (?:determined|answered)",
    re.I,
)


def finish_answer(
    answer: Answer, draft: str, question: str, embeddings: Embeddings, *, closest: bool = True
) -> None:
    """Verify ``draft``'s citations against ``answer.passages`` and fill in ``answer``; decline when no
    sentence of it is supported by the passages.

    A declined answer still says what the closest passages do hold, cited, so the analyst can judge
    (``closest``: the extractive answerer's draft already is those passages' best sentences).
    """
    passages = answer.passages
    if not asks_yes_no(question):
        draft = strip_verdict(draft)
    draft = _without_refusals(draft)  # "The passages do not say." beside an answer is not the answer
    verified = (
        verify_answer(draft, passages, question, embeddings)
        if draft and not says_not_in_articles(draft)
        else None
    )
    if verified is not None and any(s.supported for s in verified.sentences):
        answer.text = verified.text
        answer.sentences = verified.sentences
        answer.citations = verified.citations
        answer.warnings.extend(verified.warnings)
        return
    answer.declined = True
    answer.text = NOT_IN_ARTICLES
    if not closest or not passages:
        return
    if verified is not None:
        answer.warnings.append("The model's answer was not supported by the passages, so it is not shown.")
    nearby = extract_answer(question, passages, embeddings, max_sentences=2)
    if nearby:
        # The passages' own sentences, checked as quotes: they are not offered as the answer to the question.
        closest_text = verify_answer(nearby, passages, "", embeddings)
        answer.text = f"{NOT_IN_ARTICLES} The closest passages say: {closest_text.text}"
        answer.sentences = closest_text.sentences
        answer.citations = closest_text.citations


def _without_refusals(draft: str) -> str:
    """``draft`` without its sentences that say the passages lack the answer, when it has other sentences
    besides a bare "Yes."/"No." (else the whole refusal, so that the answer is declined: "No. The passages do
    not say." refuses, it does not answer no)."""
    sentences = re.split(r"(?<=[.!?])\s+", draft.strip())
    kept = [s for s in sentences if not (_DECLINE.search(s) and "[" not in s)]
    return " ".join(kept) if kept and not all(is_verdict(s) for s in kept) else draft


def says_not_in_articles(draft: str) -> bool:
    """The model said the passages hold no answer (and cited nothing)."""
    return bool(_DECLINE.search(draft)) and "[" not in draft
