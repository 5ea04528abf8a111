"""Names, numbers and dates as an analyst matches them: "Bankman-Fried" is "Sam Bankman-Fried" (and "SBF"
where the passage says so), "a quarter point" is "25 basis points" and "0.25 percentage point", "eight" is
"8", "Feb. 1" is "February 1" and "16th" is "16".

``forms(text)`` is every form a span offers; ``requirements(claim, question)`` is what a claim adds to its
question that a span must offer, each as the set of forms any one of which will do.
"""

from __future__ import annotations

import re
from fractions import Fraction

from core.words import STOP, WORD, match_stem, word_forms

_MONTHS = "january february march april may june july august september october november december".split()
_MONTH_FORMS = {m[:3]: m for m in _MONTHS} | {"sept": "september"}
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "once": 1, "twice": 2, "dozen": 12,
}  # fmt: skip
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
MIN_NAME_STEM = 5  # letters two forms of a name must share ("russia"/"russian")
_NUMERIC = set(_MONTHS) | {str(v) for v in _UNITS.values()}  # canonical forms that are dates and numbers
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_POINTS = re.compile(
    r"\b(?:(?P<frac>a quarter|one quarter|a half|half a|one half|half|three quarters|three-quarters)"
    r"(?: of a)?|(?P<num>\d+(?:\.\d+)?|[a-z]+))[\s-]+(?:(?P<pct>percentage)[\s-]+points?|(?P<bp>basis)"
    r"[\s-]+points?|points?)\b",
    re.IGNORECASE,
)
_FRACTIONS = {
    "a quarter": Fraction(1, 4), "one quarter": Fraction(1, 4), "a half": Fraction(1, 2),
    "half a": Fraction(1, 2), "one half": Fraction(1, 2), "half": Fraction(1, 2),
    "three quarters": Fraction(3, 4), "three-quarters": Fraction(3, 4),
}  # fmt: skip
_NAME = re.compile(r"[A-Z][\w'’.]*(?:-[A-Z]?[\w'’.]+)*")
_OPENS = re.compile(r"(?:^|[.!?:;]['\"”’)]*\s+|\n)$")


def canonical(word: str) -> str:
    """One word's comparable form: "16th" -> "16", "feb" -> "february", "eight" -> "8", "1,200" -> "1200";
    otherwise its ``match_stem``."""
    word = word.lower().rstrip(".")
    ordinal = _ORDINAL.match(word)
    if ordinal:
        return ordinal.group(1)
    if word in _MONTH_FORMS:
        return _MONTH_FORMS[word]
    if word in _UNITS:
        return str(_UNITS[word])
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", word):
        return word.replace(",", "")
    return match_stem(word)


def forms(text: str) -> set[str]:
    """Every form ``text`` offers a claim: its words (``word_forms``) and their canonical forms, the
    quantities it states in points ("pt:0.25"), and the initials of the names it gives ("sbf")."""
    words = WORD.findall(text)
    out = word_forms(text) | {canonical(w) for w in words}
    out |= {w.lower() for w in re.findall(r"\b[A-Z]{2,6}\b", text)}  # acronyms as written
    out |= points(text)
    out |= {initials for run in name_runs(text) if len(initials := _initials(run)) >= 2}
    out |= {canonical(part) for w in words if "-" in w for part in w.split("-")}
    return out


def points(text: str) -> set[str]:
    """Rate moves in one unit: "a quarter point", "0.25 percentage point" and "25 basis points" are all
    "pt:0.25"; "half a point" and "50 basis points" are "pt:0.5"."""
    return {form for _, _, form in _point_matches(text)}


