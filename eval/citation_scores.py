"""Citation recall and precision (ALCE) of the cached LLM answers, by the trained claim checker (or the local
1.5B entailment judge), after checking the judge on hand-labelled pairs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.checking import build_checker
from core.answer import Answer, Passage, Sentence
from core.settings import Settings
from eval import metrics
from eval.answer_cache import AnswerCache
from eval.checker_judge import CheckerJudge, checker_agreement
from eval.hand_labels import load_labelled_claims
from eval.judge import (
    DEFAULT_LABELS,
    JUDGE_VERSION,
    EntailmentJudge,
    confusion,
    held_out,
    judge_pairs,
    load_labels,
    open_judge,
)
from eval.results import Agreement, CitationScores, JudgeCheck, RunResult, from_dict


def judge_citations(
    results: RunResult, base: Settings, cache_dir: Path, kind: str = "checker"
) -> JudgeCheck | None:
    """ALCE citation recall/precision of every LLM-answered configuration, by the trained claim checker
    (``kind="checker"``) or the local 1.5B entailment judge (``"llm"``); returns the judge's agreement with
    hand labels (the checker's: with the verifier's, the held-out ones apart)."""
    configs = [c for c in results.configs if c.answers and c.answers.backend != "extractive"]
    if not configs:
        print("No LLM answers to judge (the judge scores LLM citations only).", file=sys.stderr)
        return None
    folder = cache_dir / "judge"
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        judge: CheckerJudge | EntailmentJudge
        if kind == "llm":
            judge = stack.enter_context(open_judge(base.with_overrides(llm="local", llm_profile="default")))
            validation = _llm_validation(judge, folder)
        elif kind == "checker":
            checker = build_checker(base.with_overrides(claim_checker="on"))
            judge = CheckerJudge(checker)
            labelled = load_labelled_claims()
            with tqdm(total=1, desc="Checker against the hand labels", file=sys.stderr) as bar:
                validation = checker_agreement(checker, labelled)
                bar.update(1)
        else:
            raise ValueError(f"Unknown judge {kind!r}: choose checker or llm.")
        for config in configs:
            # Judgments are keyed by the answers they judge: new answers are never given old verdicts.
            assert config.answers is not None
            answer_cache = Path(config.answers.cache)
            answers = AnswerCache(answer_cache.parent, answer_cache.stem)
            cache = AnswerCache(folder, f"{answer_cache.stem}-judge-v{judge.version}-{judge.name}")
            judgments: list[metrics.SentenceJudgment] = []
            for row in tqdm(config.rows, desc=f"Judging {config.name}", file=sys.stderr, mininterval=2):
                record = cache.get(row.id)
                if record is None:
                    answer = cached_answer(answers.get(row.id))
                    found = judge.judge_answer(answer) if answer else []
                    record = {"judgments": [j.__dict__ for j in found]}
                    cache.put(row.id, record)
                judgments += [metrics.SentenceJudgment(**_tuples(j)) for j in record["judgments"]]
            config.answers.citation = CitationScores(
                recall=metrics.citation_recall(judgments),
                precision=metrics.citation_precision(judgments),
                uncited=metrics.uncited_share(judgments),
                sentences=len(judgments),
                judge=judge.name,
            )
    return validation


def _llm_validation(judge: EntailmentJudge, folder: Path) -> JudgeCheck:
    """The LLM judge against its own hand labels (``eval/judge_labels.jsonl``), cached by their digest."""
    labels = load_labels()
    labels_digest = hashlib.sha256(DEFAULT_LABELS.read_bytes()).hexdigest()[:8]
    validation_cache = folder / f"validation-v{JUDGE_VERSION}-{judge.name}-{labels_digest}.json"
    if validation_cache.exists():
        return from_dict(JudgeCheck, json.loads(validation_cache.read_text()))
    with tqdm(total=len(labels), desc="Validating judge", file=sys.stderr) as bar:
        verdicts = judge_pairs(judge, labels, on_progress=lambda i, n: bar.update(1))
    v = confusion(verdicts, [p.entailed for p in labels])
    held = held_out(labels, verdicts)
    validation = JudgeCheck(
        **v.to_dict(),  # type: ignore[arg-type]
        model=judge.name,
        held_out=from_dict(Agreement, held.to_dict()) if held else None,
    )
    validation_cache.write_text(json.dumps(dataclasses.asdict(validation)))
    return validation


def cached_answer(record: dict[str, Any] | None) -> Answer | None:
    """A cached answer record as an ``Answer`` for a judge; None when there is nothing to judge (no record, or
    declined)."""
    a = record["answer"] if record else None
    if a is None or a["declined"]:
        return None
    return Answer(
        text=a["answer"],
        declined=False,
        passages=[Passage(**p) for p in a["passages"]],
        sentences=[
            Sentence(s["text"], tuple(s["cites"]), s["supported"], s["support"]) for s in a["sentences"]
        ],
        question=a["question"],
    )


def _tuples(j: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in j.items()}
