"""Check claims against the archive: does any report state a claim, state otherwise, or say nothing of it, and
which report says so on which date?

    assistant = build_assistant(settings)
    assistant.check("The Bank of Kestria raised its rate to 7.25 percent.").label      # one claim
    assistant.check_text(paragraph)                                                     # each sentence

For each claim the retriever finds the passages about it (``CHECK_K``, above the relevance floor), the words
pick each passage's windows most like the claim, and the trained claim checker reads the claim against them.
Each report then has its own verdict: it *supports* the claim, *contradicts* it, or is only near it. The latest
report that speaks (as of the question's date) decides the label; earlier reports that disagree are noted with
their dates ("supported by the report of 1 Feb 2023; the report of 14 Dec 2022 gave 4.25%-4.5%"). A claim the
archive cannot reach (nothing above the floor), or one no report speaks to, is *not found*: a report only
contradicts a claim when it is about the same things (``TOPIC_SHARE`` of the claim's words besides its
figures), so a claim whose topic the archive does not hold is never *contradicted*.

The check reads with the trained checker whenever its weights are there (word overlap cannot tell a report that
states otherwise); without them, the words decide between supported and not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from langchain_core.runnables import Runnable, RunnableConfig

from assistant.checking import candidate_windows
from assistant.event_dates import day_words, published_day
from assistant.retrievers.hybrid import PassageRetriever
from assistant.verifiers.citations import support_checker
from assistant.verifiers.claims import ClaimReader
from core.answer import Passage
from core.claims import ClaimCheck, ClaimSpan
from core.errors import QuestionError
from core.figures import figures, is_percent, normalized
from core.filters import SearchFilter
from core.sentences import split_sentences
from core.words import match_words
from models.claim_checker import CONTRADICTED, SUPPORTED, claim_checker_ready, shared_claim_model

CHECK_K = 8  # passages retrieved per claim
WINDOWS_PER_PASSAGE = 2  # windows of each passage the model reads, the words' best
TOPIC_SHARE = 0.5  # of a claim's words (figures aside) a window must hold to contradict it
SHOWN_SPANS = 5  # spans a check returns
MAX_CLAIMS = 100  # sentences one request may check
BATCH = 5  # sentences checked between two progress reports (CLI, UI)
MAX_CHARS = 20_000  # characters one request may hold
MIN_WORDS = 3  # a sentence with fewer words that carry meaning is no claim ("Thanks.", "See below.")


@dataclass(frozen=True)
class _Report:
    """One passage's verdict on a claim: its best window for and against, and what it says."""

    index: int
    passage: Passage
    verdict: str  # "supports", "contradicts" or ""
    span: ClaimSpan


def claims_of(text: str) -> list[str]:
    """The sentences of ``text`` to check, in order (those too short to claim anything left out). Raises a
    ``QuestionError`` for empty text, text that is not text, or more than ``MAX_CLAIMS`` sentences."""
    if "\x00" in text:
        raise QuestionError(
            "The text holds binary data (NUL bytes), not sentences: give plain text (.txt or .md, UTF-8)."
        )
    text = text.strip()
    if not text:
        raise QuestionError("The text to check is empty: give a sentence or a paragraph to check.")
    if len(text) > MAX_CHARS:
        raise QuestionError(
            f"The text is {len(text):,} characters; check at most {MAX_CHARS:,} at a time (split it)."
        )
    sentences = [" ".join(text[s.start : s.end].split()) for s in split_sentences(text)]
    claims = [s for s in sentences if len(match_words(s)) >= MIN_WORDS]
    if not claims:
        raise QuestionError(
            "The text holds no sentence to check (each needs a few words that say something): give a "
            "claim such as 'The Bank of Kestria raised its rate to 7.25 percent in June 2023.'"
        )
    if len(claims) > MAX_CLAIMS:
        raise QuestionError(
            f"The text holds {len(claims)} sentences; check at most {MAX_CLAIMS} at a time (split it)."
        )
    return claims


def check_against_archive(
    claims: Sequence[str],
    retriever: PassageRetriever,
    reader: ClaimReader | None,
    search: SearchFilter | None = None,
    k: int = CHECK_K,
) -> list[ClaimCheck]:
    """Each claim checked against the archive ``retriever`` searches (``search``: sources, dates, as of)."""
    search = search or SearchFilter()
    found = [retriever.search(claim, k, search) for claim in claims]
    if reader is None:
        return [_by_words(claim, passages) for claim, passages in zip(claims, found, strict=True)]
    windows = [
        candidate_windows(c, p, per_text=WINDOWS_PER_PASSAGE) for c, p in zip(claims, found, strict=True)
    ]
    pairs = [(c, w[3]) for c, ws in zip(claims, windows, strict=True) for w in ws]
    rows = _read(reader, pairs)
    results, at = [], 0
    for claim, passages, ws in zip(claims, found, windows, strict=True):
        results.append(_decide(claim, passages, ws, rows[at : at + len(ws)], reader))
        at += len(ws)
    return results