def _point_matches(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _POINTS.finditer(text):
        if m.group("frac"):
            value = _FRACTIONS[m.group("frac").lower()]
        else:
            raw = m.group("num").lower()
            if re.fullmatch(r"\d+(?:\.\d+)?", raw):
                value = Fraction(raw)
            elif raw in _UNITS:
                value = Fraction(_UNITS[raw])
            else:
                continue
        if m.group("bp"):
            value /= 100
        found.append((m.start(), m.end(), f"pt:{float(value):g}"))
    return found


def name_runs(text: str, known: set[str] | frozenset[str] = frozenset()) -> list[list[str]]:
    """The names ``text`` gives, each as its run of capitalised words ("Sam Bankman-Fried"). A sentence's
    first word is a name when another capitalised word follows it, or when it is one of the ``known`` names
    (lowercased: those the passages give mid-sentence), so "Valve said" names Valve only where the passages
    do."""
    runs: list[tuple[bool, list[str]]] = []  # (opens a sentence, words)
    last_end = -2
    for m in _NAME.finditer(text):
        word = re.sub(r"['’]s$", "", m.group()).rstrip("'’")  # "Google’s" names Google; 'The Age' The Age
        word = word.rstrip(".") if word.endswith(".") and len(word) > 3 else word  # "Fawzy." at the end
        if runs and m.start() == last_end + 1 and text[last_end] == " ":
            runs[-1][1].append(word)
        else:
            runs.append((_OPENS.search(text[: m.start()]) is not None, [word]))
        last_end = m.end()
    return [words for opens, words in runs if not opens or len(words) > 1 or words[0].lower() in known]


def known_names(texts: list[str]) -> frozenset[str]:
    """The capitalised words ``texts`` use mid-sentence (lowercased): the names a claim may open with."""
    return frozenset(w.lower() for text in texts for run in name_runs(text) for w in run) - STOP


def _initials(run: list[str]) -> str:
    return "".join(part[0].lower() for word in run for part in word.split("-") if part)


def requirements(
    claim: str, question: str = "", known: set[str] | frozenset[str] = frozenset()
) -> list[frozenset[str]]:
    """What ``claim`` adds to ``question`` that its span must state: each name, number, date and rate it
    gives that the question does not, as the forms that count as stating it. A name given with a first name
    ("Sam Bankman-Fried") is stated by its last word ("Bankman-Fried") or its initials ("SBF"). ``known``:
    the names the passages give (``known_names``), so that an answer opening with one ("Valve is...") gives
    it."""
    asked = forms(question) if question else set()
    needed: list[frozenset[str]] = []
    in_names: set[str] = set()
    for run in name_runs(claim, known):
        words = {canonical(p) for w in run for p in re.split(r"[-\s]", w) if p}
        in_names |= {w.lower() for w in run}
        last = [canonical(p) for p in re.split(r"-", run[-1]) if p]
        if words & asked and set(last) <= asked:
            continue  # the question's own name
        if run[-1].lower() in STOP or all(w in STOP for w in words):
            continue
        options = {"+".join(last)}
        if len(run) > 1 or "-" in run[-1]:
            options.add(_initials(run))
        needed.append(frozenset(options))
    rates = _point_matches(claim)
    for m in WORD.finditer(claim):
        token = m.group()
        numeric = any(c.isdigit() for c in token) or canonical(token) in _NUMERIC
        if token.lower() in in_names or not numeric or any(s <= m.start() < e for s, e, _ in rates):
            continue  # a rate's figure is required as the rate ("a quarter point" for "25 basis points")
        form = canonical(token)
        if form not in asked and form not in STOP:
            needed.append(frozenset({form}))
    needed += [frozenset({p}) for p in {form for _, _, form in rates} - asked]
    return list(dict.fromkeys(needed))


def satisfied(requirement: frozenset[str], offered: set[str]) -> bool:
    """Whether a span offering ``offered`` (``forms``) states ``requirement``: one of its forms, a name's
    words joined by "+" all present. A name may be given in another form of the same word ("Tarsovan" by
    "Tarsova", "Ukrainian" by "Ukraine"): the same first letters, all but the last three at most."""
    return any(all(_offers(part, offered) for part in option.split("+")) for option in requirement)


def _offers(part: str, offered: set[str]) -> bool:
    if part in offered:
        return True
    if not part.isalpha() or len(part) < MIN_NAME_STEM + 1:
        return False
    stem = part[: max(MIN_NAME_STEM, len(part) - 3)]
    return any(o.startswith(stem) and abs(len(o) - len(part)) <= 3 for o in offered if o[:1] == part[:1])
