"""How a story moved: a topic's reports gathered across the whole window, grouped into dated events, ordered,
and told one sentence an event, every report cited.

    assistant.timeline("Federal Reserve interest rate increases", as_of="2023-03-31").events

1. **Gather**: the retriever pages through the topic's passages (``PAGE``, doubling up to ``MAX_PASSAGES``)
   while at least half of a page is about the topic (near it in meaning, ``FLOOR``, or naming all its words).
2. **Read**: each passage's sentence most about the topic, and the date it gives for what it reports
   (``event_dates``), else the report's date.
3. **Group**: reports of one event (within ``SAME_EVENT_DAYS``, sharing ``SAME_EVENT_SHARE`` of their words
   besides the topic's, or as near in meaning as ``SAME_EVENT_COSINE``) become one event, citing every report;
   the event's sentence is its first report's.
4. **Stories**: events that share no name with each other's story form stories of their own (a topic such as
   "Jordan" holds a basketball player and a country); a lone event joins the story it shares most with.
5. **Changes**: where a story's figure moves between events (a rate, a toll), the change is said plainly and
   cited on both sides.

With a model (``llm``), the sentences of the ``MODEL_EVENTS`` most reported events are written by it from their
reports (one call an event) and kept only when the claim checker (or, without its weights, the words) finds a
report stating them; else the extracted sentence stands. Extracted sentences are the reports' own words.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.event_dates import day_words, event_date, published_day
from assistant.retrievers.hybrid import PassageRetriever
from assistant.verifiers.citations import support_checker
from assistant.verifiers.claims import ClaimReader, window
from core.answer import Citation, Passage
from core.figures import figures, is_percent, normalized
from core.filters import SearchFilter
from core.sentences import split_sentences
from core.timeline import Timeline, TimelineEvent, ValueChange
from core.words import match_words

log = logging.getLogger(__name__)
PAGE = 40  # passages asked for first; doubled while pages come back full
MAX_PASSAGES = 320
FLOOR = 0.35  # cosine similarity to the topic below which a passage is not about it
SAME_EVENT_DAYS = 2
SAME_EVENT_SHARE = 0.3  # of the shorter sentence's words (the topic's aside) two reports of one event share
SAME_EVENT_COSINE = 0.5  # or as near in meaning (their sentences' embeddings)
STORY_SHARE = 0.15  # of events that must hang together for a story of their own
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_COUNT = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+([a-z]{3,})\b")
_NOT_COUNTS = frozenset(
    "years year percent points point times p.m a.m am pm days day hours weeks months".split()
)
TOPIC_SHARE = 0.5  # of the topic's words a report's sentence (or its title) must hold to be about it...
NEAR = 0.45  # ...unless the passage is this near the topic in meaning
_BOILERPLATE = re.compile(
    r"getty images|\bphoto(?:graph)?s?\b\s*(?:by|:|credit)|\(ap photo|\bread more\b|\brelated:|click here|sign up|"
    r"subscribe|newsletter|all rights reserved|\bcaption\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})(?:\s*[-–/]\s*(\d{2}))?\b")
MAX_SENTENCE = 400  # characters: a longer sentence is a list or a caption, not an event
MODEL_EVENTS = (
    5  # events whose sentence a model writes (the most reported): one call each; the rest are extracted
)
WRITE_REPORTS = 2  # reports (their windows) a model reads to write an event's sentence
WRITE_TOKENS = 60
WRITE_SYSTEM = "You write one short factual sentence from news passages. You use only what they say."
WRITE_PROMPT = """Passages:
{passages}

