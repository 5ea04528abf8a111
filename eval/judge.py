"""An LLM entailment judge for ALCE-style citation quality (Gao et al. 2023), on the local llama.cpp model.

ALCE asks an NLI model whether the passages a sentence cites entail it (citation recall) and whether each
citation is needed (citation precision). Here the NLI model is the local Qwen2.5-Coder GGUF, asked a fixed
yes/no question at temperature 0; ``eval.metrics`` turns its ``SentenceJudgment``s into scores.

    python -m eval.judge                    # validate the 1.5B judge (profile "default") on the labels
    python -m eval.judge --profile fast     # the 0.5B model instead
    python -m eval.judge --labels my.jsonl

The pure parts (reading the model's reply, the needed-citation logic, agreement and Cohen's kappa) are
small functions that need no model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.generators.llm import make_chat_model
from assistant.verifiers.citations import is_verdict
from core.answer import Answer, Passage
from core.errors import ModelError
from core.settings import LLM_PROFILES, Settings, settings_from_env
from eval.metrics import SentenceJudgment
from models.catalog import gguf_ready, gguf_spec

JUDGE_VERSION = "1"  # bump whenever JUDGE_SYSTEM, JUDGE_PROMPT or how passages are shown changes
JUDGE_MAX_TOKENS = 4  # "yes" / "no" plus room for a stray "." or "**"

JUDGE_SYSTEM = "You are a careful fact checker. You answer only yes or no."

# Zero-shot, instructions after the claim. On judge_labels.jsonl the 1.5B model agrees on 38 of 42 with it;
# a few-shot prompt (instructions and five invented examples first) got 40 of 42, but made the 0.5B model
# answer "no" to everything, while with this one the 0.5B model is weak (27 of 42, leaning to "yes") but usable.
JUDGE_PROMPT = """Passages:
{passages}

Claim: {claim}

Is the claim supported by the passages? It is supported only if every fact in it (each name, number, date, \
place and event) is stated in the passages or follows directly from them, about the same person, group or \
thing; the passages may be combined. It is not supported if any part of it is missing, different, \
contradicted, or only said to be possible or expected. Answer yes or no."""

_VERDICT = re.compile(
    r"\b(not\s+(?:entailed|supported)|unsupported|yes|no|true|false|entailed|supported)\b", re.IGNORECASE
)
_POSITIVE = frozenset({"yes", "true", "entailed", "supported"})

DEFAULT_LABELS = Path(__file__).with_name("judge_labels.jsonl")

EntailsFn = Callable[[Sequence[str], str], bool]


# --- pure parts ----------------------------------------------------------------------------------------


def parse_verdict(reply: str) -> bool | None:
    """The model's yes/no as a bool: the first verdict word in the reply ("Yes.", "**No**", "Answer: yes").

    ``None`` when the reply holds no verdict word (the judge counts that as not entailed).
    """
    match = _VERDICT.search(reply)
    if match is None:
        return None
    return " ".join(match.group(1).lower().split()) in _POSITIVE


def format_passages(passages: Sequence[str]) -> str:
    """Passages numbered [1], [2], ... one to a line (inner whitespace collapsed)."""
    return "\n".join(f"[{n}] {' '.join(text.split())}" for n, text in enumerate(passages, start=1))


def build_prompt(passages: Sequence[str], claim: str) -> str:
    return JUDGE_PROMPT.format(passages=format_passages(passages), claim=" ".join(claim.split()))


def passage_for_judge(passage: Passage) -> str:
    """How an answer's passage is shown to the judge: ALCE's ``Title: ...`` line, then the text."""
    return f"Title: {passage.title}\n{passage.text}" if passage.title else passage.text


def judge_sentence(
    passages: Sequence[str], cites: Sequence[int], claim: str, entails: EntailsFn
) -> SentenceJudgment:
    """ALCE's verdicts on one sentence citing ``cites`` (1-based numbers into ``passages``).

    Recall: do all cited passages together entail the claim? A citation of a passage that does not exist
    makes the sentence not entailed (as in ALCE). Precision, only for an entailed sentence with two or more
    citations: a citation is needed unless it alone does not entail the claim while the other citations
    still do without it (ALCE's "irrelevant" citation). A lone citation is needed (ALCE skips its check).
    For a sentence that is not entailed, ``needed`` is all False and no further judgments are made.
    """
    cited = tuple(dict.fromkeys(cites))
    if not cited:
        return SentenceJudgment(cited=(), entailed_by_all=False, needed=())
    if any(not 1 <= n <= len(passages) for n in cited):
        return SentenceJudgment(cited=cited, entailed_by_all=False, needed=(False,) * len(cited))
    texts = {n: passages[n - 1] for n in cited}
    if not entails([texts[n] for n in cited], claim):
        return SentenceJudgment(cited=cited, entailed_by_all=False, needed=(False,) * len(cited))
    if len(cited) == 1:
        return SentenceJudgment(cited=cited, entailed_by_all=True, needed=(True,))
    needed = tuple(
        entails([texts[n]], claim) or not entails([texts[m] for m in cited if m != n], claim) for n in cited
    )
    return SentenceJudgment(cited=cited, entailed_by_all=True, needed=needed)


def judge_answer(answer: Answer, entails: EntailsFn) -> list[SentenceJudgment]:
    """ALCE verdicts for each sentence of ``answer`` ([] for a declined answer). A bare "Yes."/"No." is no
    claim of its own (it stands for the sentences after it), so it is not judged."""
    if answer.declined:
        return []
    passages = [passage_for_judge(p) for p in answer.passages]
    return [
        judge_sentence(passages, s.cites, s.text, entails) for s in answer.sentences if not is_verdict(s.text)
    ]


@dataclass(frozen=True)
class JudgeValidation:
    """The judge against hand labels: confusion counts (positive = entailed), agreement, Cohen's kappa."""

    n: int
    tp: int
    fp: int
    fn: int
    tn: int
    agreement: float
    kappa: float

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int, tn: int) -> JudgeValidation:
        return cls(tp + fp + fn + tn, tp, fp, fn, tn, agreement(tp, fp, fn, tn), cohen_kappa(tp, fp, fn, tn))

    def to_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "agreement": round(self.agreement, 4),
            "kappa": round(self.kappa, 4),
        }


