"""`lugha train lm|ngram` (and `lugha train lora`, registered from lugha.train.lora_cli when present).
Thin: parse, call the library, print."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Optional

import typer

from lugha.progress import console

err_console = console(stderr=True)

train_app = typer.Typer(no_args_is_help=True, help="Train a local model.")


@train_app.command("lm")
def train_lm_cmd(
    text: list[str] = typer.Argument(..., help="Training text: .txt (one document per line), .jsonl, .parquet, folders (a `lugha clean` kept/), globs."),
    out: Path = typer.Option(..., "--out", help="Output folder: a Hugging Face model folder (hf:DIR)."),
    tokenizer: Optional[str] = typer.Option(None, "--tokenizer", help="bpe:N / unigram:N (trained on the text; the preset's default is bpe:8000 for tiny), bytes, or a tokens spec with a tokenizer.json (hf:PATH, llama3, ...)."),
    preset: str = typer.Option("tiny", "--preset", help="Model and batch shape: tiny | small | base."),
    minutes: Optional[float] = typer.Option(None, "--minutes", min=0.01, help="Time budget; training ends cleanly when it is spent."),
    steps: Optional[int] = typer.Option(None, "--steps", min=1, help="Number of optimizer steps (exactly reproducible)."),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda (bf16 autocast)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from DIR/checkpoint/last.pt (after a crash or kill)."),
    eval_file: list[str] = typer.Option([], "--eval", help="Held-out file(s): documents also in them are dropped from training (counted), and the final bits/byte on them is reported."),
    seed: int = typer.Option(0, "--seed"),
    nproc: int = typer.Option(1, "--nproc", min=1, help="Processes (DDP through torchrun; gloo on CPU, NCCL on GPU)."),
    sets: list[str] = typer.Option([], "--set", help="Override a preset setting, KEY=VALUE (layers, width, heads, ffn, context, batch_size, grad_accum, lr, warmup_steps, ...)."),
    dtype: str = typer.Option("float32", "--dtype", help="Parameter dtype: float32 (default) or float64 (for exactness checks)."),
    export_gguf: Optional[str] = typer.Option(None, "--export-gguf", help="Also write DIR/gguf/DIR-<type>.gguf (f16 | q8_0) for llama.cpp / Ollama / LM Studio, checked by reloading it and comparing bits/byte."),
    compile_: bool = typer.Option(False, "--compile", help="torch.compile the training step: 4-9% faster on 2 CPU cores after ~40 s of compiling; needs a C++ compiler; one process only."),
):
    """Train a decoder-only LM (LlamaForCausalLM) from scratch with lugha's own loop."""
    from lugha.errors import LughaError
    from lugha.train.lm import parse_sets

    if dtype not in ("float32", "float64", "bfloat16"):
        raise LughaError(f"--dtype {dtype!r}: use float32, float64 or bfloat16")
    _check_gguf_dtype(export_gguf)
    overrides = parse_sets(sets)
    if compile_ and nproc > 1:
        raise LughaError("--compile is for one process; run --nproc > 1 without it")
    if nproc > 1:
        from lugha.train.distributed import launch

        args = ["lm", *text, "--out", str(out), "--preset", preset, "--device", device, "--seed", str(seed),
                "--dtype", dtype, *(["--tokenizer", tokenizer] if tokenizer else []),
                *(["--minutes", str(minutes)] if minutes is not None else []),
                *(["--steps", str(steps)] if steps is not None else []), *(["--resume"] if resume else []),
                *[a for f in eval_file for a in ("--eval", f)], *[a for s in sets for a in ("--set", s)]]
        rc = launch(nproc, args)
        if rc == 0 and export_gguf:
            _export_and_print(out, export_gguf)
        raise typer.Exit(rc)

    import os

    from lugha.progress import training_bar
    from lugha.train.lm import train_lm

    quiet = int(os.environ.get("RANK", 0)) != 0
    update, close = training_bar("train lm") if not quiet else (None, lambda: None)
    last_line = [0.0]

    def on_log(log: dict) -> None:
        if update:
            update(log)
        elif not quiet and time.monotonic() - last_line[0] > 60:  # piped: one line a minute
            last_line[0] = time.monotonic()
            ev = log.get("eval") or {}
            err_console.print(f"step {log['step']:,} · {log['tokens']:,} tokens · {log['tokens_per_s']:,.0f} tok/s · "
                              f"loss {log['loss']:.3f}" + (f" · val {ev['val_bpb_estimate']:.3f} bpb" if ev else ""))

    try:
        info = train_lm(text, out, tokenizer=tokenizer, preset=preset, minutes=minutes, steps=steps, device=device,
                        resume=resume, eval_files=eval_file, seed=seed, overrides=overrides, dtype=dtype,
                        compile=compile_, on_log=on_log, on_status=None if quiet else (lambda s: err_console.print(s)))
    finally:
        close()
    if quiet or not info:
        return
    c = info["data"]["counts"]
    err_console.print(f"{info['steps']:,} steps, {info['tokens_seen']:,} tokens, {info['seconds'] / 60:.1f} min, "
                      f"{info['compute']['tokens_per_second']:,.0f} tok/s; {c['dropped_eval_overlap']:,} documents "
                      f"dropped as also in --eval")
    typer.echo(f"validation: {info['val_loss']:.4f} nats/token, {info['val_bpb']:.4f} bits/byte "
               f"({info['val_documents']:,} held-out documents)")
    for f, e in info["eval"].items():
        typer.echo(f"{f}: {e['bpb']:.4f} bits/byte ({e['documents']:,} documents)")
    typer.echo(f"-> {out} (hf:{out}; training.json, MODEL_CARD.md)")
    if export_gguf:
        _export_and_print(out, export_gguf)


