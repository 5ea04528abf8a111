"""Figures in news text: "7.25 percent", "4.25% to 4.5%", "41,000": found, told apart by kind, and compared
as an analyst would (a percentage with a percentage, "4.5 percent" equal to "4.5%")."""

from __future__ import annotations

import re

FIGURE = re.compile(
    r"\d[\d,.]*\s?(?:%|percent|per cent)?(?:\s?(?:-|–|to)\s?\d[\d,.]*\s?(?:%|percent|per cent)?)?",
    re.IGNORECASE,
)


def figures(text: str) -> list[str]:
    """The figures of ``text`` in order, a range ("4.25% to 4.5%") as one."""
    return [f.strip().rstrip(".,") for f in FIGURE.findall(text) if len(normalized(f)) > 1 or is_percent(f)]


def is_percent(figure: str) -> bool:
    return bool(re.search(r"%|percent|per cent", figure, re.IGNORECASE))


def normalized(figure: str) -> str:
    """ "4.5 percent" and "4.5%" alike: no spaces, no unit, no trailing punctuation."""
    return re.sub(r"\s|percent|per cent|%", "", figure.lower()).rstrip(".,")
