"""lugha's training loop: one short function that trains any torch causal language model.

    from lugha.train.loop import LoopConfig, train
    result = train(model, batches, LoopConfig(lr=2e-3, max_steps=1000), evaluate=None)

``model``
    any ``torch.nn.Module`` whose ``forward(input_ids=..., attention_mask=...)`` returns logits, as a
    tensor or as an object with ``.logits``: every Hugging Face causal LM, a peft-wrapped one included.
    Only parameters with ``requires_grad`` are optimised (so a LoRA adapter trains, its base stays).
``batches``
    either a callable ``batches(step) -> list of micro-batches`` for optimizer step ``step`` (0-based;
    a pure function of the step makes ``resume`` exact), or any iterable of micro-batches, consumed
    ``grad_accum`` at a time. A micro-batch is a dict of tensors: ``input_ids`` (B, T) long, ``labels``
    (B, T) long holding the *target of each position* (already shifted; -100 = not scored), and
    optionally ``attention_mask`` (B, T). Under DDP each process passes its own share of the global
    micro-batch (shares may differ in size and padding).
``evaluate``
    optional ``evaluate(model) -> dict`` (e.g. ``{"val_loss": ..., "val_bpb": ...}``), called in eval
    mode without gradients every ``eval_every`` steps (and ``eval_seconds``) and at the end, on rank 0.

What one optimizer step does (nanoGPT's ``train.py``, with the loss normalised globally):

1. take ``grad_accum`` micro-batches; count the scored tokens in all of them and, under DDP, sum that
   count over every process: N is the *global* token count of the step;
2. for each micro-batch: loss = sum of token cross-entropies / N (times the world size, because DDP
   averages gradients over processes), backward (gradient sync only on the last micro-batch); so the
   gradient is the mean over the step's tokens however they are split across micro-batches and
   processes (a per-process mean with unequal token counts would weight tokens unequally);
3. clip the gradient norm (``grad_clip``), set the learning rate (linear warm-up over ``warmup_steps``,
   then cosine to ``min_lr_ratio * lr``), AdamW step (decoupled weight decay on matrices only).

Training ends after ``max_steps`` or when ``max_seconds`` of wall time are spent (evaluations and
checkpoints included; the final scoring by the caller is not) (then the cosine
runs over the time budget: progress = elapsed / max_seconds), whichever comes first; with a time
budget every process stops at the same step (rank 0's clock decides). On CUDA the forward runs under
bf16 autocast (``amp=True``); on CPU in the parameters' dtype.

``checkpoint(state)`` is called every ``checkpoint_seconds`` / ``checkpoint_every`` steps and at the
end with ``state_dict()``-style content (model, optimizer, step, tokens, elapsed, RNG states); pass the
same dict back as ``resume=`` to continue exactly where it stopped. ``on_log(dict)`` receives
step, tokens, tokens/s, train loss, lr, elapsed, ETA and the latest evaluation after every step.
"""

from __future__ import annotations

import math
import random
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F


@dataclass
class LoopConfig:
    lr: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    grad_accum: int = 1
    max_steps: int | None = None
    max_seconds: float | None = None
    eval_every: int = 0  # steps; 0 = only by eval_seconds and at the end
    eval_seconds: float = 120.0
    checkpoint_every: int = 0  # steps; 0 = only by checkpoint_seconds and at the end
    checkpoint_seconds: float = 300.0
    amp: bool = True  # bf16 autocast when the device is CUDA
    compile: bool = False  # torch.compile the training forward (one process; evaluation stays eager)
    extra: dict = field(default_factory=dict)  # free-form, recorded with the run

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d


@dataclass
class LoopResult:
    steps: int
    tokens: int
    seconds: float
    train_loss: float  # nats/token, mean over the last step
    evals: list[dict]
    stopped_by: str  # "steps" | "time"