In one sentence of at most 30 words, say what happened here about "{topic}". Give only facts the passages \
state, and the day if they give it. Write nothing else."""


@dataclass
class _Report:
    passage: Passage
    sentence: str
    start: int  # article offsets of the sentence
    end: int
    day: date
    dated_by: str
    words: set[str]
    names: set[str]
    score: float


@dataclass
class _Event:
    reports: list[_Report] = field(default_factory=list)

    @property
    def day(self) -> date:
        told = [r.day for r in self.reports if r.dated_by == "text"]
        return min(told) if told else min(r.day for r in self.reports)

    @property
    def words(self) -> set[str]:
        return self.reports[0].words

    @property
    def names(self) -> set[str]:
        return set().union(*(r.names for r in self.reports))


def gather(
    retriever: PassageRetriever, topic: str, search: SearchFilter, floor: float = FLOOR
) -> list[Passage]:
    """Every passage about ``topic`` in the window: near it in meaning (``floor``) or naming all its words.
    Pages double while at least half of the latest page is about the topic."""
    wanted = set(match_words(topic))

    def about(p: Passage) -> bool:
        return p.score >= floor or (bool(wanted) and wanted <= set(match_words(f"{p.title} {p.text}")))

    k, seen = PAGE, 0
    while True:
        wide = retriever.model_copy(
            update={"fetch_k": k, "date_boost": 0.0, "recency": 0.0, "mmr_lambda": 1.0}
        )
        found = wide.search(topic, k, search, 0.0)
        kept = [p for p in found if about(p)]
        page = found[seen:]
        if len(found) < k or k >= MAX_PASSAGES or sum(map(about, page)) < len(page) / 2:
            return kept
        seen, k = len(found), k * 2


def build_timeline(
    topic: str,
    retriever: PassageRetriever,
    search: SearchFilter | None = None,
    *,
    max_events: int = 20,
    llm: BaseChatModel | None = None,
    reader: ClaimReader | None = None,
    floor: float = FLOOR,
) -> Timeline:
    """The timeline of ``topic`` under ``search`` (sources, since, until, as of)."""
    began = time.perf_counter()
    search = search or SearchFilter()
    passages = gather(retriever, topic, search, floor)
    timings = {"gather": time.perf_counter() - began}
    topic_words = set(match_words(topic)) - {m.group(0) for m in _YEAR.finditer(topic)}
    years = {int(m.group(1)) + k for m in _YEAR.finditer(topic) for k in ((0, 1) if m.group(2) else (0,))}
    if years and not (search.since or search.until):  # "2023 Oscars": the reports of that year
        passages = [p for p in passages if _in_years(p, years)]
    reports = [r for p in passages if (r := _report(p, topic_words)) is not None]
    vectors = (
        np.asarray(retriever.embeddings.embed_documents([r.sentence for r in reports])) if reports else None
    )
    events = _group(reports, vectors)
    story_of, stories = _stories(events, topic)
    kept = sorted(events, key=lambda e: (-len({r.passage.source for r in e.reports}), -e.reports[0].score))
    kept_by_reports = kept[:max_events]
    kept = sorted(kept_by_reports, key=lambda e: (e.day, -e.reports[0].score))
    timings["group"] = time.perf_counter() - began - timings["gather"]
    cited: dict[str, int] = {}
    out: list[TimelineEvent] = []
    calls = written_ones = 0
    leading = {id(e) for e in kept_by_reports[:MODEL_EVENTS]}
    for e in kept:
        citations = tuple(_citation(r, cited) for r in e.reports)
        sentence, by = " ".join(e.reports[0].sentence.split()), "extract"
        if llm is not None and written_ones < MODEL_EVENTS and id(e) in leading:
            calls += 1
            written_ones += 1
            written = write_sentence(llm, topic, citations, reader)
            if written:
                sentence, by = written, "model"
        out.append(
            TimelineEvent(e.day.isoformat(), _dated_by(e), sentence, citations, story_of[id(e)], "", by)
        )
    out = _with_values(out)
    timings["write"] = time.perf_counter() - began - timings["gather"] - timings["group"]
    timings["total"] = time.perf_counter() - began
    notes = () if out else (f"Nothing in the articles is about “{topic}” under these filters.",)
    by_n = sorted(cited.items(), key=lambda kv: kv[1])
    chunks = {p.chunk_id: p for p in passages}
    return Timeline(
        topic,
        tuple(out),
        tuple(stories) if len(stories) > 1 else (topic,),
        tuple(value_changes(out, topic)),
        tuple(chunks[c] for c, _ in by_n),
        calls,
        notes,
        timings,
    )


def _report(p: Passage, topic_words: set[str]) -> _Report | None:
    """The passage's sentence most about the topic (the earlier on a tie), with the date it gives."""
    published = published_day(p.published)
    if published is None:
        return None
    best: tuple[float, int, int, float] | None = None
    for at, s in enumerate(split_sentences(p.text, offset=p.start)):
        text = p.text[s.start - p.start : s.end - p.start]
        if not 30 <= len(text) <= MAX_SENTENCE or _BOILERPLATE.search(text) or text.rstrip().endswith("?"):
            continue
        words = set(match_words(text))
        share = len(words & topic_words) / max(1, len(topic_words))
        score = share + (0.1 if at == 0 else 0.0) + (0.05 if figures(text) else 0.0)
        if share and (best is None or score > best[0]):
            best = (score, s.start, s.end, share)
    named = best is not None and (best[3] >= TOPIC_SHARE or _share_of(topic_words, p.title) >= TOPIC_SHARE)
    if best is None or not (named or p.score >= NEAR):
        return None
    score, start, end, _ = best
    sentence = p.text[start - p.start : end - p.start]
    day, dated_by = event_date(sentence, published)
    words = set(match_words(sentence)) - topic_words
    return _Report(
        p, sentence, start, end, day, dated_by, words, _names(sentence, p.title) - topic_words, score
    )


