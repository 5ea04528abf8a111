"""Decline causes: each wrongly declined answer is put down to the first cause that explains it."""

from __future__ import annotations

from core.answer import Passage
from eval.declines import cause_table, decline_cause

VERGE = "Google paid Apple $26.3 billion in 2021 to be the default search engine on Safari."
WIRED = "The case argues that Google siphons off news publishers' content and ad revenue."


def _answer(draft: str, *texts: str) -> dict:
    passages = [
        Passage(
            f"c{i}", f"a{i}", f"Story {i}", "Wire", f"https://x.test/{i}", "", "2023-11-24", t, 0, len(t), 0.5
        )
        for i, t in enumerate(texts, 1)
    ]
    return {"question": "", "draft": draft, "declined": True, "passages": [p.to_dict() for p in passages]}


def cause(draft: str, *texts: str, gold: str = "Google", found: bool = True) -> str:
    return decline_cause("Which company?", gold, _answer(draft, *texts), answer_in_passages=found)[0]


def test_each_cause_is_recognised():
    assert cause("Google [1].", VERGE, found=False) == "retrieval"
    assert cause("The passages do not say.", VERGE) == "model_declined"
    assert cause("", VERGE) == "model_declined"
    both = "Google paid Apple $26.3 billion, and publishers say Google siphons off their ad revenue"
    assert cause(both + " [1][2].", VERGE, WIRED) == "two_passages"
    assert (
        cause("Google siphons off news publishers' content and ad revenue [1].", VERGE, WIRED)
        == "wrong_passage"
    )
    assert cause("Yes. Microsoft paid Apple [1].", VERGE, gold="Yes") == "yes_no"
    assert cause("It was the search giant Google, accused over its deals [1].", VERGE) == "paraphrase"
    assert cause("Microsoft bought Activision for $69 billion [1].", VERGE) == "unsupported"


def test_sentence_checks_record_support_alone_together_and_elsewhere():
    both = "Google paid Apple $26.3 billion, and publishers say Google siphons off their ad revenue [1][2]."
    _, (check,) = decline_cause(
        "Which company?", "Google", _answer(both, VERGE, WIRED), answer_in_passages=True
    )
    assert check.cites == (1, 2) and check.alone < 0.6 <= check.together


def test_cause_table_counts_and_shares():
    table = cause_table(["unsupported", "retrieval", "unsupported"])
    assert [(c, n) for c, _, n, _ in table] == [("unsupported", 2), ("retrieval", 1)]
    assert abs(sum(share for *_, share in table) - 1) < 1e-9
