"""Why a shown answer was wrong: the table beside the declines."""

from __future__ import annotations

from datetime import date

from eval.wrong import wrong_cause, wrong_table


def shown(text: str, sentences: list[tuple[str, list[int], bool]], passages: list[tuple[str, str]]) -> dict:
    return {
        "answer": text,
        "sentences": [{"text": t, "cites": c, "supported": s} for t, c, s in sentences],
        "passages": [{"published": d, "text": body} for d, body in passages],
    }


def test_each_cause_is_told_apart():
    fresh = [("2023-02-01", "The Fed raised its rate by a quarter point.")]
    assert wrong_cause("No", shown("Yes. [1]", [("Yes.", [1], True)], fresh)) == "wrong_verdict"
    quarter = shown("A quarter point [1].", [("A quarter point.", [1], True)], fresh)
    assert wrong_cause("0.25 percentage point", quarter) == "right_in_other_words"
    two = [("2022-11-03", "It rose 75 basis points."), ("2023-02-01", "It rose 0.25 percentage point.")]
    old = shown("75 basis points [1].", [("75 basis points.", [1], True)], two)
    assert wrong_cause("0.25 percentage point", old) == "stale_passage"
    lone = [("2022-11-03", "It rose 75 basis points.")]
    assert wrong_cause("Houston", shown("x [1].", [("Phoenix.", [1], True)], lone), date(2023, 2, 3)) == (
        "stale_passage"
    )
    flagged = shown("Phoenix [1].", [("Phoenix.", [1], False), ("More.", [1], True)], fresh)
    assert wrong_cause("Houston", flagged, date(2023, 2, 3)) == "unsupported_claim"
    assert wrong_cause("Houston", shown("Phoenix [1].", [("Phoenix.", [1], True)], fresh)) == "wrong_entity"
    assert wrong_table(["wrong_entity", "wrong_verdict", "wrong_entity"])[0][:3] == (
        "wrong_entity",
        "another name, number or event than the gold answer, supported by its passages",
        2,
    )