def agreement(tp: int, fp: int, fn: int, tn: int) -> float:
    """Share of items where judge and label agree. nan for no items."""
    n = tp + fp + fn + tn
    return (tp + tn) / n if n else math.nan


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Cohen's kappa of two yes/no raters from their 2x2 confusion counts.

    (observed - chance agreement) / (1 - chance agreement), chance from each rater's own yes rate. nan for
    no items, or when both raters give one and the same verdict to everything (chance agreement 1: undefined,
    as in scikit-learn).
    """
    n = tp + fp + fn + tn
    if n == 0:
        return math.nan
    observed = (tp + tn) / n
    chance = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if chance == 1:
        return math.nan
    return (observed - chance) / (1 - chance)


# --- the judge -----------------------------------------------------------------------------------------


class EntailmentJudge:
    """Asks a chat model whether passages entail a claim; one cached yes/no per (passages, claim).

    ``chat_model`` should answer at temperature 0 with a few tokens at most (``open_judge`` sets it up so).
    """

    def __init__(self, chat_model: BaseChatModel, name: str = "qwen2.5-coder-1.5b") -> None:
        self.chat_model = chat_model
        self.name = name
        self.version = JUDGE_VERSION
        self.calls = 0  # model calls made (cache misses)
        self.unparsed = 0  # replies without a yes/no, counted as not entailed
        self._cache: dict[tuple[tuple[str, ...], str], bool] = {}

    def __repr__(self) -> str:
        return f"EntailmentJudge({self.name!r}, version={self.version!r}, cached={len(self._cache)})"

    def entails(self, passages: Sequence[str], claim: str) -> bool:
        """Do ``passages``, taken together, entail ``claim``? An unreadable reply counts as no."""
        key = (tuple(passages), claim)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        messages = [SystemMessage(JUDGE_SYSTEM), HumanMessage(build_prompt(passages, claim))]
        reply = self.chat_model.invoke(messages)
        self.calls += 1
        verdict = parse_verdict(reply.text)
        if verdict is None:
            self.unparsed += 1
        self._cache[key] = bool(verdict)
        return bool(verdict)

    def judge_answer(self, answer: Answer) -> list[SentenceJudgment]:
        return judge_answer(answer, self.entails)


@contextlib.contextmanager
def open_judge(settings: Settings) -> Iterator[EntailmentJudge]:
    """The judge on the local model of ``settings.llm_profile`` (default: Qwen2.5-Coder-1.5B), temperature 0.

    The model is served by the process-wide llama.cpp server (``assistant.generators.llm.make_chat_model``), so an
    answerer on the same profile in this process shares it; it is released at interpreter exit.
    """
    spec = gguf_spec(settings.llm_profile)
    if not gguf_ready(spec, settings.models_dir):
        raise ModelError(
            f"The entailment judge needs the local model {spec.description} (profile {spec.profile!r}), "
            f"which is not set up in {settings.models_dir}. Set it up with `assistant setup-model --profile "
            f"{spec.profile}` (or point ASSISTANT_MODELS_DIR at the folder that holds it)."
        )
    judge_settings = replace(settings, llm="local", temperature=0.0, max_tokens=JUDGE_MAX_TOKENS)
    model = make_chat_model(judge_settings)
    if model is None:  # cannot happen with llm="local"; keeps the type checker honest
        raise ModelError(f"No local model for profile {spec.profile!r}.")
    yield EntailmentJudge(model, name=_model_name(spec.description))


def _model_name(description: str) -> str:
    """'Qwen2.5-Coder-1.5B-Instruct Q4_K_M' -> 'qwen2.5-coder-1.5b'."""
    return description.split()[0].lower().removesuffix("-instruct")


# --- validation against hand labels --------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledPair:
    passages: tuple[str, ...]
    claim: str
    entailed: bool
    note: str = ""
    set: str = ""  # "held-out": written after the judge's prompt was fixed, never used to choose it


HELD_OUT = "held-out"


def load_labels(path: Path = DEFAULT_LABELS) -> list[LabelledPair]:
    """Hand-labelled (passages, claim, entailed) pairs from a JSON Lines file (blank lines skipped)."""
    pairs: list[LabelledPair] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            passages, claim, entailed = row["passages"], row["claim"], row["entailed"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}:{number}: not a label row with passages, claim, entailed ({exc})"
            ) from exc
        if not (isinstance(passages, list) and passages and all(isinstance(p, str) for p in passages)):
            raise ValueError(f"{path}:{number}: passages must be a non-empty list of strings")
        if not isinstance(claim, str) or not claim.strip() or not isinstance(entailed, bool):
            raise ValueError(f"{path}:{number}: claim must be non-empty text and entailed true or false")
        pairs.append(
            LabelledPair(tuple(passages), claim, entailed, str(row.get("note", "")), str(row.get("set", "")))
        )
    return pairs


def validate_judge(
    judge: EntailmentJudge,
    pairs: Sequence[LabelledPair],
    on_progress: Callable[[int, int], None] | None = None,
) -> JudgeValidation:
    """The judge's verdicts on ``pairs`` against their labels; ``on_progress(done, total)`` after each."""
    return confusion(judge_pairs(judge, pairs, on_progress), [p.entailed for p in pairs])


