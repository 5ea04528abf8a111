"""The verifier's hand labels (``eval/verifier_labels.jsonl``): claims drawn from the full runs' drafts, each
labelled by hand as stated (entailed) or not by the passages the draft was written from, split into the tuning
pairs and the held-out ones (never used to choose anything).

A row names the committed answer cache and question it came from, so its passages are read from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from core.answer import Passage

LABELS = Path(__file__).with_name("verifier_labels.jsonl")
HELD_OUT = "held-out"
KINDS = ("wrong_entity", "right_entity", "verdict", "multi_passage", "stale_figure")


@dataclass(frozen=True)
class LabelledClaim:
    pair: str
    set: str  # "tune" or "held-out"
    kind: str
    question: str
    claim: str
    cites: tuple[int, ...]
    passages: tuple[Passage, ...]
    entailed: bool

    @property
    def cited(self) -> list[Passage]:
        """The passages the claim cites (its numbers into ``passages``, 1-based; those out of range skipped)."""
        return [self.passages[n - 1] for n in self.cites if 1 <= n <= len(self.passages)]


def load_labelled_claims(path: Path = LABELS) -> list[LabelledClaim]:
    """The labelled claims, each with the passages of the cached answer it was drawn from."""
    root = path.resolve().parents[1]
    claims = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        records = _cache(str(root / row["cache"]))
        if row["qid"] not in records:
            raise ValueError(
                f"{path}:{number}: question {row['qid']} is not in {row['cache']}; a renamed answer cache "
                "must be renamed in the labels too."
            )
        passages = tuple(Passage(**p) for p in records[row["qid"]]["answer"]["passages"])
        claims.append(
            LabelledClaim(
                row["pair"],
                row["set"],
                row["kind"],
                row["question"],
                row["claim"],
                tuple(row["cites"]),
                passages,
                bool(row["entailed"]),
            )
        )
    return claims


@cache
def _cache(path: str) -> dict[str, dict[str, Any]]:
    if not Path(path).exists():
        raise ValueError(f"The answer cache {path} that a hand label names is missing: restore it from git.")
    records = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        records[entry["id"]] = entry["record"]
    return records
