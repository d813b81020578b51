"""`lugha train lm`: a decoder-only model from scratch, saved as a standard Hugging Face folder.

The model is transformers' ``LlamaForCausalLM`` (RoPE, RMSNorm, SwiGLU) with a small ``LlamaConfig``;
the loop is ``lugha.train.loop``; the data is ``lugha.train.data``. ``train_lm`` returns the content
of ``DIR/training.json`` (steps, tokens, seconds, final validation loss and bits/byte, the effective
configuration, data hashes, signature) and writes, in DIR:

    config.json generation_config.json model.safetensors   the model (``hf:DIR``, AutoModelForCausalLM)
    tokenizer.json tokenizer_config.json special_tokens_map.json
    training.json MODEL_CARD.md
    data/        tokenizer, train.bin / val.bin (uint32 ids), val.jsonl, meta.json (counts, hashes)
    checkpoint/last.pt   model, optimizer, RNG states, data position, tokenizer hash (atomic)

The final ``val_bpb`` is computed on the saved folder exactly as ``lugha eval bpb --model hf:DIR``
computes it (each held-out document scored from BOS, rolling windows of the model's context).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from lugha.errors import LughaError



@dataclass(frozen=True)
class Preset:
    layers: int
    width: int
    heads: int
    ffn: int
    context: int
    tokenizer: str
    batch_size: int  # sequences per micro-batch
    grad_accum: int
    lr: float
    warmup_steps: int
    note: str


PRESETS = {
    # 4 layers x 256, 8k BPE, tied embeddings: ~5.5M parameters; 2,000-2,700 tokens/s on 2 EPYC cores.
    "tiny": Preset(4, 256, 4, 768, 256, "bpe:8000", 16, 1, 2e-3, 100,
                   "trains to a useful figure in 30-60 minutes on 2 CPU cores"),
    # Goldfish's small (39M) shape: GPT-2 4 x 512, 8 heads, context 512, 50k vocabulary; SwiGLU 1376 has
    # the parameters of GPT-2's 2048-wide GELU MLP.
    "small": Preset(4, 512, 8, 1376, 512, "bpe:50000", 16, 2, 1e-3, 200,
                    "Goldfish 39M shape: hours on CPU, minutes on a GPU"),
    # Goldfish's base (125M) shape: 12 x 768, 12 heads, context 512.
    "base": Preset(12, 768, 12, 2048, 512, "bpe:50000", 16, 4, 6e-4, 500,
                   "Goldfish 125M shape: for a GPU"),
}

SETTABLE = ("layers", "width", "heads", "ffn", "context", "batch_size", "grad_accum", "lr", "warmup_steps",
            "weight_decay", "grad_clip", "min_lr_ratio", "val_permille", "eval_seconds", "eval_windows",
            "checkpoint_seconds", "checkpoint_every", "eval_every")


def effective_config(preset: str, tokenizer: str | None, overrides: dict) -> dict:
    if preset not in PRESETS:
        raise LughaError(f"unknown --preset {preset!r}; use {', '.join(PRESETS)}")
    p = PRESETS[preset]
    cfg = {"preset": preset, "layers": p.layers, "width": p.width, "heads": p.heads, "ffn": p.ffn,
           "context": p.context, "tokenizer": tokenizer or p.tokenizer, "batch_size": p.batch_size,
           "grad_accum": p.grad_accum, "lr": p.lr, "warmup_steps": p.warmup_steps, "weight_decay": 0.1,
           "grad_clip": 1.0, "min_lr_ratio": 0.1, "val_permille": 50, "eval_seconds": 120.0,
           "eval_windows": 48, "checkpoint_seconds": 300.0, "checkpoint_every": 0, "eval_every": 0,
           "dtype": "float32", "tied_embeddings": True}
    for k, v in overrides.items():
        if k not in SETTABLE:
            raise LughaError(f"--set {k}: unknown setting; settable: {', '.join(SETTABLE)}")
        try:
            cfg[k] = type(cfg[k])(v)
        except ValueError:
            raise LughaError(f"--set {k}={v}: expected a {type(cfg[k]).__name__}") from None
    if cfg["width"] % cfg["heads"]:
        raise LughaError(f"width {cfg['width']} is not a multiple of heads {cfg['heads']}")
    return cfg


def build_model(cfg: dict, vocab_size: int, bos_id: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    conf = LlamaConfig(vocab_size=vocab_size, hidden_size=cfg["width"], intermediate_size=cfg["ffn"],
                       num_hidden_layers=cfg["layers"], num_attention_heads=cfg["heads"],
                       num_key_value_heads=cfg["heads"], max_position_embeddings=cfg["context"],
                       rms_norm_eps=1e-5, tie_word_embeddings=cfg["tied_embeddings"],
                       bos_token_id=bos_id, eos_token_id=bos_id, pad_token_id=bos_id)
    model = LlamaForCausalLM(conf)
    return model.to(getattr(torch, cfg["dtype"]))


def parse_sets(items: Sequence[str]) -> dict:
    out = {}
    for it in items:
        k, sep, v = it.partition("=")
        if not sep:
            raise LughaError(f"--set {it!r} is not KEY=VALUE")
        out[k.strip().replace("-", "_")] = v.strip()
    return out


def _dist_env() -> tuple[int, int, int]:
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def train_lm(texts: Sequence[str | Path], out: str | Path, tokenizer: str | None = None, preset: str = "tiny",
             minutes: float | None = None, steps: int | None = None, device: str = "cpu", resume: bool = False,
             eval_files: Sequence[str | Path] = (), seed: int = 0, overrides: dict | None = None,
             dtype: str = "float32", on_log: Callable[[dict], None] | None = None,
             on_status: Callable[[str], None] | None = None, compile: bool = False) -> dict:
    import torch
    import torch.distributed as dist

    from lugha.train import checkpoint as ckpt
    from lugha.train import data as D
    from lugha.train.loop import LoopConfig, train, window_evaluator

    if minutes is None and steps is None:
        raise LughaError("give --minutes M or --steps N")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise LughaError(f"--device {device!r}: use cpu or cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise LughaError("--device cuda: torch sees no CUDA device on this machine")
    out = Path(out)
    status = on_status or (lambda s: None)
    rank, world, local_rank = _dist_env()
    if compile and world > 1:
        raise LughaError("--compile is for one process; run --nproc > 1 without it")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    if world > 1 and dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
    if device == "cuda":
        device = f"cuda:{local_rank}"
        torch.cuda.set_device(device)
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        torch.set_num_threads(max(1, cores // int(os.environ.get("LOCAL_WORLD_SIZE", world))))

    last = out / "checkpoint" / "last.pt"
    state = None
    if resume:
        if not last.is_file():
            raise LughaError("--resume: no checkpoint to resume from", path=last)
        state = ckpt.load(last)
        cfg = state["config"]
        seed = state["seed"]
    else:
        cfg = effective_config(preset, tokenizer, overrides or {})
        cfg["dtype"] = dtype
        cfg["compile"] = compile
    torch.manual_seed(seed)

    t_prep = time.perf_counter()
    if rank == 0:
        status(f"reading and tokenizing ({cfg['tokenizer']})")
        prep = D.prepare(texts, cfg["tokenizer"], out / "data", cfg["val_permille"], eval_files)
    if world > 1:
        dist.barrier()
    if rank != 0:
        prep = D.load_prepared(out / "data")
    prep_seconds = time.perf_counter() - t_prep
    if state is not None and state["tokenizer_sha256"] != prep.tokenizer_sha256:
        raise LughaError("--resume: the checkpoint was trained with another tokenizer than data/tokenizer.json",
                         path=last)
    if len(prep.val) < 2:
        raise LughaError("no validation text: the corpus has too few documents to hold one out")

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(out / "data" / "tokenizer.json"))
    bos = tok.token_to_id(D.BOS)
    torch.manual_seed(seed)
    model = build_model(cfg, tok.get_vocab_size(), bos).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    batches = D.PackedBatches(prep.train, cfg["context"], cfg["batch_size"], cfg["grad_accum"], seed, rank, world)
    windows = D.val_windows(prep.val, cfg["context"], cfg["eval_windows"])
    tokens_per_byte = len(prep.val) / prep.val_bytes

    evaluate = window_evaluator(windows, tokens_per_byte, device)

    loop_cfg = LoopConfig(lr=cfg["lr"], min_lr_ratio=cfg["min_lr_ratio"], warmup_steps=cfg["warmup_steps"],
                          weight_decay=cfg["weight_decay"], grad_clip=cfg["grad_clip"], grad_accum=cfg["grad_accum"],
                          max_steps=steps, max_seconds=minutes * 60 if minutes is not None else None,
                          eval_every=cfg["eval_every"], eval_seconds=cfg["eval_seconds"],
                          checkpoint_every=cfg["checkpoint_every"], checkpoint_seconds=cfg["checkpoint_seconds"],
                          compile=cfg.get("compile", False))

    def save_checkpoint(s: dict) -> None:
        s.update(config=cfg, seed=seed, tokenizer_sha256=prep.tokenizer_sha256, data_position={"step": s["step"]})
        ckpt.save(last, s)

    status(f"training {n_params:,} parameters on {len(prep.train):,} tokens "
           f"({prep.counts['train']:,} documents; {prep.counts['validation']:,} held out"
           + (f"; {prep.counts['dropped_eval_overlap']:,} dropped as also in --eval" if eval_files else "") + ")")
    t_wall = time.perf_counter()
    cpu0 = time.process_time()
    try:
        result = train(model, batches, loop_cfg, evaluate=evaluate, resume=state, checkpoint=save_checkpoint,
                       on_log=on_log, device=device)
    except Exception as e:  # torch.compile's errors (no C++ compiler, an unsupported op) surface at step 1
        if not loop_cfg.compile or type(e).__module__.split(".")[0] != "torch":
            raise
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise LughaError(f"--compile failed ({type(e).__name__}: {first[:200]}); run without --compile") from e
    wall = time.perf_counter() - t_wall
    cpu = time.process_time() - cpu0
    if rank != 0:
        dist.barrier()
        dist.destroy_process_group()
        return {}
    status("saving the model and scoring the held-out text")
    save_hf(model, tok, out)
    info = finish(out, cfg, prep, result, n_params, seed, steps, minutes, device, eval_files,
                  wall, cpu, prep_seconds, world, batches)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return info


def save_hf(model, tok, out: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    from lugha.train.data import BOS

    model.save_pretrained(out, safe_serialization=True)
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=BOS, pad_token=BOS)
    hf_tok.save_pretrained(out)


def score_held_out(out: Path, texts: list[str], device: str) -> dict:
    """bpb of texts under the saved folder, through lugha's hf: backend (what `lugha eval bpb` runs)."""
    from lugha.models.transformer import TransformerModel

    from lugha.train.loop import held_out_bpb

    m = TransformerModel("hf", str(out), device="cuda" if device.startswith("cuda") else "cpu")
    return held_out_bpb(m, texts)


