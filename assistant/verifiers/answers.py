"""From the answerer's draft to the ``Verdict`` the analyst's ``Answer`` is built from: every sentence checked against the passages
it cites, and a refusal only when the model says the articles lack the answer or no sentence is supported."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from langchain_core.embeddings import Embeddings

from assistant.ranking import asks_yes_no, best_sentences
from assistant.verifiers.citations import is_verdict, render, strip_verdict, verify_answer
from assistant.verifiers.claims import ClaimReader
from assistant.verifiers.conflicts import citation_of, conflict_of, dated, earlier, find_conflicts, latest
from core.answer import NOT_IN_ARTICLES, Citation, Conflict, Passage, Sentence, Verdict
from core.words import match_words

# A report this many days newer than the one the answer came from makes it stale: the latest leads. Reports
# of the same week are one story told twice; they are only noted.
STALE_DAYS = 7
_DECLINE = re.compile(
    r"do(?:es)? not (?:contain|include|mention|say|provide|specify|state|give|have)|no information"
    r"|not (?:stated|mentioned|specified)|cannot be (?:determined|answered)",
    re.I,
)


def verdict(
    draft: str,
    question: str,
    passages: list[Passage],
    embeddings: Embeddings,
    *,
    closest: bool = True,
    as_of: date | None = None,
    reader: ClaimReader | None = None,
) -> Verdict:
    """Verify ``draft``'s citations against ``passages``: the answer shown, or a decline when no sentence of
    it is supported by the passages, or its verdict is not. A shown answer says the date of its report and,
    when the passages give another figure on another day, leads with the latest (as of ``as_of``) and notes
    the earlier one (``Verdict.conflicts``).

    A declined answer still says what the closest passages do hold, cited, so the analyst can judge
    (``closest``: the extractive answerer's draft already is those passages' best sentences). ``reader``: the
    trained claim checker, which decides what is supported (else the words do).
    """
    if not asks_yes_no(question):
        draft = strip_verdict(draft)
    draft = _without_refusals(draft)  # "The passages do not say." beside an answer is not the answer
    verified = (
        verify_answer(draft, passages, question, embeddings, as_of, reader)
        if draft and not says_not_in_articles(draft)
        else None
    )
    if verified is not None and _answered(verified.sentences, question):
        sentences = _short(verified.sentences, question)
        cited = {n for sentence in sentences for n in sentence.cites}
        citations = [c for c in verified.citations if c.n in cited]
        return _latest_first(
            sentences, citations, tuple(verified.warnings), passages, question, as_of, reader
        )
    if not closest or not passages:
        return Verdict(NOT_IN_ARTICLES, declined=True)
    warnings: tuple[str, ...] = ()
    if verified is not None:
        warnings = ("The model's answer was not supported by the passages, so it is not shown.",)
    nearby = best_sentences(question, passages, embeddings, max_sentences=2)
    if not nearby:
        return Verdict(NOT_IN_ARTICLES, declined=True, warnings=warnings)
    # The passages' own sentences, checked as quotes: they are not offered as the answer to the question.
    quoted = verify_answer(nearby, passages, "", embeddings)
    return Verdict(
        f"{NOT_IN_ARTICLES} The closest passages say: {quoted.text}",
        declined=True,
        sentences=tuple(quoted.sentences),
        citations=tuple(quoted.citations),
        warnings=warnings,
    )


def _latest_first(
    sentences: list[Sentence],
    citations: list[Citation],
    warnings: tuple[str, ...],
    passages: list[Passage],
    question: str,
    as_of: date | None,
    reader: ClaimReader | None = None,
) -> Verdict:
    """The shown answer with its lead sentence dated; when another day's report gives another figure, it
    leads with the latest and adds one line on the earlier one (both cited), recorded in ``conflicts``."""
    shown = Verdict(render(sentences), False, tuple(sentences), tuple(citations), warnings)
    leads = [i for i, s in enumerate(sentences) if s.supported and not is_verdict(s.text)]
    if not leads:
        return shown
    i = leads[0]
    lead = sentences[i]
    reports, mine = find_conflicts(question, lead, passages, as_of, reader)
    dates = [passages[n - 1].published[:10] for n in lead.cites if passages[n - 1].published]
    when = mine.passage.published[:10] if mine else max(dates, default="")
    stale = (date.fromisoformat(when) + timedelta(days=STALE_DAYS)).isoformat() if when else "9999"
    newer = [r for r in reports if r.passage.published[:10] >= stale]
    older = [r for r in reports if r not in newer]
    sentences = list(sentences)
    added = []
    conflicts: tuple[Conflict, ...] = ()
    if newer and mine is not None:  # the answer came from an older report: the latest leads
        sentences[i : i + 1] = [latest(newer[0]), earlier(lead.text, when, lead.cites)]
        conflicts = (conflict_of(mine),)
        added.append(newer[0])
    else:
        sentences[i] = replace(lead, text=dated(lead.text, when))
        if older:
            sentences.insert(i + 1, earlier(older[0].text, older[0].passage.published, (older[0].n,)))
            conflicts = (conflict_of(older[0]),)
            added.append(older[0])
    cited = {c.n for c in citations}
    citations = sorted(citations + [citation_of(r) for r in added if r.n not in cited], key=lambda c: c.n)
    return replace(
        shown,
        text=render(sentences),
        sentences=tuple(sentences),
        citations=tuple(citations),
        conflicts=conflicts,
    )


def _short(sentences: list[Sentence], question: str) -> list[Sentence]:
    """The answer without the sentences after its first that only restate the question (they add no fact
    and check nothing); a yes/no answer's sentences argue its verdict and all stay."""
    if asks_yes_no(question):
        return sentences
    asked = set(match_words(question))
    return [s for i, s in enumerate(sentences) if i == 0 or s.supported or set(match_words(s.text)) - asked]


def _answered(sentences: list[Sentence], question: str) -> bool:
    """Whether the draft answers: a supported sentence about the question (the first, or one that shares a
    word with it: "the strike will last 72 hours" beside an unsupported answer on boiling eggs answers
    nothing), and, when it opens with a verdict, a supported verdict ("Yes."/"No." is the answer; the facts
    after it do not stand for a verdict their passages do not give)."""
    asked = set(match_words(question))
    if not any(
        s.supported and (i == 0 or not asked or set(match_words(s.text)) & asked)
        for i, s in enumerate(sentences)
    ):
        return False
    return sentences[0].supported or not is_verdict(sentences[0].text)


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