def _read(reader: ClaimReader, pairs: list[tuple[str, str]]) -> np.ndarray:
    """The model's rows for every (claim, window) pair, read in one batch per claim."""
    if not pairs:
        return np.zeros((0, 3))
    by_claim: dict[str, list[str]] = {}
    for claim, evidence in pairs:
        by_claim.setdefault(claim, []).append(evidence)
    read = {claim: reader.probabilities(claim, evidences) for claim, evidences in by_claim.items()}
    seen: dict[str, int] = {}
    out = []
    for claim, _ in pairs:
        out.append(read[claim][seen.get(claim, 0)])
        seen[claim] = seen.get(claim, 0) + 1
    return np.array(out)


def _decide(
    claim: str,
    passages: list[Passage],
    windows: list[tuple[int, int, int, str, str]],
    rows: np.ndarray,
    reader: ClaimReader,
) -> ClaimCheck:
    if not passages:
        return _unreached(claim)
    reports = _reports(claim, passages, windows, rows, reader)
    speaking = sorted((r for r in reports if r.verdict), key=lambda r: (_day(r.passage), r.span.supported))
    speaking.reverse()  # latest first; on one day, the surest support first
    if not speaking:
        near = sorted(reports, key=lambda r: -r.span.supported)[:3]
        best = max((max(r.span.supported, r.span.contradicted) for r in reports), default=0.0)
        return ClaimCheck(
            claim,
            "not_found",
            1.0 - best,
            tuple(r.span for r in near),
            passages=tuple(passages),
            notes=("No report in the archive states this claim or states otherwise.",),
        )
    lead = speaking[0]
    label = "supported" if lead.verdict == "supports" else "contradicted"
    score = lead.span.supported if label == "supported" else lead.span.contradicted
    return ClaimCheck(
        claim,
        label,
        score,
        tuple(r.span for r in speaking[:SHOWN_SPANS]),
        passages=tuple(passages),
        notes=_notes(claim, lead, speaking[1:]),
    )


def _reports(
    claim: str,
    passages: list[Passage],
    windows: list[tuple[int, int, int, str, str]],
    rows: np.ndarray,
    reader: ClaimReader,
) -> list[_Report]:
    """Each report's (article's) own verdict, from its window that states the claim best, else the one that
    states otherwise most surely, else the nearest."""
    wanted = {w for w in match_words(claim) if not w[0].isdigit()}
    best: dict[str, tuple[tuple[int, float], _Report]] = {}
    for (i, start, end, read, quote), row in zip(windows, rows, strict=True):
        sup, con = float(row[SUPPORTED]), float(row[CONTRADICTED])
        on_topic = not wanted or len(wanted & set(match_words(read))) >= TOPIC_SHARE * len(wanted)
        if sup >= reader.support:
            verdict, rank = "supports", (2, sup)
        elif con >= reader.contradiction and on_topic:
            verdict, rank = "contradicts", (1, con)
        else:
            verdict, rank = "", (0, sup)
        report = _Report(i, passages[i], verdict, ClaimSpan(i, start, end, quote, sup, con, verdict))
        article = passages[i].article_id or passages[i].chunk_id
        if article not in best or rank > best[article][0]:
            best[article] = (rank, report)
    return [report for _, report in best.values()]


def _notes(claim: str, lead: _Report, earlier: list[_Report]) -> tuple[str, ...]:
    """What the reports before the latest say: since when the archive agrees, and who gave otherwise."""
    said = "supported" if lead.verdict == "supports" else "contradicted"
    head = f"{said.capitalize()} by the report of {_when(lead.passage)}"
    if lead.verdict == "contradicts":
        gave = _figures_beyond(claim, lead.span.quote)
        head += f", which gave {gave}" if gave else ""
    differing = [r for r in earlier if r.verdict != lead.verdict]  # as old or older: ``earlier`` is by date
    agreeing = [r for r in earlier if r.verdict == lead.verdict]
    parts = []
    for r in differing[:3]:
        if r.verdict == "supports":
            parts.append(f"the report of {_when(r.passage)} supported it")
        else:
            gave = _figures_beyond(claim, r.span.quote)
            parts.append(
                f"the report of {_when(r.passage)} gave {gave}"
                if gave
                else f"the report of {_when(r.passage)} said otherwise"
            )
    notes = [head + ("; " + "; ".join(parts) if parts else "") + "."]
    if agreeing and lead.verdict == "supports":
        first = min(agreeing, key=lambda r: _day(r.passage))
        if _day(first.passage) < _day(lead.passage):
            notes.append(f"Reported since {_when(first.passage)} ({len(agreeing) + 1} reports).")
    return tuple(notes)