def finish(out: Path, cfg: dict, prep, result, n_params: int, seed: int, steps, minutes, device: str,
           eval_files, wall: float, cpu: float, prep_seconds: float, world: int, batches) -> dict:
    import resource

    import torch
    import transformers

    from lugha.train import loop as train_loop

    from lugha.records import sha256_file, write_json, write_text
    from lugha.signature import Signature
    from lugha.train.card import model_card
    from lugha.evaluate.texts import read_documents

    held = score_held_out(out, prep.val_texts, device)
    # nats per scored token: the stream holds BOS + tokens per document, and BOS is never a target
    val_loss = -held["nats"] / (int(len(prep.val)) - len(prep.val_texts))
    evals = {}
    for f in eval_files:
        docs = [d.text for d in read_documents(f)]
        evals[str(f)] = score_held_out(out, docs, device)
    sig = Signature.build(
        "train-lm", {**prep.inputs, **prep.eval_inputs},
        params={"arch": "llama", "preset": cfg["preset"], "tokenizer": cfg["tokenizer"],
                "tokenizer_sha256": prep.tokenizer_sha256, "config": cfg, "seed": seed, "steps": result.steps,
                "minutes": minutes, "device": device.split(":")[0], "processes": world, "dtype": cfg["dtype"],
                "eval_files": sorted(prep.eval_inputs)},
        backends={"transformers": transformers.__version__, "torch": torch.__version__},
        model=sha256_file(out / "model.safetensors")).to_dict()
    info = {
        "steps": result.steps, "tokens_seen": result.tokens, "seconds": result.seconds,
        "stopped_by": result.stopped_by, "epochs": batches.epochs(result.steps),
        "train_loss": result.train_loss,
        "val_loss": val_loss, "val_bpb": held["bpb"], "val_documents": held["documents"], "val_bytes": held["bytes"],
        "eval": evals, "evals": result.evals,
        "parameters": n_params, "config": cfg, "steps_requested": steps, "minutes_requested": minutes,
        "data": {"inputs": prep.inputs, "eval_inputs": prep.eval_inputs, "counts": prep.counts,
                 "tokenizer_sha256": prep.tokenizer_sha256},
        "compute": {"device": device, "processes": world, "torch_threads": torch.get_num_threads(),
                    "wall_seconds": wall, "cpu_seconds": cpu, "prepare_seconds": prep_seconds,
                    "tokens_per_second": result.tokens / result.seconds if result.seconds else None,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "loadavg": train_loop.loadavg()},
        "signature": sig,
    }
    write_text(out / "MODEL_CARD.md", model_card(info))
    write_json(out / "training.json", info)
    return info
