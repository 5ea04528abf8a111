"""The trained claim checker inside the verifier: the lexical checker (``citations``) proposes each claim's
candidate spans, and the model (``models.claim_checker``) reads the claim against them and decides.

The claim an answer's first sentence is read as is the question with the answer filled in
(``claim_text``): the evidence must state the answer *to the question asked*, not merely a sentence like it.
A span is read in its window (the span and a sentence either side, after the passage's title), as the model
was trained on a sentence's neighbourhood.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from core.answer import Passage
from core.sentences import split_sentences
from models.claim_checker import SUPPORTED, ClaimModel, claim_text

# P(supported) at or above which a claim is supported; P(contradicted) at or above which it is contradicted.
# Chosen on the tuning hand labels and the dev pairs (docs/evaluation.md, "The claim checker"), never on the
# held-out labels.
SUPPORT_PROBABILITY = 0.5
CONTRADICTION_PROBABILITY = 0.5
AROUND = 1  # sentences either side of a span that its window holds
READ_CACHE = 4096  # (claim, evidence) pairs a reader remembers: one answer reads each pair several times
# Whether an answer's first sentence is read with its question before it. This checker learned that form from
# HaluEval QA, whose right answers are short and hallucinated ones whole sentences: read so, a right answer
# sentence looked hallucinated (P(supported) 0.004 for a sentence its span states, 0.986 read alone), so the
# sentence is read alone and the words bind it to the question's constraints.
QUESTION_CONTEXT = False


class ClaimReader:
    """The model's reading of claims against evidence texts, each pair read once per reader."""

    def __init__(
        self,
        model: ClaimModel,
        support: float = SUPPORT_PROBABILITY,
        contradiction: float = CONTRADICTION_PROBABILITY,
    ) -> None:
        self.model = model
        self.support = support
        self.contradiction = contradiction
        self._read: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # the last READ_CACHE pairs
        self._lock = threading.Lock()

    def probabilities(self, claim: str, evidences: Sequence[str]) -> np.ndarray:
        """(supported, not supported, contradicted) of ``claim`` against each evidence text, one row each."""
        with self._lock:
            missing = list(dict.fromkeys(e for e in evidences if (claim, e) not in self._read))
        rows = self.model.probabilities([(claim, e) for e in missing]) if missing else np.zeros((0, 3))
        with self._lock:
            self._read.update({(claim, e): row for e, row in zip(missing, rows, strict=True)})
            result = np.array([self._read[(claim, e)] for e in evidences]).reshape(-1, 3)
            while len(self._read) > READ_CACHE:  # a server's reader lives as long as the process
                self._read.popitem(last=False)
        return result

    def best(self, question: str, claim: str, evidences: Sequence[str]) -> tuple[bool, float, int]:
        """Whether any evidence text states ``claim`` (as the answer to ``question`` when one is given), the
        highest P(supported), and which text gave it."""
        if not evidences:
            return False, 0.0, -1
        rows = self.probabilities(read_as(question, claim), evidences)
        at = int(rows[:, SUPPORTED].argmax())
        score = float(rows[at, SUPPORTED])
        return score >= self.support, score, at


def read_as(question: str, claim: str) -> str:
    """The text the model reads as the claim: the claim alone (``QUESTION_CONTEXT`` off), or after its question."""
    return claim_text(question, claim) if QUESTION_CONTEXT else claim


def window(passage: Passage, start: int, end: int, around: int = AROUND) -> str:
    """The passage's title, then its span ``start``..``end`` (article offsets) with ``around`` sentences either
    side: what the model reads a span in."""
    sentences = split_sentences(passage.text, offset=passage.start)
    if not sentences:
        return passage.title
    first = next((i for i, s in enumerate(sentences) if s.end > start), len(sentences) - 1)
    last = next((i for i, s in enumerate(sentences) if s.end >= end), len(sentences) - 1)
    lo, hi = max(0, first - around), min(len(sentences) - 1, last + around)
    text = passage.text[sentences[lo].start - passage.start : sentences[hi].end - passage.start]
    title = passage.title.strip().rstrip(".")
    return f"{title}. {text}" if title else text