def _share_of(words: set[str], text: str) -> float:
    return len(words & set(match_words(text))) / max(1, len(words))


def _in_years(p: Passage, years: set[int]) -> bool:
    """Whether the report is of a year the topic names ("2023 Oscars"), or names one in its text."""
    day = published_day(p.published)
    return day is not None and (day.year in years or any(str(y) in p.text for y in years))


def _names(sentence: str, title: str) -> set[str]:
    """Lowercased capitalised words that are not a sentence's first: the names a story is told with."""
    out = set()
    for text in (sentence, title):
        tokens = text.split()
        for i, token in enumerate(tokens):
            word = token.strip("“”\"'‘’.,;:()[]!?")
            if (
                len(word) > 2
                and word[0].isupper()
                and i > 0
                and not word.isupper()
                and word.lower() not in _CALENDAR
            ):
                out.add(match_words(word)[0] if match_words(word) else word.lower())
    return out


def _group(
    reports: list[_Report], vectors: np.ndarray | None = None, alike: float = SAME_EVENT_COSINE
) -> list[_Event]:
    """Reports of one event together: within ``SAME_EVENT_DAYS`` of it, and sharing ``SAME_EVENT_SHARE`` of
    their words with its first report, or (``vectors``: the reports' sentences embedded, unit length) as near
    it in meaning as ``alike``."""
    events: list[_Event] = []
    first: list[int] = []  # each event's first report, by index into ``reports``
    order = sorted(range(len(reports)), key=lambda i: (reports[i].day, -reports[i].score))

    def same(n: int, i: int) -> bool:
        e, r = events[n], reports[i]
        if abs((e.day - r.day).days) > SAME_EVENT_DAYS:
            return False
        if _share(e.words, r.words) >= SAME_EVENT_SHARE:
            return True
        return vectors is not None and float(vectors[first[n]] @ vectors[i]) >= alike

    for i in order:
        r = reports[i]
        home = next((n for n in range(len(events)) if same(n, i)), None)
        if home is None:
            events.append(_Event([r]))
            first.append(i)
        elif r.passage.article_id not in {x.passage.article_id for x in events[home].reports}:
            events[home].reports.append(r)
    return events


