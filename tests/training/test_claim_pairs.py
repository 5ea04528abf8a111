"""The claim checker's training pairs: contrastive edits that change what a sentence says, and splits that never
put one evidence text on both sides."""

from __future__ import annotations

import json
import random
from pathlib import Path

from training.claim_pairs import (
    CONTRADICTED,
    NOT_SUPPORTED,
    SUPPORTED,
    _changed_date,
    _changed_number,
    _negated,
    _news_pairs,
    build,
    split_of,
)

SENTENCE = "The council approved 38 new homes in March 2021, and the mayor said the plan was final."


def test_a_figure_a_date_and_a_negation_are_changed():
    rng = random.Random(0)
    changed = _changed_number(SENTENCE, rng)
    assert changed and changed != SENTENCE and "38" not in changed and "2021" in changed
    dated = {_changed_date(SENTENCE, random.Random(seed)) for seed in range(10)}
    assert all(d and d != SENTENCE for d in dated)
    assert any("2021" not in d for d in dated) and any("March" not in d for d in dated)
    assert _negated(SENTENCE) == SENTENCE.replace("plan was final", "plan was not final")
    assert _negated("It was not final.") is None  # already a denial


def test_splits_are_stable_and_about_the_intended_shares():
    groups = [f"premise {i}" for i in range(4000)]
    splits = [split_of(g) for g in groups]
    assert splits == [split_of(g) for g in groups]
    assert 0.12 < splits.count("test") / 4000 < 0.18 and 0.03 < splits.count("dev") / 4000 < 0.07


def test_news_pairs_keep_the_sentence_and_its_edits_with_one_article():
    text = " ".join(
        f"Sentence number {i} says the Velmora port handled {100 + i} ships on Monday, officials said."
        for i in range(8)
    )
    pairs = list(
        _news_pairs(iter([("a1", text), ("a2", text.replace("Velmora", "Kestria"))]), random.Random(1))
    )
    assert {p.group for p in pairs} == {"a1", "a2"}
    kept = [p for p in pairs if p.kind == "kept"]
    assert kept and all(p.label == SUPPORTED and p.claim in p.evidence for p in kept)
    edits = [p for p in pairs if p.kind != "kept"]
    assert edits and all(p.claim not in p.evidence for p in edits)
    assert all(
        p.label == (CONTRADICTED if p.kind in ("figure", "date", "negation") else NOT_SUPPORTED)
        for p in edits
    )


def test_build_reads_each_source_and_groups_by_evidence(tmp_path: Path):
    for name in ("fever-nli", "mnli"):
        (tmp_path / name).mkdir()
        rows = "entailment\tThe port opened in 1990 .\tThe port opened in 1990.\n"
        rows += "not_entailment\tThe port opened in 1990 .\tThe port closed in 1990.\n"
        (tmp_path / name / "dev.txt").write_text(rows)
        (tmp_path / name / "test.txt").write_text("")
    (tmp_path / "climate-fever").mkdir()
    claim = {
        "claim": "Seas rise.",
        "evidences": [{"evidence": "Seas are rising.", "evidence_label": "SUPPORTS"}],
    }
    (tmp_path / "climate-fever" / "climate-fever.jsonl").write_text(json.dumps(claim) + "\n")
    pairs = build(tmp_path)
    assert [(p.source, p.label) for p in pairs] == [
        ("fever", SUPPORTED), ("fever", NOT_SUPPORTED), ("mnli", SUPPORTED), ("mnli", NOT_SUPPORTED),
        ("climate-fever", SUPPORTED),
    ]  # fmt: skip
    assert len({p.split for p in pairs if p.source == "fever"}) == 1  # one premise, one split


def test_a_question_claim_holds_the_question_and_the_answer():
    from models.claim_checker import claim_text

    assert claim_text(" Who won? ", "Ana Ruiz won. ") == "Who won? Ana Ruiz won."
