"""`lugha train lora --base SPEC TEXT... --out DIR`: registered on `lugha train` by lugha.train.cli.
Thin: parse, call lugha.train.lora, print."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

err_console = Console(stderr=True, soft_wrap=True)


def lora_cmd(
    text: list[str] = typer.Argument(..., help="Training text in the language: .txt (one document per line), .jsonl, .parquet, .tsv, folders, globs."),
    base: str = typer.Option(..., "--base", help="The borrowed model: hf:FOLDER, gguf:FILE.gguf, or an embedded model (gemma3-270m, smollm2-135m)."),
    out: Path = typer.Option(..., "--out", help="Adapter folder (load it as lora:DIR)."),
    rank: int = typer.Option(8, "--rank", min=1, help="LoRA rank r (alpha = 2r unless --set alpha=...)."),
    minutes: Optional[float] = typer.Option(None, "--minutes", min=0.01, help="Time budget; training ends cleanly when it is spent."),
    steps: Optional[int] = typer.Option(None, "--steps", min=1, help="Number of optimizer steps."),
    merge: bool = typer.Option(False, "--merge", help="Also write DIR/merged: a full Hugging Face model (hf:DIR/merged)."),
    eval_file: list[str] = typer.Option([], "--eval", help="Held-out file(s): documents also in them are dropped from training (counted); bits/byte on them is reported zero-shot and after."),
    seed: int = typer.Option(0, "--seed"),
    device: Optional[str] = typer.Option(None, "--device", help="cpu | cuda (default: cuda when torch sees one)."),
    sets: list[str] = typer.Option([], "--set", help="Override a setting, KEY=VALUE (context, batch_size, grad_accum, lr, warmup_steps, alpha, dropout, val_permille, ...)."),
    export_gguf: Optional[str] = typer.Option(None, "--export-gguf", help="With --merge: also write DIR/merged/gguf/DIR-<type>.gguf (f16 | q8_0; llama-architecture bases), checked by reloading it."),
):
    """Adapt a borrowed model to your language with LoRA (peft) and lugha's training loop."""
    from lugha.progress import training_bar
    from lugha.train.cli import _check_gguf_dtype, _export_and_print
    from lugha.train.lm import parse_sets
    from lugha.train.lora import train_lora

    if export_gguf is not None:  # before any training: a bad type or a non-llama base fails now
        from lugha.errors import LughaError
        from lugha.train.gguf_export import check_exportable_base

        _check_gguf_dtype(export_gguf)
        if not merge:
            raise LughaError("--export-gguf needs --merge (the GGUF is written from the merged model)")
        check_exportable_base(base)
    overrides = parse_sets(sets)
    update, close = training_bar("train lora")
    last_line = [0.0]

    def on_log(log: dict) -> None:
        if update:
            update(log)
        elif time.monotonic() - last_line[0] > 60:  # piped: one line a minute
            last_line[0] = time.monotonic()
            err_console.print(f"step {log['step']:,} · {log['tokens']:,} tokens · {log['tokens_per_s']:,.0f} tok/s · "
                              f"loss {log['loss']:.3f}")

    try:
        info = train_lora(base, text, out, rank=rank, minutes=minutes, steps=steps, merge=merge, eval_files=eval_file,
                          seed=seed, device=device, overrides=overrides, on_log=on_log,
                          on_status=lambda s: err_console.print(s))
    finally:
        close()
    c = info["data"]["counts"]
    err_console.print(f"{info['steps']:,} steps, {info['tokens_seen']:,} tokens, {info['seconds'] / 60:.1f} min"
                      + (f"; {c['dropped_eval_overlap']:,} documents dropped as also in --eval" if eval_file else ""))
    typer.echo(f"validation: {info['zero_shot_val_bpb']:.4f} bits/byte zero-shot -> {info['val_bpb']:.4f} with the "
               f"adapter ({info['val_documents']:,} held-out documents)")
    for f, e in info["eval"].items():
        typer.echo(f"{f}: {e['zero_shot_bpb']:.4f} -> {e['bpb']:.4f} bits/byte ({e['documents']:,} documents)")
    typer.echo(f"-> {out} (lora:{out}" + (f"; hf:{out / 'merged'}" if info["merged"] else "") + "; training.json)")
    if export_gguf:
        _export_and_print(out / "merged", export_gguf)


def register(train_app: typer.Typer) -> None:
    train_app.command("lora")(lora_cmd)
