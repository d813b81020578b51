"""`lugha train lora`: adapt a borrowed model to the language with LoRA (peft), on CPU.

    info = train_lora("smollm2-135m", ["som.train.tsv"], "som-lora", steps=200, eval_files=["som.dev.tsv"])

1. the base (`hf:`, `gguf:` or an embedded model such as `gemma3-270m`) loads through lugha's model
   backends; its held-out bits per byte are measured first (zero-shot);
2. the text is split as `lugha train lm` splits it (lugha.train.data: a validation split by document
   hash; documents also in an ``--eval`` file are dropped from training and counted), each document
   encoded with the base's tokenizer and cut into rows that each start with BOS, as lugha's scoring
   reads a document (``DocumentBatches``; not ``train lm``'s packed windows, which start anywhere: a
   borrowed model such as Gemma 3 is far off its distribution without BOS at position 0);
3. peft injects rank-``r`` adapters into every linear layer (``target_modules="all-linear"``) and
   lugha's own loop (lugha.train.loop) trains only them;
4. DIR gets peft's adapter files, ``lugha_lora.json`` (the base by embedded name or by a path
   *relative* to DIR, with its SHA-256: peft itself writes the base's absolute path), and
   ``training.json``; ``--merge`` adds ``DIR/merged``, a full Hugging Face model (`hf:DIR/merged`).

A model loaded from GGUF cannot be written by ``save_pretrained`` (transformers keeps the GGUF
quantization config on it): the merged model is rebuilt from its config without that, the merged
state dict loaded into it, and that saved.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable, Sequence

from lugha.errors import LughaError


DEFAULTS = {
    "rank": 8, "alpha": 16, "dropout": 0.0, "context": 256, "batch_size": 4, "grad_accum": 1,
    "lr": 5e-4, "warmup_steps": 10, "min_lr_ratio": 0.1, "weight_decay": 0.0, "grad_clip": 1.0,
    "val_permille": 50, "eval_windows": 8, "eval_seconds": 120.0,
}


def check_base_spec(spec: str):
    from lugha.models.base import parse_spec
    from lugha.models.embedded import EMBEDDED

    s = parse_spec(spec)  # an unknown spec is a one-line error listing what exists
    if s.backend not in ("hf", "gguf", "embedded"):
        raise LughaError(f"--base must be an hf:, gguf: or embedded model ({', '.join(EMBEDDED)}), got {spec!r}")
    return s


def load_base(spec: str, device: str | None = None):
    from lugha.models.base import load_model
    from lugha.models.lora import check_vocabulary

    s = check_base_spec(spec)
    base = load_model(spec, device=device)
    check_vocabulary(base.tokenizer, base.model, where=s.path if s.backend != "embedded" else None)
    return base


def encode_documents(base, texts: list[str]) -> list[list[int]]:
    """Each document's token ids under the base's tokenizer, without special tokens (lugha's scoring
    puts the base's BOS, ``base.prefix``, in front)."""
    return [base.encode(t) for t in texts]


def document_batches(base, docs: list[list[int]], cfg: dict, seed: int):
    """Training rows as lugha's scoring reads a document: BOS first (lugha.train.data.DocumentBatches)."""
    from lugha.train import data as D

    return D.DocumentBatches(docs, base.prefix, cfg["context"], cfg["batch_size"], cfg["grad_accum"], seed,
                             pad=base.pad)


def save_merged(peft_model, tokenizer, out: Path) -> Path:
    """merge_and_unload, then rebuild a clean model from the config (no GGUF quantization config),
    load the merged weights into it and save it as a standard HF folder."""
    import torch
    from transformers import AutoModelForCausalLM

    merged = peft_model.merge_and_unload()
    cfg = merged.config
    for attr in ("quantization_config", "_pre_quantization_dtype"):
        if hasattr(cfg, attr):
            delattr(cfg, attr)
    cfg.torch_dtype = torch.float32
    clean = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    missing, unexpected = clean.load_state_dict(merged.state_dict(), strict=False)
    tied = set(getattr(clean, "_tied_weights_keys", None) or [])
    if isinstance(getattr(clean, "_tied_weights_keys", None), dict):
        tied = set(clean._tied_weights_keys)
    if unexpected or [k for k in missing if k not in tied]:
        raise RuntimeError(f"merged state dict does not fit the rebuilt model: missing {missing}, unexpected {unexpected}")
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    clean.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if out.exists():
        import shutil

        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


def _write_adapter(peft_model, out: Path, base_rec: dict, meta: dict) -> None:
    from lugha.models.lora import FORMAT, META
    from lugha.report import write_json

    peft_model.save_pretrained(str(out), safe_serialization=True)
    cfg_path = out / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    # peft writes the base's absolute path; name it as lugha_lora.json does instead
    cfg["base_model_name_or_path"] = base_rec.get("embedded") or base_rec.get("hub") or base_rec["path"]
    write_json(cfg_path, cfg)
    write_json(out / META, {"format": FORMAT, "base": base_rec, **meta})


def train_lora(base_spec: str, texts: Sequence[str | Path], out: str | Path, rank: int = 8,
               minutes: float | None = None, steps: int | None = None, merge: bool = False,
               eval_files: Sequence[str | Path] = (), seed: int = 0, device: str | None = None,
               overrides: dict | None = None, on_log: Callable[[dict], None] | None = None,
               on_status: Callable[[str], None] | None = None) -> dict:
    import resource

    import torch
    import transformers

    from lugha.train import loop as train_loop

    import peft
    from lugha.evaluate.texts import read_documents
    from lugha.models.lora import base_record
    from lugha.records import expand_inputs
    from lugha.report import write_json
    from lugha.signature import Signature
    from lugha.train import data as D
    from lugha.train.loop import LoopConfig, held_out_bpb, train, window_evaluator

    if minutes is None and steps is None:
        raise LughaError("give --minutes M or --steps N")
    cfg = {**DEFAULTS, "rank": rank, "alpha": 2 * rank}
    for k, v in (overrides or {}).items():
        if k not in DEFAULTS or k == "rank":
            raise LughaError(f"--set {k}: unknown setting; settable: {', '.join(x for x in DEFAULTS if x != 'rank')}")
        try:
            cfg[k] = type(DEFAULTS[k])(v)
        except ValueError:
            raise LughaError(f"--set {k}={v}: expected a {type(DEFAULTS[k]).__name__}") from None
    check_base_spec(base_spec)  # before reading text or loading anything
    status = on_status or (lambda s: None)
    out = Path(out)
    files = expand_inputs(list(texts))
    eval_paths = expand_inputs(list(eval_files)) if eval_files else []
    eval_docs = {str(f): [d.text for d in read_documents(f)] for f in eval_paths}
    for f, docs in eval_docs.items():
        if not docs:
            raise LughaError("--eval file has no text (it is empty or only blank lines)", path=f)

    t_prep = time.perf_counter()
    split = D.split_documents(files, cfg["val_permille"], eval_paths)
    if not split.val:
        raise LughaError("no validation text: the corpus has too few documents to hold one out")

    status(f"loading {base_spec}")
    t_load = time.perf_counter()
    base = load_base(base_spec, device=device)
    load_seconds = time.perf_counter() - t_load
    device = base.device
    base_sig = base.signature()
    status("tokenizing with the base's tokenizer")
    train_docs = encode_documents(base, split.train)
    val_docs = encode_documents(base, split.val)
    n_train_tokens = sum(len(d) for d in train_docs)
    n_val_tokens = sum(len(d) for d in val_docs)
    if n_train_tokens < cfg["context"] + 1:  # as train lm refuses it
        raise LughaError(f"the training text is {n_train_tokens:,} tokens, smaller than one context of "
                         f"{cfg['context']:,} + 1 tokens; give more text or a smaller --context")
    batches = document_batches(base, train_docs, cfg, seed)
    prep_seconds = time.perf_counter() - t_prep - load_seconds

    status(f"zero-shot: scoring {len(split.val):,} held-out documents"
           + (f" and {len(eval_docs)} --eval file(s)" if eval_docs else ""))
    t0 = time.perf_counter()
    zero = held_out_bpb(base, split.val)
    zero_eval = {f: held_out_bpb(base, docs) for f, docs in eval_docs.items()}
    zero_seconds = time.perf_counter() - t0

    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    lcfg = LoraConfig(r=cfg["rank"], lora_alpha=cfg["alpha"], lora_dropout=cfg["dropout"],
                      target_modules="all-linear", bias="none", task_type="CAUSAL_LM")
    pm = get_peft_model(base.model, lcfg)
    n_params = sum(p.numel() for p in pm.parameters())
    trainable = sum(p.numel() for p in pm.parameters() if p.requires_grad)

    # the estimate during training: the first row (BOS t1 .. tk) of the first eval_windows documents
    windows = [row for row, first in document_batches(base, val_docs, cfg, seed).rows if first][: cfg["eval_windows"]]
    val_bytes = sum(len(t.encode("utf-8")) for t in split.val)
    tokens_per_byte = n_val_tokens / val_bytes

    evaluate = window_evaluator(windows, tokens_per_byte, device)

    loop_cfg = LoopConfig(lr=cfg["lr"], min_lr_ratio=cfg["min_lr_ratio"], warmup_steps=cfg["warmup_steps"],
                          weight_decay=cfg["weight_decay"], grad_clip=cfg["grad_clip"], grad_accum=cfg["grad_accum"],
                          max_steps=steps, max_seconds=minutes * 60 if minutes is not None else None,
                          eval_seconds=cfg["eval_seconds"], checkpoint_seconds=float("inf"))
    status(f"training {trainable:,} LoRA parameters (rank {cfg['rank']}) of {n_params:,} on {n_train_tokens:,} "
           f"tokens ({split.counts['train']:,} documents; {split.counts['validation']:,} held out"
           + (f"; {split.counts['dropped_eval_overlap']:,} dropped as also in --eval" if eval_paths else "") + ")")
    t_wall, cpu0 = time.perf_counter(), time.process_time()
    result = train(pm, batches, loop_cfg, evaluate=evaluate, on_log=on_log, device=device)
    wall, cpu = time.perf_counter() - t_wall, time.process_time() - cpu0
    pm.eval()

    status("scoring the held-out text with the adapter")
    base.model = pm  # lugha's scoring, now through base + adapter
    after = held_out_bpb(base, split.val)
    after_eval = {f: held_out_bpb(base, docs) for f, docs in eval_docs.items()}

    out.mkdir(parents=True, exist_ok=True)
    rec = base_record(base_spec, out, base_sig["model_sha256"], int(pm.get_input_embeddings().weight.shape[0]))
    meta = {"rank": cfg["rank"], "alpha": cfg["alpha"], "target_modules": "all-linear",
            "trainable_params": trainable, "n_params": n_params}
    _write_adapter(pm, out, rec, meta)
    if merge:
        status("merging the adapter into a full model: DIR/merged")
        save_merged(pm, base.tokenizer, out / "merged")

    from lugha.records import sha256_files
    from lugha.models.lora import adapter_files, rec_name

    inputs = D.input_hashes(files)
    eval_inputs = D.input_hashes(eval_paths)
    sig = Signature.build(
        "train-lora", {**inputs, **{f"eval:{k}": v for k, v in eval_inputs.items()}},
        params={"base": rec_name(rec), "base_sha256": rec["sha256"], "rank": cfg["rank"], "alpha": cfg["alpha"],
                "target_modules": "all-linear", "seed": seed, "steps": result.steps, "minutes": minutes,
                "device": str(device).split(":")[0], "context": cfg["context"], "batch_size": cfg["batch_size"],
                "grad_accum": cfg["grad_accum"], "lr": cfg["lr"], "warmup_steps": cfg["warmup_steps"],
                "val_permille": cfg["val_permille"]},
        backends={"train": {"transformers": transformers.__version__, "torch": torch.__version__,
                            "peft": peft.__version__}},
        model=sha256_files(adapter_files(out))).to_dict()
    info = {
        "kind": "train-lora", "base": rec_name(rec), "base_spec": base_spec,
        "steps": result.steps, "tokens_seen": result.tokens, "seconds": result.seconds,
        "stopped_by": result.stopped_by, "epochs": batches.epochs(result.steps), "train_loss": result.train_loss,
        "zero_shot_val_bpb": zero["bpb"], "val_bpb": after["bpb"],
        "val_loss": -after["nats"] / max(n_val_tokens, 1),
        "val_documents": after["documents"], "val_bytes": after["bytes"],
        "eval": {f: {**after_eval[f], "zero_shot_bpb": zero_eval[f]["bpb"]} for f in eval_docs},
        "evals": result.evals, "parameters": n_params, "trainable_parameters": trainable,
        "base_parameters": base_sig.get("n_params"), "config": cfg,
        "steps_requested": steps, "minutes_requested": minutes, "merged": "merged" if merge else None,
        "data": {"inputs": inputs, "eval_inputs": eval_inputs,
                 "counts": {**split.counts, "train_tokens": n_train_tokens, "val_tokens": n_val_tokens,
                            "train_rows": len(batches.rows),
                            "train_bytes": sum(len(t.encode("utf-8")) for t in split.train)}},
        "compute": {"device": str(device), "torch_threads": torch.get_num_threads(), "wall_seconds": wall,
                    "cpu_seconds": cpu, "load_seconds": load_seconds, "prepare_seconds": prep_seconds,
                    "zero_shot_seconds": zero_seconds,
                    "tokens_per_second": result.tokens / result.seconds if result.seconds else None,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "loadavg": train_loop.loadavg()},
        "signature": sig,
    }
    write_json(out / "training.json", info)
    return info
