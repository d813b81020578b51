"""`lugha clean` and `lugha datasheet` (registered by lugha.corpus.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from lugha.errors import LughaError
from lugha.progress import console, count_bar, line, styled

out_console = console()
err_console = console(stderr=True)


def print_clean(res) -> None:
    from rich.table import Table

    from lugha.corpus.datasheet import rule_meaning
    from lugha.records import skipped_line
    from lugha.signature import format_signature

    m = res.manifest
    c = m["counts"]
    t = Table(title=f"Cleaned {m['lang']['name']} ({m['lang']['code']})")
    for col, just in (("source", "left"), ("input", "right"), ("kept", "right"), ("removed", "right"), ("", "left")):
        t.add_column(col, justify=just)
    for s in m["conservation"]["sources"]:
        t.add_row(s["path"], f"{s['input']:,}", f"{s['kept']:,}", f"{s['removed']:,}",
                  styled("ok", "green") if s["ok"] else styled("MISMATCH", "red"))
    out_console.print(t)
    r = Table(title="Removed, by rule")
    r.add_column("rule")
    r.add_column("meaning")
    r.add_column("records", justify="right")
    for k, v in m["removed_by"].items():
        r.add_row(k, rule_meaning(k), f"{v:,}")
    out_console.print(r)
    p = m["pii"]
    masked = sum(p["masked"].values())
    out_console.print(f"PII: action {p['action']} ({', '.join(p['kinds'])}); {masked:,} span(s) masked in "
                      f"{p['masked_docs']:,} kept document(s)")
    ok = styled("holds", "green") if m["conservation"]["ok"] else styled("DOES NOT HOLD", "red")
    out_console.print(line(f"Input {c['input']:,} = kept {c['kept']:,} + removed {c['removed']:,}: conservation ", ok))
    how = "reused" if res.audit_reused else "ran"
    out_console.print(f"Audit {how}: {m['audit']['dir']} · shards written {res.chunks_done}, "
                      f"already done {res.chunks_skipped}")
    out_console.print(f"Output: {res.out_dir}/kept, {res.out_dir}/removed, manifest.json, DATASHEET.md, datasheet.html")
    skipped = skipped_line(m.get("skipped", []), "manifest.json")
    if skipped:
        err_console.print(skipped)
    out_console.print(format_signature(m["signature"]), highlight=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def clean(
        inputs: Optional[list[str]] = typer.Argument(None, help="Files (.txt, .jsonl[.gz|.zst], .parquet), directories or globs."),
        lang: Optional[str] = typer.Option(None, "--lang", "-l", help="The language the corpus claims to be (ISO 639 / BCP-47)."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output directory (kept/, removed/, manifest.json, datasheet)."),
        audit: Optional[Path] = typer.Option(None, "--audit", help="Reuse this audit directory when its input hashes match (else audit into it) [default: OUT/audit]."),
        rules: Optional[Path] = typer.Option(None, "--rules", help="TOML rules overriding lugha/data/rules.toml."),
        pii: Optional[str] = typer.Option(None, "--pii", help="keep | mask | drop (overrides the rules file; default mask)."),
        fmt: str = typer.Option("jsonl.gz", "--format", help="jsonl.gz or parquet."),
        shard_records: int = typer.Option(50_000, "--shard-records", help="Records per input chunk; each chunk gives at most one kept and one removed shard."),
        verify: Optional[Path] = typer.Option(None, "--verify", help="Re-check a finished output DIR against its manifest.json and exit."),
        workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Audit worker processes [default: all cores]."),
        text_field: str = typer.Option("text", help="JSONL/Parquet field holding the text."),
        id_field: str = typer.Option("id", help="JSONL/Parquet field holding a document id."),
        config: Optional[Path] = typer.Option(None, "--config", help="Audit configuration TOML (thresholds)."),
        lid_model: Optional[Path] = typer.Option(None, "--lid-model", help="A fastText LID model added to the audit's ensemble."),
    ):
        """Split a corpus into kept/ and removed/, with the rule behind every removal.

        Checks that nothing was lost (kept + removed = input, per file), writes manifest.json and the
        datasheet. Rerun after a crash to resume; --verify DIR re-checks a finished output."""
        if verify is not None:
            from lugha.corpus.clean import verify as verify_dir

            problems = verify_dir(verify)
            if problems:
                for p in problems:
                    err_console.print(styled(p, "red"))  # "PATH: missing", "PATH: changed (...)", ...
                out_console.print(f"{verify}: {len(problems)} problem(s); the output does not match its manifest")
                raise typer.Exit(1)
            out_console.print(f"{verify}: every shard matches manifest.json")
            return
        if not inputs:
            raise LughaError("give INPUT files to clean (or --verify DIR)")
        if lang is None:
            raise LughaError("--lang is required: the language the corpus claims to be")
        if out is None:
            raise LughaError("--out DIR is required")
        from lugha.corpus.clean import run_clean
        from lugha.progress import bytes_bar

        acb, aclose = bytes_bar("auditing")
        cb, close = count_bar("cleaning")
        try:
            res = run_clean(inputs, lang, out, audit_dir=audit, rules_path=rules, pii=pii, fmt=fmt,
                            shard_records=shard_records, workers=workers, text_field=text_field,
                            id_field=id_field, config_path=config, lid_model=lid_model, progress=cb,
                            audit_progress=acb)
        finally:
            aclose()
            close()
        print_clean(res)
        if not res.conserved:
            raise typer.Exit(1)

    @app.command()
    def datasheet(out: Path = typer.Argument(..., help="A `lugha clean` output directory.")):
        """(Re)write DATASHEET.md and datasheet.html (Gebru et al.) from a clean output's manifest.json."""
        from lugha.corpus.datasheet import write_datasheet

        md, html = write_datasheet(out)
        out_console.print(f"Wrote {md} and {html}")
