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
With the trained claim checker (``reader``, ``verifiers.claims``), those rules only propose each claim's spans
(and a report from before the period the question names, or a year outside it, still rules a claim out): the
model reads the claim, as the answer to the question for the first sentence, against the spans' windows and
decides.
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
from datetime import date, timedelta
from itertools import combinations, pairwise

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.ranking import answer_type, asks_yes_no
from assistant.retrievers.dates import resolve_dates
from assistant.retrievers.parts import question_parts
from assistant.verifiers.claims import ClaimReader, window
from assistant.verifiers.forms import forms, known_names, requirements, satisfied
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
_CONTRAST = re.compile(r"\b(?:unlike|whereas|instead|different|differs?|contrast|inconsistent|but)\b", re.I)
_FIGURE = re.compile(r"^\d[\d.,]*$")
_DOUBLED_STOP = re.compile(r"(?<!\.)([.!?])\.$")
_ISO_TIME = re.compile(r"(?<=\d{4}-\d\d-\d\d)T[\d:.]+(?:Z|[+-]\d\d:?\d\d)?")
_ORDER = re.compile(r"\b(?:before|after|prior to|earlier than|later than|preceded|followed)\b", re.I)
_MONTHS = "January February March April May June July August September October November December".split()
SUPPORT_THRESHOLD = 0.6  # share of a sentence's new content words that its cited spans must contain
PARAPHRASE_SIMILARITY = 0.70  # cosine (MiniLM) between a sentence and its spans that counts as the same claim
PARAPHRASE_MIN_OVERLAP = 0.34  # ...provided they still share this share of its words
NAMES_OFF_TOPIC = (
    0.5  # the passages are off the question when they lack this share of its names (two or more)
)
PREMISE_COVERAGE = SUPPORT_THRESHOLD  # share of a yes/no question's words its premise spans must hold
PART_COVERAGE = 0.5  # share of each part's words its own outlet's best span must hold...
PART_SIMILARITY = 0.5  # ...or, for a paraphrase, its cosine to the part (with a fifth of its words)
PART_MIN_OVERLAP = 0.2
ORDER_REACH = 40  # "before"/"after" within this many characters of the next outlet's mention asks the order
MAX_PREMISE_PASSAGES = 3  # a verdict cites at most this many premise spans
ANCHOR_THRESHOLD = 0.5  # share of the question words a sentence restates that the passages must mention
EVERY_PART = True  # a question naming several outlets: the answer in every one of theirs (else in one)
WINDOW_SLACK = timedelta(days=7)  # a report this long before a period the question names may be about it
REREAD = 3  # with the model: a claim its citations do not support is re-read against the words' top passages
BOUND_SHARE = (
    0.5  # share of the question's names, numbers and dates a claim's spans must state with its answer
)


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
        text = " ".join(_CITE.sub("", raw).split())
        text = text.replace(" .", ".").replace(" ,", ",").replace(" ?", "?").replace(" !", "!")
        text = _DOUBLED_STOP.sub(r"\1", text)  # "left. [2]." came out as "left.."
        if _CITES_ONLY.match(text):  # a lone "[2]." that the splitter cut off, or "[1] and [2]"
            if result:
                result[-1][1].extend(cites)
            continue  # nothing before it ("No. [1]." to a who question, its verdict dropped): no sentence
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
        spans.append((first.start, last.end, text, forms(text), first is not last))
    # The date line is when the passage was reported: "X reported on 6 May" is what it says.
    dated = f"reported published {_date_words(p.published)}" if p.published else ""
    header = forms(f"{p.title} {p.source} {dated}")
    return _Source(p, spans, header, set(match_words(f"{p.title} {p.text}")))


def _date_words(published: str) -> str:
    """'2023-11-24' -> '2023-11-24 2023 November 24 Nov': the forms a sentence may give the date in."""
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)", published or "")
    if not match:
        return published or ""
    year, month, day = match.groups()
    name = _MONTHS[int(month) - 1] if 1 <= int(month) <= 12 else ""
    return f"{published} {year} {name} {name[:3]} {int(day)}"


def _forms_of(source: _Source) -> set[str]:
    """Every form a passage states, in its text or its title, source and date line."""
    return set().union(source.header, *(span[3] for span in source.spans))


