"""`lugha audit` and `lugha demo` (and, registered from clean_cli, `lugha clean` / `lugha datasheet`)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional

import typer

from lugha.progress import bytes_bar, console, line, styled

out_console = console()
err_console = console(stderr=True)


def print_audit(result) -> None:
    from rich.table import Table

    from lugha.corpus.categories import CATEGORIES, CATEGORY_NAMES
    from lugha.corpus.report import verdict
    from lugha.records import skipped_line

    s = result.summary
    c = s["counts"]
    t = Table(title=f"Audit of claimed {s['lang']['name']} ({s['lang']['code']})")
    t.add_column("category")
    t.add_column("meaning")
    t.add_column("documents", justify="right")
    t.add_column("share", justify="right")
    for k in CATEGORIES:
        t.add_row(k, CATEGORY_NAMES[k], f"{c[k]:,}", f"{s['shares'][k]:.1%}")
    t.add_row("unreadable", CATEGORY_NAMES["unreadable"], f"{c['unreadable']:,}", "")
    out_console.print(t)
    out_console.print(verdict(s))
    top = ", ".join(f"{lg['code']} {lg['share']:.0%}" for lg in s["langs"][:6])
    out_console.print(f"Detected languages: {top}")
    d = s["duplicates"]
    out_console.print(f"Duplicates: {d['exact']:,} exact, {d['near']:,} near · PII found in {s['pii_docs']:,} documents")
    parts = " + ".join(f"{c[k]:,} {k}" for k in (*CATEGORIES, "unreadable"))
    ok = styled("reconciled", "green") if s["reconciled"] else styled("DOES NOT RECONCILE", "red")
    out_console.print(line(f"Input records: {c['total']:,} = {parts} (", ok, ")"))
    for u in s["unreadable_examples"][:10]:
        err_console.print(line(styled("unreadable", "yellow"), f" {u}"))
    skipped = skipped_line(s.get("skipped", []), "summary.json")
    if skipped:
        err_console.print(line(styled("skipped", "yellow"), skipped.removeprefix("skipped")))
    docs_s = c["total"] / result.seconds if result.seconds else 0
    out_console.print(f"{result.shards} shard(s) in {result.seconds:.1f} s ({docs_s:,.0f} docs/s)")
    out_console.print(f"Report: {result.report_html}\nAnnotations: {result.annotations}")


def register(app: typer.Typer) -> None:
    @app.command()
    def audit(
        inputs: list[str] = typer.Argument(..., help="Files (.txt one document per line, .jsonl[.gz|.zst], .parquet), directories or globs."),
        lang: str = typer.Option(..., "--lang", "-l", help="The language the corpus claims to be: ISO 639-1/639-3/BCP-47 tag."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output directory [default: ./lugha-audit-<name>]."),
        workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Worker processes [default: all cores]."),
        text_field: str = typer.Option("text", help="JSONL/Parquet field holding the text."),
        id_field: str = typer.Option("id", help="JSONL/Parquet field holding a document id (else the record index)."),
        config: Optional[Path] = typer.Option(None, "--config", help="TOML file overriding thresholds, dedup parameters, boilerplate phrases."),
        lid_model: Optional[Path] = typer.Option(None, "--lid-model", help="A fastText LID model file (GlotLID, OpenLID) or one made by `lugha lid train`, added to the ensemble."),
        engine: str = typer.Option("local", "--engine", help="local (process pool) or ray."),
        ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address; none starts a local Ray."),
        keep_work: bool = typer.Option(False, "--keep-work", help="Keep per-shard intermediate files."),
    ):
        """Audit a corpus that claims to be LANG: language ID, scripts, quality, duplicates, PII, categories."""
        from lugha.corpus.audit import run_audit

        cb, close = bytes_bar("auditing")
        try:
            result = run_audit(inputs, lang, out, workers=workers, text_field=text_field, id_field=id_field,
                               config_path=config, lid_model=lid_model, engine=engine, ray_address=ray_address,
                               progress=cb, keep_work=keep_work)
        finally:
            close()
        print_audit(result)

    @app.command()
    def demo(
        out: Path = typer.Option(Path("lugha-demo"), "--out", "-o", help="Where to write the demo corpus and its audit."),
        workers: Optional[int] = typer.Option(None, "--workers", "-w"),
    ):
        """Audit an embedded 'claimed Tigrinya' sample (real UDHR texts, with contamination). Offline, < 1 min."""
        from lugha.corpus.audit import run_audit
        from lugha.corpus.demo import build_demo_corpus

        corpus = out / "claimed_tigrinya.txt"
        made = build_demo_corpus(corpus)
        out_console.print(f"Built {corpus} from gflanguages sample texts: "
                          + ", ".join(f"{v} {k}" for k, v in sorted(made.items())))
        cb, close = bytes_bar("auditing")
        try:
            result = run_audit([corpus], "tir", out / "audit", workers=workers, progress=cb)
        finally:
            close()
        print_audit(result)
        out_console.print(f"\nOpen the report: {result.report_html.resolve()}")

    # clean/datasheet live in their own module
    try:
        mod = importlib.import_module("lugha.corpus.clean_cli")
    except ModuleNotFoundError as e:
        if e.name != "lugha.corpus.clean_cli":
            raise
    else:
        mod.register(app)
