"""Benchmark / diagnosis: LoRA on a borrowed model, by how the training rows are laid out.

    python bench/lora.py diagnose --base gemma3-270m                       # zero-shot loss by context kind
    python bench/lora.py rows --base gemma3-270m --lr 5e-4 2e-4 --steps 8 --batch 4 --context 64

Text (as tests/models/test_lora.py): sentences (60-300 characters) of the first 40 articles of
../shared/data/masakhanews_lm/som.train.tsv, the first 200 for training; held out: the first 10 of the
first 5 articles of ../shared/data/masakhanews/som.dev.tsv (other articles, another split).

``diagnose`` loads the base once and reports: the held-out bpb zero-shot and through the peft-wrapped
model before any step (LoRA's B is zero: they must agree); the largest difference between train-mode
and eval-mode logits; the loop's cross-entropy on ``BOS + document`` against ``loglik``'s nats; and the
zero-shot loss of ``train lm``'s packed windows (lugha.train.data.PackedBatches) split by what the
context holds, against the BOS-first rows `train lora` trains on (DocumentBatches).

``rows`` trains the same adapter (same init, seed, text, settings) on packed windows and on
document rows for each learning rate, and prints the held-out bpb change from zero-shot.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))
# the short runs are the slow test's runs: the same sentences, from the test's own helper
from tests.models.test_lora import _sentences as sentences  # noqa: E402


def packed(base, texts):
    import numpy as np

    return np.concatenate([np.array([base.prefix, *base.encode(t)], dtype=np.uint32) for t in texts])


def diagnose(base, train_docs, held):
    import numpy as np
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model

    from lugha.train import data as D
    from lugha.train.loop import held_out_bpb

    bos, m = base.prefix, base.model
    zero = held_out_bpb(base, held)["bpb"]
    doc = held[0]
    ids = torch.tensor([[bos] + base.encode(doc)])
    with torch.no_grad():
        ce = float(F.cross_entropy(m(input_ids=ids[:, :-1]).logits.float()[0], ids[0, 1:], reduction="sum"))
    print(f"loop-style CE on BOS + held[0]: {ce:.8f}; loglik: {-base.loglik([doc])[0][0]:.8f}")
    ev = -sum(n for n, _ in base.loglik(train_docs[:60])) / sum(len(base.encode(d)) for d in train_docs[:60])
    print(f"evaluator on the first 60 training documents: {ev:.3f} nats/token")
    kinds = {"target is BOS": [], "no BOS in context": [], "after a BOS": []}
    pb = D.PackedBatches(packed(base, train_docs), 64, 4, 1, 0)
    with torch.no_grad():
        for s in range(6):
            mb = pb(s)[0]
            ce = F.cross_entropy(m(input_ids=mb["input_ids"]).logits.float().transpose(1, 2), mb["labels"],
                                 reduction="none")
            for r in range(ce.shape[0]):
                seen = False
                for j, t in enumerate(mb["input_ids"][r].tolist()):
                    seen = seen or t == bos
                    k = "target is BOS" if mb["labels"][r, j] == bos else "after a BOS" if seen else "no BOS in context"
                    kinds[k].append(float(ce[r, j]))
    allv = [x for v in kinds.values() for x in v]
    print(f"packed windows (6 steps x 4 x 64): {np.mean(allv):.3f} nats/token over {len(allv)} targets")
    for k, v in kinds.items():
        print(f"  {k}: {len(v)} targets, {np.mean(v):.3f} nats/token")
    rows = D.DocumentBatches([base.encode(d) for d in train_docs], bos, 64, 4, 1, 0, pad=base.pad)
    nats = n = 0.0
    with torch.no_grad():
        for s in range(6):
            mb = rows(s)[0]
            lg = m(input_ids=mb["input_ids"], attention_mask=mb["attention_mask"]).logits.float()
            nats += float(F.cross_entropy(lg.transpose(1, 2), mb["labels"], ignore_index=-100, reduction="sum"))
            n += int((mb["labels"] != -100).sum())
    print(f"document rows (6 steps x 4, BOS first): {nats / n:.3f} nats/token over {int(n)} targets")
    torch.manual_seed(0)
    pm = get_peft_model(m, LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM"))
    pm.eval()
    base.model = pm
    print(f"held-out bpb zero-shot {zero:.10f}; peft-wrapped before training {held_out_bpb(base, held)['bpb']:.10f}")
    with torch.no_grad():
        a = pm(input_ids=ids[:, :-1]).logits
        pm.train()
        b = pm(input_ids=ids[:, :-1]).logits
        pm.eval()
    print(f"train-mode vs eval-mode logits: max |difference| {float((a - b).abs().max())}")
    base.model = pm.unload()


def rows(base, train_docs, held, lrs, steps, batch, context, warmup):
    import torch
    from peft import LoraConfig, get_peft_model

    from lugha.train import data as D
    from lugha.train.loop import LoopConfig, held_out_bpb, train

    zero = held_out_bpb(base, held)["bpb"]
    torch.manual_seed(0)
    pm = get_peft_model(base.model, LoraConfig(r=8, lora_alpha=16, target_modules="all-linear",
                                               task_type="CAUSAL_LM"))
    init = {k: v.clone() for k, v in pm.state_dict().items() if "lora_" in k}
    base.model = pm
    enc = [base.encode(d) for d in train_docs]
    print(f"| lr | rows | held-out bpb (zero-shot {zero:.4f}) | change | train loss, first -> last step | scored tokens | seconds |")
    print("|---:|---|---:|---:|---|---:|---:|")
    for lr in lrs:
        for name, b in (("packed windows (train lm's)", D.PackedBatches(packed(base, train_docs), context, batch)),
                        ("BOS-first document rows", D.DocumentBatches(enc, base.prefix, context, batch, pad=base.pad))):
            pm.load_state_dict(init, strict=False)
            losses = []
            t = time.perf_counter()
            r = train(pm, b, LoopConfig(lr=lr, warmup_steps=warmup, weight_decay=0.0, max_steps=steps,
                                        eval_seconds=math.inf, checkpoint_seconds=math.inf), device="cpu",
                      on_log=lambda d: losses.append(d["loss"]))
            pm.eval()
            after = held_out_bpb(base, held)["bpb"]
            print(f"| {lr:g} | {name} | {after:.4f} | {after - zero:+.4f} | {losses[0]:.2f} -> {losses[-1]:.2f} | "
                  f"{r.tokens:,} | {time.perf_counter() - t:.0f} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["diagnose", "rows"])
    ap.add_argument("--base", default="gemma3-270m")
    ap.add_argument("--lr", type=float, nargs="+", default=[5e-4, 2e-4])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--context", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    from lugha.train.lora import load_base

    train_docs = sentences(DATA / "masakhanews_lm" / "som.train.tsv", 40)[:200]
    held = sentences(DATA / "masakhanews" / "som.dev.tsv", 5)[:10]
    t = time.perf_counter()
    base = load_base(a.base, device="cpu")
    print(f"{a.base} loaded in {time.perf_counter() - t:.0f} s", flush=True)
    if a.what == "diagnose":
        diagnose(base, train_docs, held)
    else:
        rows(base, train_docs, held, a.lr, a.steps, a.batch, a.context, a.warmup)
    print("load average", open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
