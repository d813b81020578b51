"""`lugha tokens ...`: presets, tax, train, extend. Thin: parse, call the library, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

tokens_app = typer.Typer(no_args_is_help=True, help="The tokenization tax: what a model's tokenizer costs a language.")


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")


def _console():
    from lugha.progress import console

    return console()


def _specs(values: List[str]) -> List[str]:
    out: list[str] = []
    for v in values:
        out += [s.strip() for s in v.split(",") if s.strip()]
    return out


@tokens_app.command("presets")
def presets_cmd(install: bool = typer.Option(False, "--install", help="Install the npm presets into the user cache with the machine's npm."),
                as_json: bool = typer.Option(False, "--json", help="Print the list as JSON.")):
    """List the tokenizer presets, whether each is installed, and its vocabulary's licence."""
    from lugha.tokens import specs

    if install:
        status = specs.install_presets(log=lambda m: typer.echo(m, err=True))
        for name, st in status.items():
            typer.echo(f"{name}: {st}", err=True)
        if any(st != "ok" for st in status.values()):
            raise typer.Exit(1)
    rows = specs.preset_table()
    if as_json:
        from lugha.report import to_json

        typer.echo(to_json({"cache": str(specs.cache_dir()), "presets": rows}))
        return
    from rich.table import Table

    t = Table(title=f"tokenizer presets (npm cache: {specs.cache_dir()})")
    for h in ("preset", "model", "installed", "from", "licence"):
        t.add_column(h)
    for r in rows:
        t.add_row(r["preset"], r["model"], "yes" if r["installed"] else "no", r["source"], r["licence"])
    _console().print(t)


@tokens_app.command("tax")
def tax_cmd(parallel: Path = typer.Argument(..., help="Directory of <code>.txt files, or a TSV with one column per language."),
            lang: str = typer.Option(..., "--lang", help="Comma-separated languages, or 'all', or 'focus'."),
            ref: str = typer.Option("eng", "--ref", help="Reference language."),
            tokenizer: List[str] = typer.Option(..., "--tokenizer", "-t", help="Tokenizer spec (repeat, or comma-separate)."),
            ref_tokenizer: Optional[str] = typer.Option(None, "--ref-tokenizer", help="Count the reference text with this one tokenizer for every premium (to compare monolingual local tokenizers fairly)."),
            price: Optional[float] = typer.Option(None, "--price", help="Price per million tokens, for the cost column."),
            max_lines: Optional[int] = typer.Option(None, "--max-lines", help="Use only the first N aligned lines."),
            out_md: Optional[Path] = typer.Option(None, "--md", help="Write the Markdown report here (else print it)."),
            out_html: Optional[Path] = typer.Option(None, "--html", help="Write the HTML report here."),
            out_json: Optional[Path] = typer.Option(None, "--json", help="Write the JSON result here.")):
    """Tokens per line, premium vs the reference (bootstrap 95% CI), bytes/token, byte-fallback share,
    context fit and cost, for every tokenizer and language."""
    from lugha.records import write_json, write_text
    from lugha.signature import Signature
    from lugha.tokens import specs, tax

    par = tax.load_parallel(parallel)
    if max_lines:
        par.lines = {c: v[:max_lines] for c, v in par.lines.items()}
    ref_code, codes = tax.pick_languages(par, lang.split(","), ref)
    toks = [specs.resolve(s) for s in _specs(tokenizer)]
    progress = None
    if sys.stderr.isatty():
        from rich.progress import Progress

        prog = Progress(transient=True)
        prog.start()
        task = prog.add_task("counting", total=len(toks) * (len(codes) + 1))

        def progress(msg: str) -> None:
            prog.update(task, advance=1, description=msg)
    try:
        result = tax.tax(par, toks, ref_code, codes, price=price, progress=progress,
                         ref_tokenizer=specs.resolve(ref_tokenizer) if ref_tokenizer else None)
    finally:
        if progress:
            prog.stop()
    sig = Signature.from_dict(result["signature"])
    md = tax.markdown(result, sig.format())
    if out_md:
        write_text(out_md, md)
    if out_html:
        write_text(out_html, tax.html(result, sig))
    if out_json:
        write_json(out_json, result)
    if not out_md:
        typer.echo(md)
    else:
        from rich.table import Table

        t = Table(title=f"premium vs {ref_code} ({par.n} lines)")
        t.add_column("language")
        for s in result["premium"]:
            t.add_column(s, justify="right")
        for c in codes:
            t.add_row(c, *(f"{result['premium'][s][c]:.2f}" for s in result["premium"]))
        _console().print(t)


@tokens_app.command("train")
def train_cmd(corpus: List[Path] = typer.Argument(..., help="Text files (txt, jsonl, parquet; the clean step's output or plain text)."),
              lang: str = typer.Option(..., "--lang", help="Language of the corpus (recorded in the output)."),
              vocab_size: int = typer.Option(..., "--vocab-size", help="Vocabulary size."),
              kind: str = typer.Option("bpe", "--kind", help="bpe or unigram."),
              out: Path = typer.Option(..., "--out", help="Output folder; gets tokenizer.json (use as hf:DIR)."),
              text_field: str = typer.Option("text", "--text-field", help="Field holding the text in jsonl/parquet.")):
    """Train a local tokenizer with HF tokenizers and save DIR/tokenizer.json."""
    from lugha.tokens import train

    info = train.train(corpus, lang=lang, vocab_size=vocab_size, kind=kind, out=out, text_field=text_field)
    typer.echo(f"wrote {info['path']}: {info['kind']} vocabulary of {info['vocab_size']:,} from "
               f"{info['documents']:,} documents ({info['unreadable']} unreadable); use it as hf:{out}")


@tokens_app.command("extend")
def extend_cmd(base: str = typer.Argument(..., help="Base tokenizer spec (an HF BPE tokenizer.json, e.g. llama3 or hf:PATH)."),
               corpus: List[Path] = typer.Argument(..., help="Local text to learn the new tokens from."),
               add: int = typer.Option(..., "--add", help="How many tokens to add."),
               out: Path = typer.Option(..., "--out", help="Output folder for the merged tokenizer.json."),
               parallel: Optional[Path] = typer.Option(None, "--parallel", help="Held-out parallel text for the before/after premium."),
               lang: Optional[str] = typer.Option(None, "--lang", help="Language(s) for the premium (with --parallel)."),
               ref: str = typer.Option("eng", "--ref", help="Reference language for the premium."),
               out_json: Optional[Path] = typer.Option(None, "--json", help="Write the before/after figures here."),
               text_field: str = typer.Option("text", "--text-field")):
    """Add N tokens learned on local text to a base BPE tokenizer (vocabulary and merges), write the
    merged tokenizer.json, and report the premium before and after."""
    from lugha.report import write_json
    from lugha.tokens import train

    info = train.extend(base, corpus, add=add, out=out, text_field=text_field)
    typer.echo(f"wrote {info['path']}: {info['base_vocab']:,} + {info['added']:,} tokens")
    if parallel is not None:
        if not lang:
            raise typer.BadParameter("--lang is needed with --parallel")
        cmp = train.before_after(base, f"hf:{out}", parallel, lang.split(","), ref)
        info["premium"] = cmp
        from rich.table import Table

        t = Table(title=f"premium vs {ref}: before and after adding {info['added']} tokens")
        for h in ("language", "before", "after"):
            t.add_column(h, justify="right")
        for c, (b, a) in cmp.items():
            t.add_row(c, f"{b:.2f}", f"{a:.2f}")
        _console().print(t)
    if out_json:
        write_json(out_json, info)
