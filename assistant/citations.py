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
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "and",
        "or",
        "but",
        "not",
        "no",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "as",
        "into",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "him",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "also",
        "about",
        "after",
        "before",
        "over",
        "under",
        "up",
        "out",
        "said",
        "says",
        "say",
        "according",
        "would",
        "could",
        "should",
        "will",
        "may",
        "might",
        "can",
    ]
)
SUPPORT_THRESHOLD = 0.6  # share of a sentence's content words that its cited span must contain


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


def locate_span(claim: str, passage: Passage) -> tuple[int, int, float]:
    """The passage sentence (or two adjacent ones) that best covers ``claim``'s content words.

    Returns its offsets in the article and the share of the claim's content words it contains. Numbers in the
    claim that the span lacks cap the support below the threshold: a wrong figure is not supported.
    """
    claim_words = set(content_words(claim))
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
        if missing_numbers:
            covered = min(covered, SUPPORT_THRESHOLD - 0.01)
        if first is not last:
            covered -= 0.05  # prefer the single sentence when it covers as much
        if covered > best[2] + 1e-9:
            best = (first.start, last.end, covered)
    return best[0], best[1], max(best[2], 0.0)


def verify_answer(answer: str, passages: list[Passage]) -> Verified:
    """Check every sentence's citations against the numbered ``passages`` (``[1]`` is ``passages[0]``)."""
    warnings: list[str] = []
    sentences: list[Sentence] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    kept_text: list[str] = []
    for text, cites in split_cited_sentences(answer):
        valid = [n for n in cites if 1 <= n <= len(passages)]
        for n in cites:
            if n not in valid:
                warnings.append(f"Removed citation [{n}]: there is no passage {n}.")
        best_support = 0.0
        for n in valid:
            start, end, support = locate_span(text, passages[n - 1])
            best_support = max(best_support, support)
            if support >= SUPPORT_THRESHOLD or not spans.get(n):
                spans.setdefault(n, []).append((start, end))
        supported = bool(valid) and best_support >= SUPPORT_THRESHOLD
        sentences.append(Sentence(text, tuple(valid), supported, best_support))
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
