"""Parse ``[n]`` citations out of an answer, check each sentence against its cited passages, and locate the
supporting span in each cited article so the UI can highlight it.

A sentence is supported when its cited passages, together, state it:
- the words it adds to the question are found in the passages' best spans (a sentence or two adjacent ones
  per passage; a comparison may take its facts from two passages), at least ``SUPPORT_THRESHOLD`` of them;
- or, for a paraphrase, the spans mean the same (embedding similarity at least ``PARAPHRASE_SIMILARITY``)
  while sharing at least ``PARAPHRASE_MIN_OVERLAP`` of the words;
- and in either case every name, number and date it adds is in those spans (or in the passage's title and
  date line): a right-sounding sentence with a wrong figure is not supported.
A sentence about a question whose names the passages mostly lack (two or more, and at least half) is not
supported: the passages are about something else, and restating the question around a name found in them
invents the connection.
A bare "Yes." / "No." is the verdict the following sentences argue for: it is supported when one of them is,
or else when the passages, together, state the question's premises (``PREMISE_COVERAGE`` of its words, in
at most three spans, which it then cites): the verdict is the model's reading of those spans, and the
sentences arguing it that their citations do not support stay flagged.
Words are compared in ``core.words.match_words`` form, so "anticipated" meets "anticipates".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np
from langchain_core.embeddings import Embeddings

from core.answer import Citation, Passage, Sentence
from core.sentences import split_sentences
from core.words import STOP, WORD, match_words, word_forms

_CITE = re.compile(r"\[(\d+(?:\s*[-–,;]\s*\d+)*)\]")
_CITE_AFTER_STOP = re.compile(r"""([.!?]["'”’)]*)((?:\s*\[\d+(?:\s*[-–,;]\s*\d+)*\])+)""")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*[\w]|\b[A-Z]\b")
_OPENS = re.compile(r"[.!?:]['\"”’)]*\s+$")  # what comes before a word that opens a sentence
_VERDICT = re.compile(r"^\s*(yes|no)(?:\s*[.,;:!]+|\s*$)\s*", re.IGNORECASE)
_OPENING_VERDICT = re.compile(r"\s*((?:yes|no)\.)\s+(?=[A-Z\"“‘\[])", re.IGNORECASE)
_CITES_ONLY = re.compile(r"^[\s.,;&]*(?:and[\s.,;&]*)?$", re.IGNORECASE)  # what is left of "[1] and [2]."
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|without|neither)\b|n['’]t\b", re.IGNORECASE)
_REPORTING_DENIAL = re.compile(
    r"\b(?:do|does|did)(?:n['’]t| not)\s+(?:\w+ly\s+)?(?:say|suggest|indicate|mention|report|claim|state|imply|"
    r"show|discuss|address|specify)\b",
    re.IGNORECASE,
)
# How a question frames its premises rather than what they say: not looked for in the passages.
QUESTION_FRAME = frozenset(
    match_words(
        """article articles report reports reported reporting publish published piece news source coverage
        suggest discuss mention indicate portray portrayal narrative between change consistent consistency
        inconsistent same different similar later earlier after before regarding concerning"""
    )
)
_MONTHS = "January February March April May June July August September October November December".split()
SUPPORT_THRESHOLD = 0.6  # share of a sentence's new content words that its cited spans must contain
PARAPHRASE_SIMILARITY = 0.70  # cosine (MiniLM) between a sentence and its spans that counts as the same claim
PARAPHRASE_MIN_OVERLAP = 0.34  # ...provided they still share this share of its words
NAMES_OFF_TOPIC = (
    0.5  # the passages are off the question when they lack this share of its names (two or more)
)
PREMISE_COVERAGE = SUPPORT_THRESHOLD  # share of a yes/no question's words its premise spans must hold
MAX_PREMISE_PASSAGES = 3  # a verdict cites at most this many premise spans
ANCHOR_THRESHOLD = 0.5  # share of the question words a sentence restates that the passages must mention


@dataclass(frozen=True)
class Verified:
    sentences: list[Sentence]
    citations: list[Citation]
    text: str  # the answer with citations that name no passage removed
    warnings: list[str]


def key_terms(claim: str, question: str = "") -> set[str]:
    """The names, numbers and dates ``claim`` states that ``question`` does not (stemmed, lowercased): each
    must be found in the claim's spans. A capitalised word counts as a name unless it opens a sentence."""
    numbers = {t for t in WORD.findall(claim) if any(c.isdigit() for c in t)}
    return _terms(numbers | _names(claim), question)


def _names(text: str) -> set[str]:
    """Capitalised words of ``text`` that do not open a sentence: the names it gives."""
    return {
        m.group()
        for m in _CAPITALISED.finditer(text)
        if m.start() > 0 and not _OPENS.search(text[: m.start()])
    }


def _terms(terms: set[str], question: str) -> set[str]:
    asked = word_forms(question)
    return {w for t in terms for w in word_forms(t) if w not in STOP and w not in asked}


def is_verdict(text: str) -> bool:
    """A bare "Yes." or "No." (the answer to a yes/no question, argued by the sentences after it)."""
    match = _VERDICT.match(text)
    return match is not None and not text[match.end() :].strip(" .!")


def strip_verdict(answer: str) -> str:
    """``answer`` without a "Yes."/"No." in front (a small model's habit even when nobody asked yes or no)."""
    match = _VERDICT.match(answer)
    if not match:
        return answer
    rest = answer[match.end() :].lstrip()
    return rest[:1].upper() + rest[1:] if rest else answer


def parse_cites(group: str) -> list[int]:
    """``"1, 3-4"`` -> ``[1, 3, 4]``."""
    numbers: list[int] = []
    for part in re.split(r"[,;]", group):
        bounds = [int(x) for x in re.split(r"[-–]", part) if x.strip()]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def split_cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """Sentences of ``answer`` with the citation numbers attached to each (markers removed from the text).

    A citation group right after a sentence's final period belongs to that sentence.
    """
    result: list[tuple[str, list[int]]] = []
    opening = _OPENING_VERDICT.match(answer)
    if opening:  # "No. The article..." is a verdict and a sentence (the splitter reads "No." as in "No. 5")
        result.append((opening.group(1), []))
        answer = answer[opening.end() :]
    answer = _CITE_AFTER_STOP.sub(r"\2\1", answer)  # 'frozen.[2]' -> 'frozen[2].', 'it."[2]' -> 'it[2]."'
    for span in split_sentences(answer):
        raw = answer[span.start : span.end]
        cites = [n for m in _CITE.finditer(raw) for n in parse_cites(m.group(1))]
        text = " ".join(_CITE.sub("", raw).split()).replace(" .", ".").replace(" ,", ",")
        if _CITES_ONLY.match(text) and result:  # a lone "[2]." that the splitter cut off, or "[1] and [2]"
            result[-1][1].extend(cites)
            continue
        if text:
            result.append((text, list(dict.fromkeys(cites))))
    return result


@dataclass
class _Source:
    """One passage, split into the spans a claim can be checked against (offsets in the article)."""

    passage: Passage
    spans: list[tuple[int, int, str, set[str], bool]]  # start, end, text, words (stemmed), two sentences
    header: set[str]  # words of the title, source and date line: true of the whole passage
    about: set[str]  # content words of the title and text: what the passage is about


def _source(p: Passage) -> _Source:
    sentences = split_sentences(p.text, offset=p.start)
    spans = []
    for first, last in [(s, s) for s in sentences] + list(pairwise(sentences)):
        text = p.text[first.start - p.start : last.end - p.start]
        spans.append((first.start, last.end, text, word_forms(text), first is not last))
    # The date line is when the passage was reported: "X reported on 6 May" is what it says.
    dated = f"reported published {_date_words(p.published)}" if p.published else ""
    header = word_forms(f"{p.title} {p.source} {dated}")
    return _Source(p, spans, header, set(match_words(f"{p.title} {p.text}")))


def _date_words(published: str) -> str:
    """'2023-11-24' -> '2023-11-24 2023 November 24 Nov': the forms a sentence may give the date in."""
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)", published or "")
    if not match:
        return published or ""
    year, month, day = match.groups()
    name = _MONTHS[int(month) - 1] if 1 <= int(month) <= 12 else ""
    return f"{published} {year} {name} {name[:3]} {int(day)}"


