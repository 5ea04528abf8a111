"""The latest news, dated: when the passages report different figures for what is asked, the answer leads with
the latest report (as of the question's date), says its date, and adds one line on the earlier report with
its date; ``Answer.conflicts`` records the reports that differ.

A differing report is a sentence of another passage, published on another day, that is about what the answer
is about (as much of the question's words and constraints as the answer's own span) and states a figure of
the kind the answer gives (a number, a rate in points) that the answer does not, and does not state every
figure the answer gives (two successive ranges share a bound: 4.25%-4.5%, then 4.5%-4.75%). Only figures are
compared: names differ between any two sentences of the news, figures about one thing rarely do. With the
trained claim checker (``reader``), a report differs only when the model finds that its window does not
state the answer's claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.verifiers.claims import ClaimReader, window
from assistant.verifiers.forms import canonical, forms, known_names, points, requirements, satisfied
from core.answer import Citation, Conflict, Passage, Sentence
from core.sentences import split_sentences
from core.words import STOP, match_stem, match_words

# A differing sentence must hold this share of the question's words (and at least that of the answer's span,
# less a little) to be about the same thing.
MIN_QUESTION_SHARE = 0.25
SHARE_SLACK = 0.1
MAX_CONFLICTS = 2


@dataclass(frozen=True)
class _Report:
    n: int
    passage: Passage
    start: int  # offsets in the article
    end: int
    text: str
    figures: frozenset[str]
    share: float  # of the question's words


def long_date(published: str) -> str:
    """'2023-02-01' -> '1 February 2023'; '' when undated."""
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return ""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_MONTHS = "January February March April May June July August September October November December".split()


def _figures(text: str, question: str, known: frozenset[str]) -> frozenset[str]:
    """The quantities ``text`` states that ``question`` does not, each as "value unit" ("600 year",
    "0.25 pt", "40.5 %"): numbers with what they count, not years, days or counts without a unit."""
    asked = forms(question)
    found = set()
    for form in points(text):
        if form not in asked:
            found.add(f"{form[3:]} pt")
    for m in _QUANTITY.finditer(text):
        value = (
            canonical(m.group("value").replace(",", ""))
            if not m.group("value")[0].isdigit()
            else (m.group("value").replace(",", ""))
        )
        word = (m.group("unit") or "").lower()
        unit = "%" if m.group("pct") or word == "percent" else match_stem(word)
        if not value.replace(".", "", 1).isdigit() or unit in STOP or unit in _NOT_UNITS:
            continue
        if _year(value) or (value in asked and unit in asked):
            continue
        found.add(f"{value} {unit}")
    return frozenset(found)


_NUMBER = r"\d[\d,]*(?:\.\d+)?|" + "|".join(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
    "sixty seventy eighty ninety hundred".split()
)
_QUANTITY = re.compile(
    rf"\b(?P<value>{_NUMBER})(?:(?:\s*-\s*|\s+)(?P<unit>[A-Za-z]+)\b|\s*(?P<pct>%))", re.IGNORECASE
)


def _year(value: str) -> bool:
    return value.isdigit() and 1900 <= int(value) <= 2099


_NOT_UNITS = frozenset("a.m p.m am pm st nd rd th basis percentage".split())  # points: see points()


def _reports(question: str, passages: list[Passage], known: frozenset[str]) -> list[_Report]:
    asked = set(match_words(question))
    reports = []
    for n, p in enumerate(passages, start=1):
        for span in split_sentences(p.text, offset=p.start):
            text = p.text[span.start - p.start : span.end - p.start]
            figures = _figures(text, question, known)
            if not figures or not asked:
                continue
            share = len(asked & set(match_words(f"{text} {p.title}"))) / len(asked)
            reports.append(_Report(n, p, span.start, span.end, text, figures, share))
    return reports


def find_conflicts(
    question: str,
    lead: Sentence,
    passages: list[Passage],
    as_of: date | None = None,
    reader: ClaimReader | None = None,
) -> tuple[list[_Report], _Report | None]:
    """The reports that give other figures than the answer's lead sentence, latest first, and the lead's own
    report (its best span with the figures it gives), or ``([], None)`` when there is nothing to compare."""
    known = known_names([p.text for p in passages])
    figures = _figures(lead.text, question, known)
    cited = [n for n in lead.cites if 1 <= n <= len(passages)]
    if not figures or not cited:
        return [], None
    reports = _reports(question, passages, known)
    own = [r for r in reports if r.n in cited and r.figures & figures]
    if not own:
        return [], None
    mine = max(own, key=lambda r: r.share)
    floor = max(MIN_QUESTION_SHARE, mine.share - SHARE_SLACK)
    constraints = requirements(question, "", known)
    bound = _bound(mine, constraints)
    units = {f.split(" ", 1)[1] for f in figures}
    others: dict[int, _Report] = {}
    for r in reports:
        differing = {f for f in r.figures if f.split(" ", 1)[1] in units} - figures
        if r.n in cited or r.share < floor or figures <= r.figures or not differing:
            continue
        if _bound(r, constraints) < bound:
            continue  # about someone or something else the question does not ask about
        when = r.passage.published[:10]
        if not when or when == mine.passage.published[:10]:
            continue  # the same day's report: a detail of one story, not a later or earlier one
        if as_of is not None and when > as_of.isoformat():
            continue
        if reader is not None and reader.best(question, lead.text, [window(r.passage, r.start, r.end)])[0]:
            continue  # the model reads the answer in it after all: the same story in other figures
        if r.n not in others or r.share > others[r.n].share:
            others[r.n] = r
    ranked = sorted(others.values(), key=lambda r: (r.passage.published, r.share), reverse=True)
    return ranked[:MAX_CONFLICTS], mine


def _bound(report: _Report, constraints: list[frozenset[str]]) -> int:
    """How many of the question's names, numbers and dates a report states (with its title)."""
    offered = forms(f"{report.text} {report.passage.title}")
    return sum(satisfied(c, offered) for c in constraints)


def dated(text: str, published: str) -> str:
    """A sentence (without citation marks) saying the date of its report, unless it already says it."""
    when = long_date(published)
    if not when:
        return text
    said = forms(text)
    if {when.split()[1].lower(), when.split()[0]} <= said or when.split()[2] in said:
        return text
    stop = text[-1] if text[-1:] in ".!?" else ""
    return f"{text[: -1 if stop else None].rstrip()} (reported {when}){stop or '.'}"


def conflict_of(report: _Report) -> Conflict:
    return Conflict(
        n=report.n,
        published=report.passage.published[:10],
        quote=report.text,
        start=report.start,
        end=report.end,
        figures=tuple(sorted(report.figures)),
    )


def citation_of(report: _Report) -> Citation:
    return Citation(report.n, report.passage, report.start, report.end, report.text)


def earlier(text: str, published: str, cites: tuple[int, ...]) -> Sentence:
    """The line that notes an earlier report: its date, and what it said."""
    return Sentence(
        f"An earlier report, on {long_date(published)}, differs: {text.rstrip('.')}.", cites, True, 1.0
    )


def latest(report: _Report) -> Sentence:
    """The line that answers from the latest report, its sentence quoted with its date."""
    text = f"The latest report, on {long_date(report.passage.published)}: {report.text.rstrip('.')}."
    return Sentence(text, (report.n,), True, 1.0)