def lr_at(cfg: LoopConfig, step: int, progress: float) -> float:
    """Linear warm-up for warmup_steps, then cosine from lr to min_lr_ratio*lr as progress goes 0 -> 1."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    p = min(max(progress, 0.0), 1.0)
    lo = cfg.lr * cfg.min_lr_ratio
    return lo + 0.5 * (cfg.lr - lo) * (1 + math.cos(math.pi * p))


def make_optimizer(model: torch.nn.Module, cfg: LoopConfig, device: str) -> torch.optim.AdamW:
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]  # matrices and embeddings; not norms or biases
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # fused kernel on CUDA; on CPU the multi-tensor (foreach) path: one op per step for all parameters
    # instead of a Python loop over them (~3% of a tiny step on 2 cores; the same arithmetic)
    kind = {"fused": True} if device.startswith("cuda") else {"foreach": True}
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, **kind)


def _world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def rng_state() -> dict:
    s = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        s["cuda"] = torch.cuda.get_rng_state_all()
    return s


def set_rng_state(s: dict) -> None:
    random.setstate(s["python"])
    np.random.set_state(s["numpy"])
    torch.set_rng_state(s["torch"])
    if "cuda" in s and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


def _logits(out: Any) -> torch.Tensor:
    return out if isinstance(out, torch.Tensor) else out.logits


def train(model: torch.nn.Module, batches: Callable[[int], list[dict]] | Iterable[dict], cfg: LoopConfig,
          evaluate: Callable[[torch.nn.Module], dict] | None = None, resume: dict | None = None,
          checkpoint: Callable[[dict], None] | None = None, on_log: Callable[[dict], None] | None = None,
          device: str | None = None) -> LoopResult:
    if cfg.max_steps is None and cfg.max_seconds is None:
        raise ValueError("give max_steps or max_seconds")
    rank, world = _world()
    device = device or str(next(model.parameters()).device)
    raw = model  # the module whose state_dict is saved (not the DDP wrapper)
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(model, device_ids=[torch.device(device).index] if device.startswith("cuda") else None)
    if cfg.compile:
        if world > 1:
            raise ValueError("compile is for one process: DDP's unequal last shards would recompile")
        # only the training step runs compiled: checkpoints save raw's state_dict (no _orig_mod. prefix)
        # and evaluation's other shapes run eager instead of triggering recompiles
        model = torch.compile(model)
    opt = make_optimizer(raw, cfg, device)
    step, tokens, elapsed, evals = 0, 0, 0.0, []
    if resume:
        raw.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optimizer"])
        step, tokens, elapsed = resume["step"], resume["tokens"], resume["elapsed"]
        evals = list(resume.get("evals", []))
        set_rng_state(resume["rng"])
    stream = None if callable(batches) else iter(batches)
    if stream is not None and step:  # an iterable has no random access: skip what was consumed
        for _ in range(step * cfg.grad_accum):
            next(stream)
    amp = (torch.autocast("cuda", dtype=torch.bfloat16) if cfg.amp and device.startswith("cuda")
           else nullcontext())

    def state() -> dict:
        return {"model": raw.state_dict(), "optimizer": opt.state_dict(), "step": step, "tokens": tokens,
                "elapsed": elapsed, "evals": evals, "rng": rng_state(), "loop_config": cfg.to_dict()}

    def run_eval() -> None:
        if evaluate is None or rank != 0:
            return
        raw.eval()
        with torch.no_grad(), amp:
            ev = evaluate(raw)
        raw.train()
        evals.append({"step": step, "tokens": tokens, "seconds": elapsed, **ev})

    def progress() -> float:
        p = [step / cfg.max_steps] if cfg.max_steps else []
        if cfg.max_seconds:
            p.append(elapsed / cfg.max_seconds)
        return max(p)

    raw.train()
    t_start = time.perf_counter() - elapsed  # the budget is wall time: evaluations and checkpoints count
    loss_value = float("nan")
    t_last_eval = t_last_ckpt = elapsed
    stopped_by = "steps"
    while True:
        if cfg.max_steps is not None and step >= cfg.max_steps:
            break
        if cfg.max_seconds is not None:
            over = torch.tensor([1.0 if elapsed >= cfg.max_seconds else 0.0])
            if world > 1:
                dist.broadcast(over, 0)  # rank 0's clock decides, so every process stops together
            if over.item():
                stopped_by = "time"
                break
        t0 = time.perf_counter()
        micro = batches(step) if stream is None else [next(stream) for _ in range(cfg.grad_accum)]
        n_local = sum(int((m["labels"] != -100).sum()) for m in micro)
        n = torch.tensor([n_local], dtype=torch.float64)
        if world > 1:
            dist.all_reduce(n)
        n_global = max(float(n.item()), 1.0)
        lr = lr_at(cfg, step, progress())
        for g in opt.param_groups:
            g["lr"] = lr
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)  # read once per step: no sync per micro-batch
        for i, m in enumerate(micro):
            ids = m["input_ids"].to(device, non_blocking=True)
            labels = m["labels"].to(device, non_blocking=True)
            kw = {"attention_mask": m["attention_mask"].to(device)} if "attention_mask" in m else {}
            sync = nullcontext() if (world == 1 or i == len(micro) - 1) else model.no_sync()
            with sync:
                with amp:
                    logits = _logits(model(input_ids=ids, **kw))
                if logits.dtype in (torch.bfloat16, torch.float16):
                    logits = logits.float()
                ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1),
                                     ignore_index=-100, reduction="sum")
                (ce * (world / n_global)).backward()
            loss_sum += ce.detach().double()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_([p for p in raw.parameters() if p.requires_grad], cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        step_tokens = int(n_global)
        tokens += step_tokens
        ls = loss_sum.reshape(1).cpu()
        if world > 1:
            dist.all_reduce(ls)
        loss_value = float(ls.item()) / n_global
        dt = time.perf_counter() - t0
        elapsed = time.perf_counter() - t_start
        if (cfg.eval_every and step % cfg.eval_every == 0) or elapsed - t_last_eval >= cfg.eval_seconds:
            run_eval()
            elapsed = time.perf_counter() - t_start
            t_last_eval = elapsed
        if checkpoint and rank == 0 and ((cfg.checkpoint_every and step % cfg.checkpoint_every == 0)
                                         or elapsed - t_last_ckpt >= cfg.checkpoint_seconds):
            checkpoint(state())
            t_last_ckpt = elapsed
        if on_log and rank == 0:
            p = progress()
            on_log({"step": step, "tokens": tokens, "tokens_per_s": step_tokens / dt if dt else 0.0,
                    "loss": loss_value, "lr": lr, "elapsed": elapsed, "progress": p,
                    "eta": elapsed * (1 - p) / p if p > 0 else None, "eval": evals[-1] if evals else None})
    if not evals or evals[-1]["step"] != step:
        run_eval()
    if checkpoint and rank == 0:
        checkpoint(state())
    return LoopResult(step, tokens, elapsed, loss_value, evals, stopped_by)


def window_evaluator(windows, tokens_per_byte: float, device: str):
    """`evaluate(model)` for the loop: mean next-token loss (nats) over fixed validation windows, and the
    bits/byte it implies at the validation text's tokens per byte (an estimate during training; the
    final figure is scored through lugha's hf: backend)."""

    def evaluate(m) -> dict:
        nats = n = 0.0
        for w in windows:
            x = torch.from_numpy(w.astype("int64"))[None].to(device)
            logits = m(input_ids=x[:, :-1]).logits.float()
            nats += float(torch.nn.functional.cross_entropy(logits[0], x[0, 1:], reduction="sum"))
            n += x.shape[1] - 1
        loss = nats / n
        return {"val_loss": loss, "val_bpb_estimate": loss * tokens_per_byte / math.log(2)}

    return evaluate


def held_out_bpb(model, texts: list[str], context: int | None = None) -> dict:
    """bpb of texts under a lugha LanguageModel (what `lugha eval bpb` computes)."""
    scores = model.loglik(texts, context=context) if context is not None else model.loglik(texts)
    nats = sum(s[0] for s in scores)
    nbytes = sum(s[1] for s in scores)
    return {"documents": len(texts), "bytes": nbytes, "nats": nats,
            "bpb": -nats / nbytes / math.log(2) if nbytes else None}


def loadavg() -> list[float] | None:
    """The 1/5/15-minute load average (Linux), recorded beside training speed: a busy machine trains slower."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None