def judge_pairs(
    judge: EntailmentJudge,
    pairs: Sequence[LabelledPair],
    on_progress: Callable[[int, int], None] | None = None,
) -> list[bool]:
    verdicts = []
    for done, pair in enumerate(pairs, start=1):
        verdicts.append(judge.entails(pair.passages, pair.claim))
        if on_progress:
            on_progress(done, len(pairs))
    return verdicts


def held_out(pairs: Sequence[LabelledPair], verdicts: Sequence[bool]) -> JudgeValidation | None:
    """Agreement on the held-out labels alone (written after the prompt was fixed), None if there are none."""
    chosen = [(v, p.entailed) for p, v in zip(pairs, verdicts, strict=True) if p.set == HELD_OUT]
    return confusion([v for v, _ in chosen], [g for _, g in chosen]) if chosen else None


def confusion(verdicts: Sequence[bool], labels: Sequence[bool]) -> JudgeValidation:
    """Confusion counts, agreement and kappa of ``verdicts`` against ``labels`` (positive = entailed)."""
    if len(verdicts) != len(labels):
        raise ValueError(f"{len(verdicts)} verdicts for {len(labels)} labels")
    pairs = list(zip(verdicts, labels, strict=True))
    tp = sum(v and g for v, g in pairs)
    fp = sum(v and not g for v, g in pairs)
    fn = sum(not v and g for v, g in pairs)
    tn = sum(not v and not g for v, g in pairs)
    return JudgeValidation.from_counts(tp, fp, fn, tn)


# --- CLI -----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the entailment judge against hand labels.")
    parser.add_argument("--profile", choices=LLM_PROFILES, default="default", help="local model profile")
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="JSON Lines label file")
    args = parser.parse_args(argv)

    pairs = load_labels(args.labels)
    settings = settings_from_env(llm="local", llm_profile=args.profile)
    started = time.perf_counter()
    with open_judge(settings) as judge:
        # The first call also loads the model; time the judgments separately.
        judge.entails(["The sky is blue."], "The sky is blue.")
        loaded = time.perf_counter()
        verdicts = judge_pairs(
            judge, pairs, lambda n, total: print(f"\r{n}/{total}", end="", file=sys.stderr, flush=True)
        )
        print(file=sys.stderr)
        seconds = time.perf_counter() - loaded
    result = confusion(verdicts, [p.entailed for p in pairs])
    held = held_out(pairs, verdicts)
    report = {
        "judge": judge.name,
        "profile": args.profile,
        "version": JUDGE_VERSION,
        **result.to_dict(),
        "held_out": held.to_dict() if held else None,
        "unparsed": judge.unparsed,
        "seconds_per_judgment": round(seconds / max(len(pairs), 1), 2),
        "load_seconds": round(loaded - started, 1),
    }
    print(json.dumps(report))
    for n, (pair, verdict) in enumerate(zip(pairs, verdicts, strict=True), start=1):
        if verdict != pair.entailed:
            label = "entailed" if pair.entailed else "not entailed"
            print(f"#{n} judged {'yes' if verdict else 'no'}, labelled {label} ({pair.note}): {pair.claim}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