def _figures_beyond(claim: str, quote: str) -> str:
    """The figures ``quote`` gives of the kind ``claim`` gives (percentages for a percentage) that the claim
    does not ("4.25% to 4.5%"), joined; "" when the claim gives none or the quote none other."""
    given = figures(claim)
    if not given:
        return ""
    seen = {normalized(f) for f in given}
    percent = any(is_percent(f) for f in given)
    extra = [f for f in figures(quote) if normalized(f) not in seen and is_percent(f) == percent]
    return ", ".join(dict.fromkeys(extra[:3]))


def _day(p: Passage) -> date:
    """The report's date; an undated report is the oldest: it never leads over a dated one."""
    return published_day(p.published) or date.min


def _when(p: Passage) -> str:
    day = _day(p)
    when = day_words(day) if day != date.min else "an undated report"
    return f"{when} ({p.source})" if p.source else when


def _unreached(claim: str, checker: str = "model") -> ClaimCheck:
    return ClaimCheck(
        claim,
        "not_found",
        1.0,
        checker=checker,
        notes=("Nothing in the archive is about this claim (no passage above the relevance floor).",),
    )


def _by_words(claim: str, passages: list[Passage]) -> ClaimCheck:
    """Without the model: supported when the words find a passage stating the claim, else not found."""
    if not passages:
        return _unreached(claim, "words")
    check = support_checker(passages, "")
    scored = [(n, *check(claim, [n])) for n in range(1, len(passages) + 1)]
    n, supported, score = max(scored, key=lambda r: (r[1], r[2]))
    windows = candidate_windows(claim, [passages[n - 1]], per_text=1)
    _, start, end, _, quote = (
        windows[0] if windows else (0, passages[n - 1].start, passages[n - 1].end, "", "")
    )
    span = ClaimSpan(n - 1, start, end, quote, score, 0.0, "supports" if supported else "")
    if supported:
        return ClaimCheck(
            claim,
            "supported",
            score,
            (span,),
            "words",
            tuple(passages),
            (f"Supported by the report of {_when(passages[n - 1])}.",),
        )
    return ClaimCheck(claim, "not_found", 1.0 - score, (span,), "words", tuple(passages))


class ArchiveChecker(Runnable[str | dict[str, Any], ClaimCheck]):
    """Claims checked against the archive as a LangChain ``Runnable``: ``invoke("claim")`` or
    ``invoke({"claim": ..., "filter": ..., "as_of": ...})`` -> ``ClaimCheck``; ``batch`` checks many claims
    (one retrieval each, each claim's windows read by the model in one batch; an empty claim refuses the whole
    batch). ``Assistant.checker`` gives one over the assistant's archive."""

    def __init__(self, retriever: PassageRetriever, reader: ClaimReader | None, k: int = CHECK_K) -> None:
        self.retriever = retriever
        self.reader = reader
        self.k = k

    def invoke(
        self, input: str | dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> ClaimCheck:
        return self.batch([input], config)[0]

    def batch(  # type: ignore[override]
        self,
        inputs: list[str | dict[str, Any]],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[ClaimCheck]:
        requests: list[dict[str, Any]] = [{"claim": i} if isinstance(i, str) else i for i in inputs]
        out: list[ClaimCheck | None] = [None] * len(requests)
        groups: dict[SearchFilter, list[int]] = {}
        for n, r in enumerate(requests):  # claims that share a filter are checked together
            groups.setdefault(SearchFilter.parse(r.get("filter"), r.get("as_of")), []).append(n)
        for search, members in groups.items():
            claims = [" ".join(str(requests[n].get("claim", "")).split()) for n in members]
            if not all(claims):
                raise QuestionError("A claim to check is empty: give a sentence that says something.")
            for n, result in zip(members, self.check(claims, search), strict=True):
                out[n] = result
        return [r for r in out if r is not None]

    def check(self, claims: Sequence[str], search: SearchFilter | None = None) -> list[ClaimCheck]:
        return check_against_archive(claims, self.retriever, self.reader, search, self.k)


def default_reader() -> ClaimReader | None:
    """The trained checker's reader when its weights are present (the process's one model), else None."""
    if not claim_checker_ready():
        return None
    return ClaimReader(shared_claim_model())
