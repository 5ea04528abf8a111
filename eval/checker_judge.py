"""The trained claim checker as ALCE's entailment judge: citation recall and precision of the cached answers,
and the checker's agreement with the hand labels of the verifier, the held-out ones apart.

The checker reads the claim against each cited passage's windows (``assistant.checking``); passages taken
together entail a claim when one of them states it (the checker reads no two passages as one text, so a claim
only two passages state together counts as not entailed: ALCE's recall is, if anything, understated).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.checking import CANDIDATES, ClaimChecker
from core.answer import Answer
from eval.hand_labels import HELD_OUT, LabelledClaim
from eval.judge import confusion, judge_answer
from eval.metrics import SentenceJudgment
from eval.results import Agreement, JudgeCheck
from models.catalog import CLAIM_CHECKER

CHECKER_JUDGE = CLAIM_CHECKER.file_name.removesuffix(".onnx")


class CheckerJudge:
    """``entails(passages, claim)`` and ``judge_answer(answer)`` as the LLM judge has them, by the checker."""

    def __init__(self, checker: ClaimChecker) -> None:
        if checker.reader is None:
            raise ValueError(
                "The checker judge needs the trained checker (claim_checker='on'), not the words."
            )
        self.checker = checker
        self.name = CHECKER_JUDGE
        # new weights, threshold or windows: new verdicts
        self.version = f"{(CLAIM_CHECKER.sha256 or 'none')[:8]}-{checker.reader.support}-{CANDIDATES}"

    def __repr__(self) -> str:
        return f"CheckerJudge({self.name!r})"

    def entails(self, passages: Sequence[str], claim: str) -> bool:
        return self.checker.check(claim, list(passages)).label == "supported"

    def judge_answer(self, answer: Answer) -> list[SentenceJudgment]:
        return judge_answer(answer, self.entails)


def checker_agreement(checker: ClaimChecker, labelled: Sequence[LabelledClaim]) -> JudgeCheck:
    """The checker alone (claim against the passages it cites, no question) against the hand labels: on every
    pair, and on the held-out ones apart."""
    verdicts = [checker.check(c.claim, c.cited).label == "supported" for c in labelled]
    every = confusion(verdicts, [c.entailed for c in labelled])
    held = [(v, c.entailed) for v, c in zip(verdicts, labelled, strict=True) if c.set == HELD_OUT]
    held_check = confusion([v for v, _ in held], [e for _, e in held]) if held else None
    return JudgeCheck(
        **every.to_dict(),  # type: ignore[arg-type]
        model=CHECKER_JUDGE,
        held_out=Agreement(**held_check.to_dict()) if held_check else None,  # type: ignore[arg-type]
    )