@dataclass(frozen=True)
class _Support:
    score: float  # 0..1: coverage of the claim's new words, or the paraphrase similarity when that decides
    spans: dict[int, tuple[int, int]]  # passage number -> the span that contributed
    supported: bool


class _Checker:
    """Checks claims against numbered passages; embeds spans only when a paraphrase needs deciding."""

    def __init__(self, passages: list[Passage], question: str, embeddings: Embeddings | None) -> None:
        self.sources = [_source(p) for p in passages]
        # What the passages given are about, together: a sentence that restates a long multi-part question
        # must find most of those words somewhere in them (the facts it adds must be in its own spans).
        self.about: set[str] = set().union(*(s.about | s.header for s in self.sources))
        self.question = question
        self.given = frozenset(match_words(question))
        # The names, numbers and dates the question gives: when the passages lack two or more of them and at
        # least half, they are about something else, and an answer that restates the question invents the
        # connection. (One name missing of one or two is a spelling: "U.S." for "American".)
        named = _terms(_names(question), "")
        missing = len(named - self.about)
        self.on_topic = not (missing >= 2 and missing / len(named) >= NAMES_OFF_TOPIC) if named else None
        self.embeddings = embeddings

    def support(self, claim: str, cites: list[int]) -> _Support:
        all_words = set(match_words(claim))
        words = (all_words - self.given) or all_words
        keys = key_terms(claim, self.question)
        restated = all_words & self.given
        sources = {n: self.sources[n - 1] for n in cites}
        if not sources or not words:
            return _Support(0.0, {}, False)
        if self.on_topic is not None:
            anchored = self.on_topic
        else:  # a question without names: most of the words it restates must be in the passages
            anchored = not restated or len(restated & self.about) / len(restated) >= ANCHOR_THRESHOLD
        covered: set[str] = set()
        spans: dict[int, tuple[int, int]] = {}
        best_text: list[str] = []
        for n, source in sources.items():
            found = self._best_span(source, words, keys)
            if found is None:  # nothing in the text: the title and date line may still hold it
                if not source.spans:
                    continue
                found = source.spans[0][:4]
            start, end, text, span_words = found
            gained = (words | keys) & (span_words | source.header)
            if gained or not spans:
                spans[n] = (start, end)
                best_text.append(text)
                covered |= gained
        coverage = len(words & covered) / len(words)
        keys_found = keys <= covered
        # A denial the passages do not make is a claim of its own: "were not rescued" is not in "were rescued".
        denial_found = not _negated(claim) or any(_negated(t) for t in best_text)
        supported = anchored and keys_found and denial_found and coverage >= SUPPORT_THRESHOLD
        score = coverage
        paraphrase_possible = coverage >= PARAPHRASE_MIN_OVERLAP and _negated(claim) == any(
            _negated(t) for t in best_text
        )  # "did not raise" is close to "raised" in embedding space: never a paraphrase of it
        if not supported and anchored and keys_found and denial_found and paraphrase_possible:
            similarity = self._similarity(claim, " ".join(best_text))
            supported = similarity >= PARAPHRASE_SIMILARITY
            score = max(coverage, similarity) if supported else coverage
        if not supported:
            score = min(score, SUPPORT_THRESHOLD - 0.01)
        return _Support(score, spans, supported)

    def premises(self) -> _Support:
        """How far the passages, together, state what a yes/no question takes as given ("Does A report X
        while B reports Y?": X in A's passage, Y in B's): what a "Yes."/"No." verdict rests on when no
        sentence after it is supported by its own citations. The verdict is the model's reading of those
        spans; it is shown, citing them, when they hold at least ``PREMISE_COVERAGE`` of the question's words
        and lack no more than a few of its names."""
        words = set(match_words(self.question)) - QUESTION_FRAME
        if not words or self.on_topic is False:
            return _Support(0.0, {}, False)
        found: list[tuple[int, tuple[int, int], set[str]]] = []
        for n, source in enumerate(self.sources, start=1):
            best = self._best_span(source, words, set())
            if best is not None:
                found.append((n, best[:2], words & (best[3] | source.header)))
        covered: set[str] = set()
        spans: dict[int, tuple[int, int]] = {}
        for n, span, gained in sorted(found, key=lambda f: -len(f[2])):
            if len(gained - covered) >= 2 and len(spans) < MAX_PREMISE_PASSAGES:
                spans[n] = span
                covered |= gained
        coverage = len(covered) / len(words)
        return _Support(coverage, dict(sorted(spans.items())), coverage >= PREMISE_COVERAGE)

    def _best_span(
        self, source: _Source, words: set[str], keys: set[str]
    ) -> tuple[int, int, str, set[str]] | None:
        best, best_score = None, 0.0
        for start, end, text, span_words, pair in source.spans:
            hits = len(words & span_words) + len(keys & span_words)  # names and numbers count twice
            score = hits - (0.25 if pair else 0.0)  # the single sentence wins a tie with its pair
            if score > best_score:
                best, best_score = (start, end, text, span_words), score
        return best

    def _similarity(self, claim: str, span_text: str) -> float:
        if self.embeddings is None or not span_text:
            return 0.0
        a, b = np.asarray(self.embeddings.embed_documents([claim, span_text]))
        return float(a @ b / ((np.linalg.norm(a) * np.linalg.norm(b)) or 1.0))


