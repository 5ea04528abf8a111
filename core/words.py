"""Words that carry meaning: the vocabulary that ranks sentences for a question and checks a claim against
its passage.

Two forms of a word, for two jobs:
- ``content_words``: lowercased, stop words dropped, the inflection cut ("leaders" -> "leader"). Sentence
  ranking (the excerpts the model reads, the extractive answer) was tuned and benchmarked on this form.
- ``match_words`` / ``word_forms``: the same, also without a final "e" and keeping the "s" of "focus" or
  "analysis", so that "anticipate", "anticipates" and "anticipated" all meet: what the verifier compares.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
STOP = frozenset(
    """a an the of to in on at by for from with and or but not no is are was were be been being has have had do
    does did this that these those it its as into than then there their they them he she his her him we our you
    your i me my who whom whose which what when where why how also about after before over under up out
    said says say according would could should will may might can most likely probably reportedly allegedly
    approximately around through via during while yes both either neither each""".split()
)
_SUFFIXES = ("'s", "’s", "ing", "ed", "es", "s")


def stem(word: str) -> str:
    """``word`` without its inflection ("leaders" -> "leader"), the ranking form."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def match_stem(word: str) -> str:
    """``word`` reduced so that its inflections meet: "focus"/"focuses", "anticipate"/"anticipated"."""
    for suffix in ("'s", "’s", "ing", "ed", "s"):
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            continue  # "focus", "business", "analysis" are not plurals
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def content_words(text: str) -> list[str]:
    """Lowercased words that carry meaning (no stop words), lightly stemmed: the ranking form."""
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOP]


def match_words(text: str) -> list[str]:
    """Lowercased words that carry meaning (no stop words), in the form the verifier compares."""
    return [match_stem(w) for w in WORD.findall(text.lower()) if w not in STOP]


def word_forms(text: str) -> set[str]:
    """Every word of ``text``, stop words included, in the form the verifier compares."""
    return {match_stem(w) for w in WORD.findall(text.lower())}
