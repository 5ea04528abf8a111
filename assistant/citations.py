"""Parse ``[n]`` citations out of an answer, check each sentence against its cited passages, and locate
the supporting span in the article so the UI can highlight it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from assistant.answer import Citation, Passage, Sentence
from ingest.chunk import split_sentences

_CITE = re.compile(r"\[(\d+(?:\s*[-–,;]\s*\d+)*)\]")
_CITE_AFTER_STOP = re.compile(r"""([.!?]["'”’)]*)((?:\s*\[\d+(?:\s*[-–,;]\s*\d+)*\])+)""")
_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
_STOP = frozenset(
    """a an the of to in on at by for from with and or but not no is are was were be been being has have had do
    does did this that these those it its as into than then there their they them he she his her him we our you
    your i me my who whom whose which what when where why how also about after before over under up out
    said says say according would could should will may might can most likely probably reportedly allegedly
    approximately around through via during while""".split()
)
SUPPORT_THRESHOLD = 0.6  # share of a sentence's content words that its cited span must contain
ANCHOR_THRESHOLD = 0.5  # share of the question words a sentence restates that its passage must mention


@dataclass(frozen=True)
class Verified:
    sentences: list[Sentence]
    citations: list[Citation]
    text: str  # the answer with citations that name no passage removed
    warnings: list[str]


def content_words(text: str) -> list[str]:
    """Lowercased words that carry meaning (no stop words), lightly stemmed."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


def _stem(word: str) -> str:
    for suffix in ("'s", "’s", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


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
    answer = _CITE_AFTER_STOP.sub(r"\2\1", answer)  # 'frozen.[2]' -> 'frozen[2].', 'it."[2]' -> 'it[2]."'
    result: list[tuple[str, list[int]]] = []
    for span in split_sentences(answer):
        raw = answer[span.start : span.end]
        cites = [n for m in _CITE.finditer(raw) for n in parse_cites(m.group(1))]
        text = " ".join(_CITE.sub("", raw).split()).replace(" .", ".").replace(" ,", ",")
        if not text.strip(" .") and result:  # a lone "[2]." that the splitter cut off
            result[-1][1].extend(cites)
            continue
        if text:
            result.append((text, list(dict.fromkeys(cites))))
    return result


def locate_span(claim: str, passage: Passage, given: frozenset[str] = frozenset()) -> tuple[int, int, float]:
    """The passage sentence (or two adjacent ones) that best covers ``claim``'s content words.

    Returns its offsets in the article and the share of the claim's content words it contains. Words in
    ``given`` (the question's own words, which an answer restates) do not need support unless nothing else is
    left, but the passage (or its title) must mention at least half of those it restates. Numbers in the claim
    that the span lacks cap the support below the threshold: a wrong figure is not supported.
    """
    all_words = set(content_words(claim))
    claim_words = (all_words - given) or all_words
    # The question's words that the sentence restates need no support from the span, but the passage must be
    # about them: "the football club paid $190 million" is not supported by a passage on a chip deal's fee.
    restated = all_words & given
    about = set(content_words(f"{passage.title} {passage.text}"))
    anchored = not restated or len(restated & about) / len(restated) >= ANCHOR_THRESHOLD
    spans = split_sentences(passage.text, offset=passage.start)
    if not spans:
        return passage.start, passage.end, 0.0
    best = (spans[0].start, spans[0].end, -1.0)
    candidates = [(s, s) for s in spans] + list(pairwise(spans))
    for first, last in candidates:
        text = passage.text[first.start - passage.start : last.end - passage.start]
        words = set(content_words(text))
        covered = len(claim_words & words) / len(claim_words) if claim_words else 0.0
        missing_numbers = {w for w in claim_words - words if any(ch.isdigit() for ch in w)}
        if missing_numbers or not anchored:
            covered = min(covered, SUPPORT_THRESHOLD - 0.01)
        if first is not last:
            covered -= 0.05  # prefer the single sentence when it covers as much
        if covered > best[2] + 1e-9:
            best = (first.start, last.end, covered)
    return best[0], best[1], max(best[2], 0.0)


def verify_answer(answer: str, passages: list[Passage], question: str = "") -> Verified:
    """Check every sentence's citations against the numbered ``passages`` (``[1]`` is ``passages[0]``).

    Citations of passages that do not exist are removed. A sentence whose citations do not support it, or
    that has none, is attributed to the passage that does support it when one does (with a warning), and
    is otherwise marked unsupported: never silently dropped.
    """
    given = frozenset(content_words(question))
    warnings: list[str] = []
    sentences: list[Sentence] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    kept_text: list[str] = []
    for text, cites in split_cited_sentences(answer):
        valid = [n for n in cites if 1 <= n <= len(passages)]
        warnings.extend(f"Removed citation [{n}]: there is no passage {n}." for n in cites if n not in valid)
        located = {n: locate_span(text, passages[n - 1], given) for n in valid}
        if not any(support >= SUPPORT_THRESHOLD for *_, support in located.values()):
            others = {n: locate_span(text, p, given) for n, p in enumerate(passages, 1) if n not in located}
            best = max(others, key=lambda n: others[n][2], default=None)
            if best is not None and others[best][2] >= SUPPORT_THRESHOLD:
                if valid:  # a wrong citation corrected; attributing an uncited sentence is routine
                    was = "".join(f"[{n}]" for n in valid)
                    warnings.append(f"Cited [{best}] instead of {was} for: {_clip(text)}")
                valid, located = [best], {best: others[best]}
        best_support = max((support for *_, support in located.values()), default=0.0)
        for n, (start, end, support) in located.items():
            if support >= SUPPORT_THRESHOLD or not spans.get(n):
                spans.setdefault(n, []).append((start, end))
        sentences.append(
            Sentence(text, tuple(valid), bool(valid) and best_support >= SUPPORT_THRESHOLD, best_support)
        )
        marks = "".join(f"[{n}]" for n in valid)
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


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
