"""Benchmark: training a local LM with `lugha train lm` vs HF `Trainer` vs `litgpt pretrain`, and
quality against budget (held-out bits/byte of `--preset tiny` after M minutes next to the 6-gram).

    python bench/train.py throughput --steps 30             # tokens/s per core, same shape/text/batch
    python bench/train.py quality --minutes 10 30           # val bpb after 10 and 30 minutes, 6-gram
    python bench/train.py quality --lang orm --minutes 10   # the same on Oromo (som, orm, hau, ...)
    python bench/train.py nanogpt                           # nanoGPT's CPU recipe as a sanity row

Text: MasakhaNEWS Somali articles (../shared/data/masakhanews_lm/som.train.tsv for training,
../shared/data/masakhanews/som.dev.tsv held out), the `text` column, one article per line.

Throughput: the `tiny` shape (4 layers x 256, 4 heads, SwiGLU 768, context 256, the 8k BPE lugha
trains on the text, batch 16 x 256, AdamW, fp32), the same packed token windows for all three; each
system runs in its own process for --steps optimizer steps and the first 5 are not timed. HF Trainer
trains the same `LlamaForCausalLM`; litgpt trains its own GPT with the Llama options (RMSNorm,
LLaMAMLP, RoPE, tied embeddings) through `litgpt.pretrain.setup` with an in-memory DataModule (its
TextFiles module needs litdata). Tokens/s per core = tokens/s / the cores torch uses (2 here). litgpt's
pretrain always runs torch.compile, so lugha (`--compile`) and HF (`torch_compile=True`) are timed
eager and compiled.

nanoGPT sanity row: its README's CPU recipe (4 x 128, context 64, batch 12, 2,000 iterations) through
`lugha train lm --tokenizer bytes`, on the news text (Shakespeare is not available offline).

Set-up for litgpt (kept out of lugha's dependencies, and not allowed to change torch):
    python -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install --no-deps litgpt lightning \
        lightning-utilities torchmetrics jsonargparse docstring-parser typeshed-client
    # run litgpt with the project venv's site-packages on PYTHONPATH (torch stays 2.13.0):
    LITGPT_PYTHON=/tmp/benchvenv/bin/python python bench/train.py throughput
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
WORK = Path(os.environ.get("LUGHA_BENCH_WORK", "/tmp/lugha-bench-train"))
SHAPE = dict(layers=4, width=256, heads=4, ffn=768, context=256, batch=16, vocab="bpe:8000", lr=2e-3)
WARM = 5


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def texts(lang: str = "som") -> tuple[Path, Path]:
    """LANG.train.txt (masakhanews_lm's file for the language: train, or test where it has no train
    split) and LANG.dev.txt (masakhanews' dev split), one article per line."""
    WORK.mkdir(parents=True, exist_ok=True)
    csv.field_size_limit(1 << 30)
    lm = sorted((DATA / "masakhanews_lm").glob(f"{lang}.*.tsv"))
    if not lm:
        sys.exit(f"no masakhanews_lm text for {lang!r} under {DATA / 'masakhanews_lm'}")
    out = []
    for src, name in ((lm[-1], f"{lang}.train.txt"), (DATA / "masakhanews" / f"{lang}.dev.tsv", f"{lang}.dev.txt")):
        dst = WORK / name
        if not dst.exists():
            with open(src, newline="", encoding="utf-8") as f:
                rows = [" ".join(r["text"].split()) for r in csv.DictReader(f, delimiter="\t")]
            dst.write_text("".join(t + "\n" for t in rows if t), encoding="utf-8")
        out.append(dst)
    return out[0], out[1]


def prepared():
    """The tokenizer and packed uint32 ids lugha trains on (shared by all three systems)."""
    from lugha.train.data import prepare

    train, _ = texts()
    return prepare([train], SHAPE["vocab"], WORK / "data")


# ---- one system per process -------------------------------------------------------------------

def run_lugha(steps: int, compile: bool = False) -> list[float]:
    import torch

    from lugha.train.data import BOS, PackedBatches
    from lugha.train.lm import build_model, effective_config
    from lugha.train.loop import LoopConfig, train
    from tokenizers import Tokenizer

    torch.set_num_threads(2)
    p = prepared()
    tok = Tokenizer.from_file(str(WORK / "data" / "tokenizer.json"))
    cfg = effective_config("tiny", None, {})
    model = build_model(cfg, tok.get_vocab_size(), tok.token_to_id(BOS))
    times: list[float] = []
    train(model, PackedBatches(p.train, SHAPE["context"], SHAPE["batch"]),
          LoopConfig(lr=SHAPE["lr"], warmup_steps=WARM, max_steps=steps, eval_seconds=1e9, checkpoint_seconds=1e9,
                     compile=compile),
          on_log=lambda log: times.append(SHAPE["batch"] * SHAPE["context"] / log["tokens_per_s"]))
    return times


def run_hf(steps: int, compile: bool = False) -> list[float]:
    import torch
    from tokenizers import Tokenizer
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from lugha.train.data import BOS, PackedBatches
    from lugha.train.lm import build_model, effective_config

    torch.set_num_threads(2)
    p = prepared()
    tok = Tokenizer.from_file(str(WORK / "data" / "tokenizer.json"))
    model = build_model(effective_config("tiny", None, {}), tok.get_vocab_size(), tok.token_to_id(BOS))
    batches = PackedBatches(p.train, SHAPE["context"], SHAPE["batch"])

    class Windows(torch.utils.data.Dataset):
        def __len__(self):
            return steps * SHAPE["batch"]

        def __getitem__(self, i):
            b = batches(i // SHAPE["batch"])[0]
            ids = torch.cat([b["input_ids"][i % SHAPE["batch"]], b["labels"][i % SHAPE["batch"], -1:]])
            return {"input_ids": ids[:-1], "labels": ids[:-1]}  # HF shifts the labels itself

    times: list[float] = []

    class Clock(TrainerCallback):
        t = None

        def on_step_begin(self, args, state, control, **kw):
            self.t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            times.append(time.perf_counter() - self.t)

    args = TrainingArguments(output_dir=str(WORK / "hf-out"), per_device_train_batch_size=SHAPE["batch"],
                             max_steps=steps, learning_rate=SHAPE["lr"], warmup_steps=WARM,
                             lr_scheduler_type="cosine", weight_decay=0.1, max_grad_norm=1.0,
                             adam_beta2=0.95, logging_steps=10**9, save_strategy="no", report_to=[],
                             use_cpu=True, dataloader_num_workers=0, disable_tqdm=True, torch_compile=compile)
    Trainer(model=model, args=args, train_dataset=Windows(), callbacks=[Clock()]).train()
    return times


class LitWindows:
    """Packed windows of context + 1 tokens for litgpt (it shifts them itself); a torch Dataset by
    duck typing, defined at module level because litgpt pickles its data loader into the checkpoint."""

    def __init__(self, batches, steps: int):
        self.batches, self.steps = batches, steps

    def __len__(self):
        return (self.steps + 1) * SHAPE["batch"]

    def __getitem__(self, i):
        import torch

        b = self.batches(i // SHAPE["batch"])[0]
        return torch.cat([b["input_ids"][i % SHAPE["batch"]], b["labels"][i % SHAPE["batch"], -1:]])


def litgpt_data_module(base):
    global _LitData
    if "_LitData" not in globals():
        import torch

        class _LitData(base):
            def __init__(self, windows):
                self.windows = windows

            def connect(self, tokenizer=None, batch_size=1, max_seq_length=None, **kw):
                pass

            def train_dataloader(self):
                return torch.utils.data.DataLoader(self.windows, batch_size=SHAPE["batch"], shuffle=False)

            def val_dataloader(self):
                return torch.utils.data.DataLoader(self.windows, batch_size=SHAPE["batch"])

        _LitData.__qualname__ = "_LitData"
        globals()["_LitData"] = _LitData
    return _LitData


def run_litgpt(steps: int) -> list[float]:
    """Runs in the litgpt venv; prints litgpt's own per-iteration times."""
    import torch
    from litgpt import Config
    from litgpt.args import EvalArgs, TrainArgs
    from litgpt.data import DataModule
    from litgpt.pretrain import setup

    from lugha.train.data import PackedBatches

    torch.set_num_threads(2)
    import litgpt.pretrain

    # at the end litgpt saves its hyperparameters by re-parsing sys.argv as its own CLI (jsonargparse),
    # which this script's command line is not: skip that bookkeeping, the timed steps are done by then
    litgpt.pretrain.save_hyperparameters = lambda *a, **k: None
    p = prepared()
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(WORK / "data" / "tokenizer.json")).get_vocab_size()
    batches = PackedBatches(p.train, SHAPE["context"], SHAPE["batch"])
    Data = litgpt_data_module(DataModule)  # module-level classes: litgpt pickles the loader in its checkpoint

    cfg = Config(name="lugha-tiny", block_size=SHAPE["context"], vocab_size=vocab, padded_vocab_size=vocab,
                 n_layer=SHAPE["layers"], n_head=SHAPE["heads"], n_embd=SHAPE["width"], n_query_groups=SHAPE["heads"],
                 rotary_percentage=1.0, parallel_residual=False, bias=False, norm_class_name="RMSNorm",
                 mlp_class_name="LLaMAMLP", intermediate_size=SHAPE["ffn"])
    setup("lugha-tiny", model_config=cfg, out_dir=WORK / "litgpt-out", precision="32-true", data=Data(LitWindows(batches, steps)),
          train=TrainArgs(save_interval=None, log_interval=1, global_batch_size=SHAPE["batch"],
                          micro_batch_size=SHAPE["batch"], max_tokens=steps * SHAPE["batch"] * SHAPE["context"],
                          max_norm=1.0, min_lr=SHAPE["lr"] / 10, lr_warmup_steps=WARM, tie_embeddings=True),
          eval=EvalArgs(interval=10**9, max_iters=1, initial_validation=False, final_validation=False),
          optimizer={"class_path": "torch.optim.AdamW", "init_args": {"lr": SHAPE["lr"], "weight_decay": 0.1,
                                                                        "betas": [0.9, 0.95]}},
          devices=1, logger_name="csv", seed=0)
    return []


def child(system: str, steps: int) -> None:
    import resource

    t0 = time.perf_counter()
    runs = {"lugha": run_lugha, "lugha --compile": lambda n: run_lugha(n, compile=True), "hf": run_hf,
            "hf torch_compile": lambda n: run_hf(n, compile=True), "litgpt": run_litgpt}
    times = runs[system](steps)
    print(json.dumps({"times": times, "wall": time.perf_counter() - t0,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def throughput(steps: int) -> None:
    prepared()  # tokenize once, before any clock runs
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rows = []
    # litgpt's pretrain always runs torch.compile; lugha and HF are timed both eager and compiled
    for system in ("lugha", "lugha --compile", "hf", "hf torch_compile", "litgpt"):
        py = sys.executable
        if system == "litgpt":
            py = os.environ.get("LITGPT_PYTHON")
            if not py:
                print("litgpt: skipped (set LITGPT_PYTHON, see the docstring)")
                continue
            site = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
            env = {**env, "PYTHONPATH": env["PYTHONPATH"] + os.pathsep + str(site)}
        before = loadavg()
        r = subprocess.run([py, __file__, "_child", system, str(steps)], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{system}: failed\n{r.stderr[-3000:]}")
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        times = res["times"]
        if system == "litgpt":
            times = [float(m) / 1000 for m in re.findall(r"iter time: ([\d.]+) ms", r.stdout + r.stderr)]
        timed = times[WARM:]
        tps = len(timed) * SHAPE["batch"] * SHAPE["context"] / sum(timed)
        rows.append((system, len(timed), tps, tps / 2, res["rss_mb"], before, loadavg()))
        print(f"{system}: {tps:,.0f} tokens/s over {len(timed)} steps, load {before} -> {rows[-1][-1]}", flush=True)
    print(f"\nshape {SHAPE}, {steps} steps ({WARM} untimed)\n")
    print("| system | timed steps | tokens/s | tokens/s per core | peak RSS MB | load before | load after |")
    print("|---|---:|---:|---:|---:|---|---|")
    for s, n, tps, tpc, rss, a, b in rows:
        print(f"| {s} | {n} | {tps:,.0f} | {tpc:,.0f} | {rss:,.0f} | {a} | {b} |")


def quality(minutes: list[float], lang: str = "som") -> None:
    train, dev = texts(lang)
    lugha = [sys.executable, "-m", "lugha.cli"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rows = [ngram_row(train, dev, lugha, env)]
    for m in minutes:
        out = WORK / f"{lang}-tiny-{m:g}min"
        before = loadavg()
        subprocess.run([*lugha, "train", "lm", str(train), "--out", str(out), "--preset", "tiny", "--minutes",
                        str(m), "--eval", str(dev)], env=env, check=True)
        info = json.loads((out / "training.json").read_text())
        rows.append((f"lugha tiny, {m:g} min", info["eval"][str(dev)]["bpb"], f"{info['val_bpb']:.3f}",
                     f"{info['tokens_seen']:,}", f"{info['compute']['tokens_per_second']:,.0f} tok/s",
                     f"{before} -> {loadavg()}"))
    print(f"| model | {lang}.dev bpb | val split bpb | tokens seen | speed | load average |")
    print("|---|---:|---:|---:|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.3f} | {r[2]} | {r[3]} | {r[4]} | {r[5]} |")


def ngram_row(train: Path, dev: Path, lugha: list[str], env: dict) -> tuple:
    ng = WORK / f"{train.name.split('.')[0]}6.lm"
    t0 = time.perf_counter()
    subprocess.run([*lugha, "train", "ngram", str(train), "--order", "6", "--out", str(ng)], env=env, check=True)
    subprocess.run([*lugha, "eval", "bpb", "--model", f"ngram:{ng}", str(dev), "--json", str(ng) + ".eval.json"],
                   env=env, check=True, capture_output=True)
    bpb = json.loads(Path(str(ng) + ".eval.json").read_text())["files"][0]["bpb"]
    return ("6-gram (KN)", bpb, "", "", f"{time.perf_counter() - t0:.0f} s", loadavg())


# nanoGPT's README CPU recipe: 4 layers x 128, 4 heads, context 64, batch 12, 2,000 iterations, lr 1e-3
# (its shakespeare_char config: warm-up 100, decay to 1e-4 at 2,000, weight decay 0.1, clip 1.0), no
# dropout. SwiGLU 344 has the parameters of its 512-wide GELU MLP. Characters -> lugha's byte tokens.
NANOGPT = dict(layers=4, width=128, heads=4, ffn=344, context=64, batch_size=12, lr=1e-3, warmup_steps=100,
               min_lr_ratio=0.1, weight_decay=0.1, grad_clip=1.0)


def nanogpt(lang: str = "som", steps: int = 2000) -> None:
    """The recipe on LANG's news as bytes (no Shakespeare offline): a sanity row, not a race."""
    train, dev = texts(lang)
    lugha = [sys.executable, "-m", "lugha.cli"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = WORK / f"{lang}-nanogpt-recipe"
    sets = [a for k, v in NANOGPT.items() for a in ("--set", f"{k}={v}")]
    before, t0 = loadavg(), time.perf_counter()
    subprocess.run([*lugha, "train", "lm", str(train), "--out", str(out), "--tokenizer", "bytes", "--steps",
                    str(steps), *sets, "--eval", str(dev)], env=env, check=True)
    wall = time.perf_counter() - t0
    info = json.loads((out / "training.json").read_text())
    ng = ngram_row(train, dev, lugha, env)
    print(f"| run | steps | val loss (nats/byte) | val split bpb | {lang}.dev bpb | wall | load average |")
    print("|---|---:|---:|---:|---:|---:|---|")
    print(f"| lugha, nanoGPT recipe, bytes | {info['steps']} | {info['val_loss']:.3f} | {info['val_bpb']:.3f} | "
          f"{info['eval'][str(dev)]['bpb']:.3f} | {wall:.0f} s | {before} -> {loadavg()} |")
    print(f"| 6-gram (KN), same text | | | | {ng[1]:.3f} | {ng[4]} | {ng[5]} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--steps", type=int, default=30)
    q = sub.add_parser("quality")
    q.add_argument("--minutes", type=float, nargs="+", default=[10])
    q.add_argument("--lang", default="som")
    n = sub.add_parser("nanogpt")
    n.add_argument("--lang", default="som")
    n.add_argument("--steps", type=int, default=2000)
    a = ap.parse_args()
    if a.cmd == "throughput":
        throughput(a.steps)
    elif a.cmd == "quality":
        quality(a.minutes, a.lang)
    else:
        nanogpt(a.lang, a.steps)


if __name__ == "__main__":
    main()
