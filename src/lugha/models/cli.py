"""`lugha train ngram CORPUS... --order 6 --out PATH`: the local character n-gram baseline."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from lugha.progress import console

err_console = console(stderr=True)

train_app = typer.Typer(no_args_is_help=True, help="Train a local model.")


@train_app.command("ngram")
def train_ngram(
    corpus: list[str] = typer.Argument(..., help="Training text: .txt (one document per line), .jsonl, .parquet, folders, globs."),
    order: int = typer.Option(6, "--order", min=1, max=12, help="n-gram order (characters)."),
    out: Path = typer.Option(..., "--out", help="Model file to write (gzipped JSON of n-gram counts)."),
):
    """Character n-gram LM with interpolated Kneser-Ney smoothing, evaluated as `ngram:PATH`."""
    from lugha.models.ngram import KneserNeyLM
    from lugha.records import Record, expand_inputs, iter_inputs

    files = expand_inputs(corpus)
    skipped = 0

    def lines():
        nonlocal skipped
        for item in iter_inputs(files):
            if isinstance(item, Record):
                yield item.text
            else:
                skipped += 1

    t0 = time.perf_counter()
    lm = KneserNeyLM.train(lines(), order=order)
    lm.save(out)
    err_console.print(f"trained a {order}-gram model: {len(lm.ngram_counts):,} {order}-grams, "
                      f"{len(lm.vocab):,} symbols, {time.perf_counter() - t0:.1f} s"
                      + (f", {skipped} unreadable records skipped" if skipped else "") + f" -> {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
