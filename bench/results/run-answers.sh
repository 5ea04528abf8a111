#!/bin/sh
# The full answer benchmarks behind the answer tables in docs/evaluation.md (local 1.5B model, default configuration).
# Hours on 2 cores: answers are cached in bench/results/answers as they come (committed), so running this again,
# here or on another machine with the same code, resumes where it stopped. A cache is keyed by the code that
# drafts the answers; each run verifies the cached drafts again with the current verifier.
#   sh bench/results/run-answers.sh            # from the repository root, ../shared/data beside it
set -e
DATA=${DATA:-../shared/data}
A=.venv/bin/assistant
$A eval multihop "$DATA/multihop-rag-500" --llm local --config default --answers default \
  --cache-dir bench/results/answers --out bench/results/multihop-500-local
$A eval realtimeqa "$DATA/realtimeqa-2023q1" --llm local --config default --answers default \
  --cache-dir bench/results/answers --out bench/results/realtimeqa-390-local
$A eval multihop "$DATA/multihop-rag-500" --llm local --config gold-evidence --answers gold-evidence \
  --limit 200 --seed 0 --cache-dir bench/results/answers --out bench/results/multihop-gold-200-local
# Citation quality by the local judge, over the answers above (cached verdicts in bench/results/answers/judge).
$A eval realtimeqa "$DATA/realtimeqa-2023q1" --llm local --config default --answers default --judge \
  --cache-dir bench/results/answers --out bench/results/realtimeqa-390-local
