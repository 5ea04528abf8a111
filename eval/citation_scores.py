"""Citation recall and precision (ALCE) of the cached LLM answers, by the local entailment judge, after
checking the judge on hand-labelled pairs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tqdm import tqdm

from core.answer import Answer, Passage, Sentence
from core.settings import Settings
from eval import metrics
from eval.answer_cache import AnswerCache
from eval.results import Agreement, CitationScores, JudgeCheck, RunResult, from_dict


def judge_citations(results: RunResult, base: Settings, cache_dir: Path) -> JudgeCheck | None:
    """ALCE citation recall/precision of every LLM-answered configuration, by the local entailment judge."""
    from eval.judge import (
        DEFAULT_LABELS,
        JUDGE_VERSION,
        confusion,
        held_out,
        judge_pairs,
        load_labels,
        open_judge,
    )

    configs = [c for c in results.configs if c.answers and c.answers.backend != "extractive"]
    if not configs:
        print("No LLM answers to judge (the judge scores LLM citations only).", file=sys.stderr)
        return None
    with ExitStack() as stack:
        judge = stack.enter_context(open_judge(base.with_overrides(llm="local", llm_profile="default")))
        folder = cache_dir / "judge"
        folder.mkdir(parents=True, exist_ok=True)
        labels = load_labels()
        labels_digest = hashlib.sha256(DEFAULT_LABELS.read_bytes()).hexdigest()[:8]
        validation_cache = folder / f"validation-v{JUDGE_VERSION}-{judge.name}-{labels_digest}.json"
        if validation_cache.exists():
            validation = from_dict(JudgeCheck, json.loads(validation_cache.read_text()))
        else:
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
        for config in configs:
            # Judgments are keyed by the answers they judge: new answers are never given old verdicts.
            assert config.answers is not None
            answer_cache = Path(config.answers.cache)
            answers = AnswerCache(answer_cache.parent, answer_cache.stem)
            cache = AnswerCache(folder, f"{answer_cache.stem}-judge-v{JUDGE_VERSION}-{judge.name}")
            judgments: list[metrics.SentenceJudgment] = []
            for row in tqdm(config.rows, desc=f"Judging {config.name}", file=sys.stderr, mininterval=2):
                record = cache.get(row.id)
                if record is None:
                    answer = _answer(answers.get(row.id))
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


def _answer(record: dict[str, Any] | None) -> Answer | None:
    """The cached answer as an ``Answer`` for the judge; None when there is nothing to judge."""
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