def _negated(text: str) -> bool:
    """Whether ``text`` denies something: "not", "never"... A denial of what an article says ("the article
    does not suggest") is about the article, not a fact of its own, so it does not count."""
    return bool(_NEGATION.search(_REPORTING_DENIAL.sub(" ", text)))


def locate_span(claim: str, passage: Passage, question: str = "") -> tuple[int, int, float]:
    """The span of ``passage`` (a sentence or two adjacent ones) that best covers ``claim``, and the share of
    the claim's new words it covers (below ``SUPPORT_THRESHOLD`` when a name or number is missing)."""
    result = _Checker([passage], question, None).support(claim, [1])
    start, end = result.spans.get(1, (passage.start, passage.start))
    return start, end, result.score


def support_checker(
    passages: list[Passage], question: str = "", embeddings: Embeddings | None = None
) -> Callable[[str, list[int]], tuple[bool, float]]:
    """``check(claim, cites)``: whether passages ``cites`` (1-based) of ``passages`` together support
    ``claim``, and the score; the passages are split once for every claim checked."""
    checker = _Checker(passages, question, embeddings)

    def check(claim: str, cites: list[int]) -> tuple[bool, float]:
        result = checker.support(claim, cites)
        return result.supported, result.score

    return check


def verify_answer(
    answer: str, passages: list[Passage], question: str = "", embeddings: Embeddings | None = None
) -> Verified:
    """Check every sentence's citations against the numbered ``passages`` (``[1]`` is ``passages[0]``).

    Citations of passages that do not exist are removed. A sentence its citations do not support, or that has
    none, is attributed to the passages that do support it when some do (with a warning when that changes a
    citation), and is otherwise marked unsupported: never silently dropped. ``embeddings`` lets a paraphrase
    count as support (without them only word overlap does).
    """
    checker = _Checker(passages, question, embeddings)
    warnings: list[str] = []
    checked: list[tuple[str, list[int], _Support | None]] = []
    for text, cites in split_cited_sentences(answer):
        valid = [n for n in cites if 1 <= n <= len(passages)]
        warnings.extend(f"Removed citation [{n}]: there is no passage {n}." for n in cites if n not in valid)
        if is_verdict(text):
            checked.append((text, valid, None))  # decided by the sentences that argue for it
            continue
        result = checker.support(text, valid)
        if not result.supported and passages:
            attributed = _attribute(checker, text, len(passages))
            if attributed is not None:
                numbers, result = attributed
                if valid:  # a wrong citation corrected; attributing an uncited sentence is routine
                    was = "".join(f"[{n}]" for n in valid)
                    now = "".join(f"[{n}]" for n in numbers)
                    warnings.append(f"Cited {now} instead of {was} for: {_clip(text)}")
                valid = numbers
        checked.append((text, valid, result))
    argued = [r for _, _, r in checked if r is not None and r.supported]
    sentences: list[Sentence] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    kept_text: list[str] = []
    for text, valid, checked_result in checked:
        if checked_result is None:  # a verdict: as good as the best argument for it, citing what that cites
            if argued:
                cited = tuple(sorted({n for r in argued for n in r.spans}))
                sentence = Sentence(text, cited, True, max(r.score for r in argued))
            else:  # no argument is supported: the verdict stands on the question's premises, if found
                premises = checker.premises()
                cited = tuple(premises.spans) if premises.supported else tuple(valid)
                sentence = Sentence(text, cited, premises.supported, premises.score)
                for n, span in premises.spans.items() if premises.supported else ():
                    spans.setdefault(n, []).append(span)
        else:
            result = checked_result
            sentence = Sentence(text, tuple(valid), bool(valid) and result.supported, result.score)
            for n, span in result.spans.items():
                if result.supported or not spans.get(n):
                    spans.setdefault(n, []).append(span)
        sentences.append(sentence)
        marks = "".join(f"[{n}]" for n in sentence.cites)
        kept_text.append(
            f"{text[:-1]} {marks}{text[-1]}" if marks and text[-1] in ".!?" else f"{text} {marks}".strip()
        )
    citations = []
    for n in sorted(spans):
        p = passages[n - 1]
        start = min(s for s, _ in spans[n])
        end = max(e for _, e in spans[n])
        citations.append(Citation(n, p, start, end, p.text[start - p.start : end - p.start]))
    return Verified(sentences, citations, " ".join(kept_text), warnings)


def _attribute(checker: _Checker, claim: str, count: int) -> tuple[list[int], _Support] | None:
    """The passage, or failing that the two or three passages together (a comparison restated whole), that
    support ``claim``; None if none do."""
    singles = {n: checker.support(claim, [n]) for n in range(1, count + 1)}
    best = max(singles, key=lambda n: singles[n].score)
    if singles[best].supported:
        return [best], singles[best]
    ranked = sorted(singles, key=lambda n: -singles[n].score)[:3]
    for group in [*combinations(ranked, 2), tuple(ranked)] if len(ranked) > 1 else []:
        together = checker.support(claim, sorted(group))
        if together.supported:
            return sorted(together.spans), together
    return None


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