def _share(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _stories(events: list[_Event], topic: str) -> tuple[dict[int, int], list[str]]:
    """Each event's story, and the stories' names: events linked by a shared name, components too small to
    stand alone joined to the story they share most words with."""
    parent = list(range(len(events)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(events):
        for j in range(i):
            if a.names & events[j].names:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(events)):
        groups.setdefault(root(i), []).append(i)
    big = [g for g in groups.values() if len(g) >= max(2, STORY_SHARE * len(events))]
    big.sort(key=len, reverse=True)
    if len(big) < 2:
        return {id(e): 0 for e in events}, [topic]
    story_of = {id(events[i]): n for n, g in enumerate(big) for i in g}
    for g in groups.values():
        if id(events[g[0]]) in story_of:
            continue
        words = set().union(*(events[i].words | events[i].names for i in g))
        n = max(
            range(len(big)),
            key=lambda s: len(words & set().union(*(events[i].words | events[i].names for i in big[s]))),
        )
        story_of.update({id(events[i]): n for i in g})
    names = []
    for g in big:
        counts = Counter(name for i in g for name in events[i].names)
        names.append(", ".join(name.title() for name, _ in counts.most_common(3)) or topic)
    return story_of, names


def _citation(r: _Report, cited: dict[str, int]) -> Citation:
    n = cited.setdefault(r.passage.chunk_id, len(cited) + 1)
    return Citation(n, r.passage, r.start, r.end, r.sentence)


def _dated_by(e: _Event) -> str:
    return "text" if any(r.dated_by == "text" for r in e.reports) else "report"


def write_sentence(
    llm: BaseChatModel, topic: str, citations: Sequence[Citation], reader: ClaimReader | None
) -> str:
    """The model's sentence for an event from its first reports' windows (the event's sentence and one either
    side), when one of them states it; "" otherwise."""
    shown = citations[:WRITE_REPORTS]
    windows = [window(c.passage, c.start, c.end) for c in shown]
    text = "\n".join(
        f"[{i}] ({c.passage.published[:10]}, {c.passage.source}) {w}"
        for i, (c, w) in enumerate(zip(shown, windows, strict=True), 1)
    )
    messages = [SystemMessage(WRITE_SYSTEM), HumanMessage(WRITE_PROMPT.format(passages=text, topic=topic))]
    try:
        reply = llm.bind(max_tokens=WRITE_TOKENS).invoke(messages)
    except Exception as exc:  # the model's failure costs the event its written sentence, not the timeline
        log.warning("The model could not write an event's sentence (%s); the report's own stands.", exc)
        return ""
    sentence = " ".join(str(reply.text).split()).strip()
    if not sentence or len(sentence) > MAX_SENTENCE:
        return ""
    if reader is not None:
        return sentence if reader.best("", sentence, windows)[0] else ""
    check = support_checker([c.passage for c in shown], "")
    return sentence if any(check(sentence, [n])[0] for n in range(1, len(shown) + 1)) else ""


def _with_values(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    """Each event with the figure it sets: its first percentage, else its first count of something ("216
    votes", "41,000 deaths"); "" when it gives neither."""
    out = []
    for e in events:
        out.append(replace(e, value=value_of(e.sentence)))
    return out


def value_of(sentence: str) -> str:
    """The figure a sentence sets: its first percentage, else its first count of something."""
    found = figures(sentence)
    percent = next((f for f in found if is_percent(f)), "")
    if percent:
        return percent
    for m in _COUNT.finditer(sentence):
        noun = m.group(2).lower()
        before = sentence[: m.start()].split()[-1:]
        after_month = bool(before) and before[0].lower().rstrip(".") in _CALENDAR
        if match_words(noun) and noun not in _CALENDAR and noun not in _NOT_COUNTS and not after_month:
            return f"{m.group(1)} {m.group(2)}"
    return ""


def _kind(value: str) -> str:
    """What a value counts: "%" for a percentage, else its noun ("votes")."""
    return "%" if is_percent(value) else " ".join(match_words(value.split(" ", 1)[-1]))


def value_changes(events: Sequence[TimelineEvent], topic: str = "") -> list[ValueChange]:
    """Where a story's value (a percentage, or a count of the same thing) moves from one event to the next,
    said plainly, cited on both sides: only between events that say the same kind of thing
    (``SAME_EVENT_SHARE`` of their words besides the topic's)."""
    topic_words = set(match_words(topic))
    changes = []
    by_story: dict[int, list[TimelineEvent]] = {}
    for e in events:
        if e.value:
            by_story.setdefault(e.story, []).append(e)
    for story in by_story.values():
        for before, after in itertools.pairwise(story):
            if not _kind(after.value) or _kind(before.value) != _kind(after.value):
                continue
            alike = _share(
                set(match_words(before.sentence)) - topic_words,
                set(match_words(after.sentence)) - topic_words,
            )
            if normalized(before.value) != normalized(after.value) and alike >= SAME_EVENT_SHARE:
                text = (
                    f"{after.value} on {day_words(after.date)} [{after.citations[0].n}], after {before.value} on "
                    f"{day_words(before.date)} [{before.citations[0].n}]"
                )
                changes.append(ValueChange(text, before, after))
    return changes