@dataclass(frozen=True)
class _Support:
    score: float  # 0..1: coverage of the claim's new words, or the paraphrase similarity when that decides
    spans: dict[int, tuple[int, int]]  # passage number -> the span that contributed
    supported: bool
    denies: bool = False  # the claim denies or contrasts ("did not", "unlike", "while ... instead")


class _Checker:
    """Checks claims against numbered passages; embeds spans only when a paraphrase needs deciding."""

    def __init__(
        self,
        passages: list[Passage],
        question: str,
        embeddings: Embeddings | None,
        as_of: date | None = None,
        reader: ClaimReader | None = None,
    ) -> None:
        self.reader = reader
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
        # The names the passages give mid-sentence: an answer that opens with one ("Valve is...") gives it.
        self.known = known_names([p.text for p in passages] + [p.title for p in passages])
        # The question's distinctive constraints (its names, numbers and dates), which a claim's answer must
        # be stated together with: "Which company, covered by Engadget and Polygon, ... November 16th?"
        # A question that names several outlets asks each of them: the answer must be in each one's passages.
        self.parts = question_parts(question, {p.source for p in passages}) if question else []
        # The outlets' names are the parts' business, and a timestamp's clock is not a constraint.
        outlets = forms(" ".join(part.source for part in self.parts))
        self.constraints = [
            c for c in requirements(_ISO_TIME.sub("", question), "", self.known) if not satisfied(c, outlets)
        ]
        self.yes_no = asks_yes_no(question)
        # "this weekend" asked on 31 March 2023: an answer about 2024's event answers another question.
        window = resolve_dates(question, as_of) if question and as_of else None
        self.years = range(window.start.year, window.end.year + 1) if window else None
        # ...and a report from long before "this week" tells of an earlier event: the answer's own reports
        # must be from the period (Omicron's BA.5 in July 2022 does not answer which variant leads this week).
        self.earliest = (window.start - WINDOW_SLACK).isoformat() if window else ""
        self.wanted = answer_type(question) if question and not self.yes_no else ""

    def answers(self, claim: str) -> bool:
        """Whether ``claim`` gives what its question asks for: a question for a name, number or date is
        answered by a sentence that adds one (the question's own names restated do not answer it)."""
        return not self.wanted or bool(requirements(claim, self.question, self.known))

    def support(self, claim: str, cites: list[int], *, lead: bool = True, read: bool = True) -> _Support:
        """Whether passages ``cites`` together state ``claim``. The answer (``lead``: the first sentence)
        must state the question's constraints in its very spans; a fact after it, in its passages. With a
        reader (and ``read``), the model decides on the spans the words propose."""
        all_words = set(match_words(claim))
        if not all_words - self.given and not self.yes_no:
            return _Support(0.0, {}, False)  # the question restated: no answer to support
        words = (all_words - self.given) or all_words
        needs = requirements(claim, self.question, self.known)
        if self.years is not None and any(
            f.isdigit() and 1900 <= int(f) <= 2099 and int(f) not in self.years for r in needs for f in r
        ):
            return _Support(0.0, {}, False)  # a year outside the period the question names
        restated = all_words & self.given
        sources = {n: self.sources[n - 1] for n in cites if not self._before_period(n)}
        if not sources or not words:
            return _Support(0.0, {}, False)
        if self.on_topic is not None:
            anchored = self.on_topic
        else:  # a question without names: most of the words it restates must be in the passages
            anchored = not restated or len(restated & self.about) / len(restated) >= ANCHOR_THRESHOLD
        covered: set[str] = set()
        offered: set[str] = set()  # every form the chosen spans and their passages' date lines state
        spans: dict[int, tuple[int, int]] = {}
        proposed: dict[int, tuple[int, int]] = {}  # every cited passage's best span, for the model to read
        best_text: list[str] = []
        for n, source in sources.items():
            found = self._best_span(source, words, needs)
            if found is None:  # nothing in the text: the title and date line may still hold it
                if not source.spans:
                    continue
                found = source.spans[0][:4]
            start, end, text, span_forms = found
            proposed[n] = (start, end)
            gained = words & (span_forms | source.header)
            met = [r for r in needs if satisfied(r, span_forms | source.header)]
            if gained or met or not spans:
                spans[n] = (start, end)
                best_text.append(text)
                covered |= gained
                offered |= span_forms | source.header
        denies = _negated(claim) or bool(_CONTRAST.search(claim))
        if self.reader is not None and read:
            return self._read(claim, proposed, lead, denies)
        coverage = len(words & covered) / len(words)
        keys_found = all(satisfied(r, offered) for r in needs)
        context = offered if lead else set().union(*(_forms_of(self.sources[n - 1]) for n in spans))
        bound = self._bound(context, needs, claim, lead)
        # A denial the passages do not make is a claim of its own: "were not rescued" is not in "were rescued".
        denial_found = not _negated(claim) or any(_negated(t) for t in best_text)
        supported = anchored and keys_found and bound and denial_found and coverage >= SUPPORT_THRESHOLD
        score = coverage
        paraphrase_possible = coverage >= PARAPHRASE_MIN_OVERLAP and _negated(claim) == any(
            _negated(t) for t in best_text
        )  # "did not raise" is close to "raised" in embedding space: never a paraphrase of it
        if not supported and anchored and keys_found and bound and denial_found and paraphrase_possible:
            similarity = self._similarity(claim, " ".join(best_text))
            supported = similarity >= PARAPHRASE_SIMILARITY
            score = max(coverage, similarity) if supported else coverage
        if not supported:
            score = min(score, SUPPORT_THRESHOLD - 0.01)
        return _Support(score, spans, supported, denies)

    def _read(self, claim: str, proposed: dict[int, tuple[int, int]], lead: bool, denies: bool) -> _Support:
        """The model's decision on the proposed spans: each passage's window, and all of them together (a claim
        may take its facts from two passages). The first sentence is read as the answer to the question."""
        assert self.reader is not None
        numbers = sorted(proposed)
        texts = [window(self.sources[n - 1].passage, *proposed[n]) for n in numbers]
        if len(texts) > 1:
            texts.append(" ".join(texts))
        supported, score, at = self.reader.best(self.question if lead else "", claim, texts)
        chosen = numbers if at == len(numbers) else numbers[at : at + 1]
        return _Support(score, {n: proposed[n] for n in chosen}, supported, denies)

    def _before_period(self, n: int) -> bool:
        """Whether passage ``n`` was published well before the period the question names."""
        published = self.sources[n - 1].passage.published[:10]
        return bool(self.earliest and published and published < self.earliest)

    def _bound(self, offered: set[str], needs: list[frozenset[str]], claim: str, lead: bool = True) -> bool:
        """Whether the spans that state a claim's answer also state the question's constraints: at least
        ``BOUND_SHARE`` of its names, numbers and dates in them or their passages' title, source and date
        ("Google" in a passage about its October event does not answer a question about 16 November); and,
        for a question that names several outlets, the answer's names in each outlet's passages."""
        if self.constraints and not self.yes_no:  # a yes/no question's sentences argue one part each
            held = sum(satisfied(c, offered) for c in self.constraints)
            if held < BOUND_SHARE * len(self.constraints):
                return False
        names = [r for r in needs if not any(_FIGURE.match(f) or f.startswith("pt:") for f in r)]
        if len(self.parts) < 2 or not names or self.yes_no or not lead:
            return True  # a yes/no question's parts are its verdict's business (premises); a fact's, its own
        stated = [
            any(
                all(satisfied(r, _forms_of(s)) for r in names)
                for s in self.sources
                if s.passage.source == source
            )
            for source in {part.source for part in self.parts}
        ]
        return all(stated) if EVERY_PART else any(stated)

    def premises(self) -> _Support:
        """How far the passages state what a yes/no question takes as given ("Does A report X while B reports
        Y?": X in A's passage, Y in B's): what a "Yes." rests on. For a question that names several outlets,
        each part must be found in its own outlet's passages (``PREMISE_COVERAGE`` of its words in one span);
        otherwise the passages together must hold ``PREMISE_COVERAGE`` of the question's words in at most
        ``MAX_PREMISE_PASSAGES`` spans."""
        if self.on_topic is False:
            return _Support(0.0, {}, False)
        if len(self.parts) >= 2:
            return self._part_premises()
        words = set(match_words(self.question)) - QUESTION_FRAME
        if not words:
            return _Support(0.0, {}, False)
        found: list[tuple[int, tuple[int, int], set[str]]] = []
        for n, source in enumerate(self.sources, start=1):
            best = self._best_span(source, words, [])
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

    def _part_premises(self) -> _Support:
        spans: dict[int, tuple[int, int]] = {}
        found_all = True
        shares = []
        for part in self.parts:
            words = set(match_words(part.text)) - QUESTION_FRAME - set(match_words(part.source))
            best: tuple[float, int, tuple[int, int], str] | None = None
            for n, source in enumerate(self.sources, start=1):
                if source.passage.source != part.source or not words:
                    continue
                found = self._best_span(source, words, [])
                if found is not None:
                    share = len(words & (found[3] | source.header)) / len(words)
                    if best is None or share > best[0]:
                        best = (share, n, found[:2], found[2])
            if best is None:
                return _Support(0.0, {}, False)  # no passage of that outlet: nothing to rest on
            share, n, where, text = best
            spans[n] = where
            shares.append(share)
            if share < PART_COVERAGE and not (
                share >= PART_MIN_OVERLAP and self._similarity(part.text, text) >= PART_SIMILARITY
            ):
                found_all = False
        return _Support(min(shares), dict(sorted(spans.items())), found_all)

    def order(self) -> bool | None:
        """For "Did A report X before B reported Y?": whether the passage that states the first part was
        published before (or, for "after", after) the one that states the second; None when the question
        does not ask which came first, or either part or date is missing."""
        if len(self.parts) != 2:
            return None
        asks = _ORDER.search(self.parts[0].text[-ORDER_REACH:])  # "...X before the Sporting News article"
        if asks is None:
            return None
        days = []
        for part in self.parts:
            premises = [
                (n, s)
                for n, s in enumerate(self.sources, start=1)
                if s.passage.source == part.source and s.passage.published
            ]
            words = set(match_words(part.text)) - QUESTION_FRAME - set(match_words(part.source))
            scored = [
                (len(words & (best[3] | s.header)), s.passage.published[:10])
                for n, s in premises
                if (best := self._best_span(s, words, [])) is not None
            ]
            if not scored:
                return None
            days.append(max(scored)[1])
        if days[0] == days[1]:
            return None
        earlier = days[0] < days[1]
        return (
            earlier
            if asks.group().lower() in ("before", "prior to", "earlier than", "preceded")
            else not earlier
        )

    def _best_span(
        self, source: _Source, words: set[str], needs: list[frozenset[str]]
    ) -> tuple[int, int, str, set[str]] | None:
        best, best_score = None, 0.0
        for start, end, text, span_forms, pair in source.spans:
            met = sum(satisfied(r, span_forms | source.header) for r in needs)
            bound = sum(satisfied(c, span_forms) for c in self.constraints)
            # names and numbers count twice; the question's constraints stated beside them once more
            hits = len(words & span_forms) + met + (0.5 * bound if met else 0.0)
            score = hits - (0.25 if pair else 0.0)  # the single sentence wins a tie with its pair
            if score > best_score:
                best, best_score = (start, end, text, span_forms), score
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
    answer: str,
    passages: list[Passage],
    question: str = "",
    embeddings: Embeddings | None = None,
    as_of: date | None = None,
    reader: ClaimReader | None = None,
) -> Verified:
    """Check every sentence's citations against the numbered ``passages`` (``[1]`` is ``passages[0]``).

    Citations of passages that do not exist are removed. A sentence its citations do not support, or that has
    none, is attributed to the passages that do support it when some do (with a warning when that changes a
    citation), and is otherwise marked unsupported: never silently dropped. ``embeddings`` lets a paraphrase
    count as support (without them only word overlap does). ``as_of``: when the question was asked, so that
    "this week" rules out a claim about another year. ``reader``: the trained claim checker, which decides on
    the spans the words propose (without it, the words decide).
    """
    checker = _Checker(passages, question, embeddings, as_of, reader)
    warnings: list[str] = []
    checked: list[tuple[str, list[int], _Support | None]] = []
    for text, cites in split_cited_sentences(answer):
        valid = [n for n in cites if 1 <= n <= len(passages)]
        warnings.extend(f"Removed citation [{n}]: there is no passage {n}." for n in cites if n not in valid)
        if is_verdict(text):
            checked.append((text, valid, None))  # decided by the sentences that argue for it
            continue
        lead = not any(r is not None for _, _, r in checked)
        if lead and not checker.answers(text):  # the first sentence is the answer: it must give one
            checked.append((text, valid, _Support(0.0, {}, False)))
            continue
        result = checker.support(text, valid, lead=lead)
        if not result.supported and passages:
            attributed = _attribute(checker, text, len(passages), lead)
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
    for text, valid, checked_result in checked:
        if checked_result is None:  # a verdict
            sentence, used = _verdict(checker, text, valid, argued)
            for n, span in used.items():
                spans.setdefault(n, []).append(span)
        else:
            result = checked_result
            sentence = Sentence(text, tuple(valid), bool(valid) and result.supported, result.score)
            for n, span in result.spans.items():
                if result.supported or not spans.get(n):
                    spans.setdefault(n, []).append(span)
        sentences.append(sentence)
    citations = []
    for n in sorted(spans):
        p = passages[n - 1]
        start = min(s for s, _ in spans[n])
        end = max(e for _, e in spans[n])
        citations.append(Citation(n, p, start, end, p.text[start - p.start : end - p.start]))
    return Verified(sentences, citations, render(sentences), warnings)