def _check_gguf_dtype(dtype: str | None) -> None:
    """An unknown --export-gguf type fails before any training."""
    if dtype is not None:
        from lugha.train.gguf_export import DTYPES

        if dtype not in DTYPES:
            from lugha.errors import LughaError

            raise LughaError(f"--export-gguf {dtype!r}: use {' or '.join(DTYPES)}")


def _export_and_print(hf_dir: Path, dtype: str, out_file: Path | None = None, check_text: list[str] | None = None) -> dict:
    from lugha.train.gguf_export import export_and_record

    texts = None
    if check_text:
        from lugha.evaluate.texts import read_documents

        texts = [d.text for f in check_text for d in read_documents(f)]
    r = export_and_record(hf_dir, out_file, dtype, texts, on_status=lambda s: err_console.print(s))
    c = r["check"]
    typer.echo(f"GGUF {dtype}: {r['file']} ({r['bytes'] / 1e6:,.1f} MB); bits/byte {c['gguf_bpb']:.5f} reloaded vs "
               f"{c['hf_bpb']:.5f} for the folder (difference {c['diff_bpb']:+.1e}, allowed {c['tolerance_bpb']}); "
               f"token ids identical on {c['documents']} held-out documents")
    return r


@train_app.command("export-gguf")
def export_gguf_cmd(
    model_dir: Path = typer.Argument(..., help="A LLaMA-architecture Hugging Face folder: what `lugha train lm` writes, or `train lora --merge`'s DIR/merged."),
    out: Optional[Path] = typer.Option(None, "--out", help="GGUF file to write (default: DIR/gguf/<name>-<dtype>.gguf)."),
    dtype: str = typer.Option("f16", "--dtype", help="f16 | q8_0 (8-bit blocks: about half the size)."),
    check_text: list[str] = typer.Option([], "--check-text", help="Held-out text to check the GGUF on (default: the run's own held-out split)."),
):
    """Write a trained model as a GGUF file for llama.cpp / Ollama / LM Studio, checked by reloading it."""
    _export_and_print(model_dir, dtype, out, check_text or None)


@train_app.command("ngram")
def train_ngram(
    corpus: list[str] = typer.Argument(..., help="Training text: .txt (one document per line), .jsonl, .parquet, folders, globs."),
    order: int = typer.Option(6, "--order", min=1, max=12, help="n-gram order (characters)."),
    out: Path = typer.Option(..., "--out", help="Model file to write (gzipped JSON of n-gram counts)."),
):
    """Character n-gram LM with interpolated Kneser-Ney smoothing, evaluated as `ngram:PATH`; writes OUT.training.json."""
    from lugha.train.ngram import train_ngram, training_json_path

    info = train_ngram(corpus, order, out)
    skipped = info["data"]["counts"]["unreadable"]
    err_console.print(f"trained a {order}-gram model: {info['ngrams']:,} {order}-grams, "
                      f"{info['symbols']:,} symbols, {info['characters_seen']:,} characters, {info['seconds']:.1f} s"
                      + (f", {skipped} unreadable records skipped" if skipped else "")
                      + f" -> {out} ({training_json_path(out).name})")


try:  # `lugha train lora` lives in its own module, lugha/train/lora_cli.py, when installed
    lora_cli = importlib.import_module("lugha.train.lora_cli")
except ModuleNotFoundError as _e:
    if _e.name != "lugha.train.lora_cli":
        raise
else:
    lora_cli.register(train_app)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


def main() -> None:
    """`python -m lugha.train ...` (what torchrun starts): the train commands with lugha's error handling."""
    from lugha.cli import _Group

    app = typer.Typer(cls=_Group, no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)
    app.add_typer(train_app, name="train")
    import sys

    app(args=["train", *sys.argv[1:]], prog_name="python -m lugha.train")
