"""`lugha lid predict|eval|train|curve`. Thin: parse, call lugha.lid.*, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from lugha.errors import LughaError
from lugha.progress import console, count_bar, styled

out_console = console()
err_console = console(stderr=True)

LID_MODEL_HELP = "A model made by `lugha lid train` (.npz) or a fastText LID file (GlotLID, OpenLID), added to the ensemble."
LANGS_HELP = "Closed candidate set, comma-separated (e.g. afr,eng,nbl,nso,sot,ssw,tsn,tso,ven,xho,zul)."


def _langs(value: Optional[str]) -> Optional[list[str]]:
    if not value:
        return None
    from lugha.langs import resolve

    codes = [c.strip() for c in value.split(",") if c.strip()]
    for c in codes:
        resolve(c)  # an unknown tag is a one-line LughaError naming it
    return codes


def _model(path: Optional[Path]) -> Optional[Path]:
    if path is not None and not path.is_file():
        raise LughaError("language-ID model file not found", path=path)
    return path


def _print_eval(result: dict) -> None:
    from rich.table import Table

    from lugha.lid.evaluate import confusion_words
    from lugha.report import signature_string

    rows = list(result["backends"].items()) + [("ensemble", result["ensemble"])]
    t = Table(title=f"Language ID on {result['n']:,} labelled texts: F1 per language")
    t.add_column("language")
    t.add_column("texts", justify="right")
    for name, _ in rows:
        t.add_column(name, justify="right")
    for lang in result["languages"]:
        t.add_row(lang, str(result["ensemble"]["per_language"][lang]["support"]),
                  *(f"{m['per_language'][lang]['f1']:.3f}" for _, m in rows))
    t.add_row("macro-F1", "", *(styled(f"{m['macro_f1']:.3f}", "bold") for _, m in rows))
    t.add_row("accuracy", "", *(f"{m['accuracy']:.1%}" for _, m in rows))
    out_console.print(t)
    d = Table(title="Per backend: coverage and top confusions")
    d.add_column("backend")
    d.add_column("cannot emit")
    d.add_column("top confusions (share of the gold language's texts)")
    for name, m in rows:
        d.add_row(name, ", ".join(m["cannot_emit"]) or "–",
                  ", ".join(confusion_words(c) for c in m["top_confusions"][:5]) or "–")
    out_console.print(d)
    p = Table(title="Ensemble: precision, recall, F1, false-positive rate")
    for col in ("language", "precision", "recall", "F1", "FPR"):
        p.add_column(col, justify="left" if col == "language" else "right")
    for lang, r in result["ensemble"]["per_language"].items():
        p.add_row(lang, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}", f"{r['fpr']:.3f}")
    out_console.print(p)
    out_console.print(signature_string(result["signature"]), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    lid = typer.Typer(no_args_is_help=True, help="Language ID: predict, evaluate backends, train your own model.")
    app.add_typer(lid, name="lid")

    @lid.command()
    def predict(
        inputs: list[str] = typer.Argument(..., help="Files (.txt one document per line, .jsonl, .parquet), directories or globs."),
        lid_model: Optional[Path] = typer.Option(None, "--lid-model", help=LID_MODEL_HELP),
        langs: Optional[str] = typer.Option(None, "--langs", help=LANGS_HELP),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write .jsonl or .parquet here [default: JSON lines on stdout]."),
        text_field: str = typer.Option("text", help="JSONL/Parquet field holding the text."),
        id_field: str = typer.Option("id", help="JSONL/Parquet field holding a document id."),
    ):
        """Per document: the ensemble label (ISO 639-3), its score, and each backend's label and score."""
        from lugha.lid.predict import predict_files

        s = predict_files(inputs, out, lid_model=_model(lid_model), langs=_langs(langs), text_field=text_field,
                          id_field=id_field, write_line=lambda line: sys.stdout.write(line + "\n"))
        for u in s.unreadable[:10]:
            err_console.print(f"unreadable {u}", highlight=False, markup=False)
        if out is not None:
            top = ", ".join(f"{k} {v:,}" for k, v in s.languages.most_common(8))
            out_console.print(f"{s.documents:,} documents ({len(s.unreadable):,} unreadable) → {out}: {top}",
                              highlight=False)
        else:
            err_console.print(f"{s.documents:,} documents, {len(s.unreadable):,} unreadable", highlight=False)
        from lugha.report import signature_string

        err_console.print(signature_string(s.signature), highlight=False, markup=False)

    @lid.command("eval")
    def eval_(
        labeled: list[Path] = typer.Argument(..., help="Labelled text: TSV/CSV/JSONL with 'lang' and 'text' columns, or a directory of <code>.txt files."),
        lid_model: Optional[Path] = typer.Option(None, "--lid-model", help=LID_MODEL_HELP),
        langs: Optional[str] = typer.Option(None, "--langs", help=LANGS_HELP),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write every figure as JSON here."),
        html_out: Optional[Path] = typer.Option(None, "--html", help="Write an HTML page of the figures here."),
        md_out: Optional[Path] = typer.Option(None, "--md", help="Write the figures as Markdown here."),
    ):
        """Per-language precision, recall, F1, false-positive rate, macro-F1, coverage and confusions
        for every backend and the ensemble."""
        from lugha.lid.evaluate import evaluate
        from lugha.report import write_json, write_text_atomic

        update, close = count_bar("evaluating")
        try:
            result = evaluate(labeled, lid_model=_model(lid_model), langs=_langs(langs), progress=update)
        finally:
            close()
        _print_eval(result)
        if json_out:
            write_json(json_out, result)
            out_console.print(f"JSON: {json_out}", highlight=False)
        if html_out:
            from lugha.lid.report import eval_html

            write_text_atomic(html_out, eval_html(result))
            out_console.print(f"HTML: {html_out}", highlight=False)
        if md_out:
            from lugha.lid.report import eval_markdown

            write_text_atomic(md_out, eval_markdown(result))
            out_console.print(f"Markdown: {md_out}", highlight=False)

    @lid.command()
    def train(
        data: list[Path] = typer.Argument(..., help="Labelled text (TSV/CSV/JSONL with lang,text; or a directory of <code>.txt files)."),
        out: Path = typer.Option(..., "--out", "-o", help="Model file to write (.npz); MODEL.train.json is written next to it."),
        dev_fraction: float = typer.Option(0.1, "--dev-fraction", help="Share of each language's paragraphs held out for the dev F1."),
        max_n: int = typer.Option(5, "--max-n", help="Longest character n-gram."),
        bits: int = typer.Option(16, "--bits", help="Hash buckets = 2**bits (model size: 2**bits x languages x 2 bytes)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the dev split."),
    ):
        """Train a compact character-n-gram identifier (naive Bayes, NumPy) from your own labelled text."""
        import time

        from rich.table import Table

        from lugha.lid.train import train_model

        if not 1 <= max_n <= 8:
            raise LughaError(f"--max-n must be 1..8, got {max_n}")
        if not 10 <= bits <= 24:
            raise LughaError(f"--bits must be 10..24, got {bits}")
        t0 = time.perf_counter()
        r = train_model(data, out, dev_fraction=dev_fraction, bits=bits, max_n=max_n, seed=seed)
        secs = time.perf_counter() - t0
        rep = r.report
        t = Table(title=f"Dev-set scores ({dev_fraction:.0%} of each language held out)")
        for col in ("language", "train paragraphs", "dev paragraphs", "precision", "recall", "F1"):
            t.add_column(col, justify="left" if col == "language" else "right")
        for lang in rep["languages"]:
            c = rep["counts"][lang]
            d = rep["dev"]["per_language"].get(lang) if rep["dev"] else None
            t.add_row(lang, f"{c['train_paragraphs']:,}", f"{c['dev_paragraphs']:,}",
                      *((f"{d['precision']:.3f}", f"{d['recall']:.3f}", f"{d['f1']:.3f}") if d else ("–",) * 3))
        out_console.print(t)
        if rep["dev"]:
            out_console.print(f"dev macro-F1 {rep['dev']['macro_f1']:.3f}", highlight=False)
        out_console.print(f"Model: {r.model_path} ({r.model_path.stat().st_size / 1024:,.0f} KiB, "
                          f"{len(rep['languages'])} languages, trained in {secs:.1f} s)\nReport: {r.report_path}",
                          highlight=False)

    @lid.command()
    def curve(
        data: list[Path] = typer.Argument(..., help="Labelled training text (same formats as `lid train`)."),
        test: Optional[list[Path]] = typer.Option(None, "--test", help="Score on this labelled text instead of a dev split (e.g. news, when training on UDHR)."),
        sizes: str = typer.Option("25,50,100,200", "--sizes", help="Training paragraphs per language at each step (then all)."),
        dev_fraction: float = typer.Option(0.2, "--dev-fraction"),
        html_out: Path = typer.Option(Path("lid-curve.html"), "--html", help="HTML page with the chart."),
        json_out: Optional[Path] = typer.Option(None, "--json"),
        md_out: Optional[Path] = typer.Option(None, "--md", help="Also write the table as Markdown here."),
    ):
        """F1 per language as the training set grows: how much text a community must collect."""
        from rich.table import Table

        from lugha.lid.report import curve_html, curve_markdown
        from lugha.lid.train import learning_curve
        from lugha.records import write_json, write_text

        try:
            steps = tuple(int(s) for s in sizes.split(",") if s.strip())
        except ValueError:
            raise LughaError(f"--sizes must be comma-separated integers, got {sizes!r}") from None
        if not steps or min(steps) < 1:
            raise LughaError(f"--sizes must be positive integers, got {sizes!r}")
        c = learning_curve(data, steps, dev_fraction=dev_fraction, test=test)
        t = Table(title=f"F1 per language vs paragraphs per language (held out: {c['held_out']:,}, {c['held_out_source']})")
        t.add_column("paragraphs", justify="right")
        for lang in c["languages"]:
            t.add_column(lang, justify="right")
        t.add_column("macro-F1", justify="right")
        for p in c["points"]:
            t.add_row(str(p["paragraphs_per_language"]), *(f"{p['f1'].get(lang, 0.0):.3f}" for lang in c["languages"]),
                      f"{p['macro_f1']:.3f}")
        out_console.print(t)
        write_text(html_out, curve_html(c, c["signature"]))
        out_console.print(f"HTML: {html_out}", highlight=False)
        if md_out:
            write_text(md_out, curve_markdown(c, c["signature"]))
            out_console.print(f"Markdown: {md_out}", highlight=False)
        if json_out:
            write_json(json_out, c)