def render(sentences: list[Sentence]) -> str:
    """The answer's text: each sentence with its citation marks before its full stop."""
    out = []
    for s in sentences:
        marks, text = "".join(f"[{n}]" for n in s.cites), s.text
        out.append(
            f"{text[:-1]} {marks}{text[-1]}" if marks and text[-1] in ".!?" else f"{text} {marks}".strip()
        )
    return " ".join(out)


def _verdict(
    checker: _Checker, text: str, valid: list[int], argued: list[_Support]
) -> tuple[Sentence, dict[int, tuple[int, int]]]:
    """A "Yes."/"No." and the spans it rests on. "Did A happen before B?": the verdict the two passages'
    dates give. Otherwise "Yes." stands on the question's premises, each part in its own outlet's passages
    (``_Checker.premises``), and "No." on a supported sentence arguing it that denies or contrasts."""
    yes = text.strip().lower().startswith("yes")
    premises = checker.premises()
    order = checker.order()
    if order is not None:
        supported = premises.supported and order == yes
        return Sentence(text, tuple(premises.spans), supported, premises.score), premises.spans
    if yes:
        cited = tuple(premises.spans) if premises.supported else tuple(valid)
        used = premises.spans if premises.supported else {}
        return Sentence(text, cited, premises.supported, premises.score), used
    denials = [r for r in argued if r.denies]
    if denials:
        cited = tuple(sorted({n for r in denials for n in r.spans}))
        return Sentence(text, cited, True, max(r.score for r in denials)), {}
    return Sentence(text, tuple(valid), False, 0.0), {}


def _attribute(checker: _Checker, claim: str, count: int, lead: bool) -> tuple[list[int], _Support] | None:
    """The passage, or failing that the two or three passages together (a comparison restated whole), that
    support ``claim``; None if none do. With the model, it reads only the words' top ``REREAD`` passages."""
    numbers = range(1, count + 1)
    if checker.reader is not None:
        lexical = {n: checker.support(claim, [n], lead=lead, read=False).score for n in numbers}
        numbers = sorted(sorted(lexical, key=lambda n: -lexical[n])[:REREAD])  # type: ignore[assignment]
    singles = {n: checker.support(claim, [n], lead=lead) for n in numbers}
    best = max(singles, key=lambda n: singles[n].score)
    if singles[best].supported:
        return [best], singles[best]
    ranked = sorted(singles, key=lambda n: -singles[n].score)[:3]
    for group in [*combinations(ranked, 2), tuple(ranked)] if len(ranked) > 1 else []:
        together = checker.support(claim, sorted(group), lead=lead)
        if together.supported:
            return sorted(together.spans), together
    return None


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
