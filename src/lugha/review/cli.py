"""`lugha review ...`: create review tasks, hand out links, serve the app, compute results."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from lugha.errors import LughaError

DEFAULT_PROJECT = Path("review.db")


def _base_url(host: str, port: int) -> str:
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"


def _add_batch(project: Path, batch, reviewers: int) -> None:
    from lugha.progress import console
    from lugha.review import store

    if reviewers < 1:
        raise LughaError(f"--reviewers must be at least 1, got {reviewers}")
    admin = store.create_project(project)
    conn = store.open_project(project)
    try:
        store.add_batch(conn, batch.kind, batch.source, batch.sha256, batch.params, batch.population,
                        batch.items, reviewers, batch.order)
        counts = store.counts(conn)
    finally:
        conn.close()
    out = console()
    strata = {}
    for it in batch.items:
        strata[it["stratum"]] = strata.get(it["stratum"], 0) + 1
    out.print(f"Added {len(batch.items)} {batch.kind} items ({reviewers} reviewers each) to {project}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(strata.items())))
    out.print(f"Project now: {counts['items']} items, {counts['target_labels']} labels wanted, "
              f"{counts['reviewers']} reviewers.")
    if admin:
        out.print(f"New project. Admin token (shown once; keep it secret): {admin}")
        out.print(f"Admin page once served: {_base_url('127.0.0.1', 8765)}/admin/{admin}")


def register(app: typer.Typer) -> None:
    review = typer.Typer(no_args_is_help=True, help="Native speakers label corpus samples and rate model "
                                                    "outputs; agreement and confidence intervals.")
    app.add_typer(review, name="review")

    @review.command("sample")
    def sample(
        audit_dir: Path = typer.Argument(..., help="Output directory of `lugha audit` (annotations.parquet)."),
        n: int = typer.Option(300, "--n", help="Documents to draw (per category with --per-category)."),
        per_category: bool = typer.Option(False, "--per-category", help="Draw --n from each automatic category."),
        reviewers: int = typer.Option(3, "--reviewers", "-k", help="Reviewers per item."),
        seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same sample."),
        skip_duplicates: bool = typer.Option(False, "--skip-duplicates", help="Leave out near/exact duplicates."),
        into: Path = typer.Option(DEFAULT_PROJECT, "--into", help="Review project file (created if new)."),
    ):
        """Draw a reproducible stratified random sample of an audited corpus for review."""
        from lugha.review.sampling import sample_audit

        _add_batch(into, sample_audit(audit_dir, n, per_category, seed, skip_duplicates), reviewers)

    @review.command("import")
    def import_(
        file: Path = typer.Argument(..., help="generation: .jsonl/.csv/.tsv with prompt, output, model; "
                                              "image: a folder of images with prompts.jsonl or .txt sidecars."),
        kind: str = typer.Option(..., "--kind", help="generation or image."),
        reviewers: int = typer.Option(3, "--reviewers", "-k", help="Reviewers per item."),
        seed: int = typer.Option(0, "--seed", help="Seed for the order items are shown in."),
        into: Path = typer.Option(DEFAULT_PROJECT, "--into", help="Review project file (created if new)."),
    ):
        """Import model outputs (or images) to be rated by native speakers."""
        from lugha.review.sampling import import_generations, import_images

        if kind == "generation":
            batch = import_generations(file, seed)
        elif kind == "image":
            batch = import_images(file, seed)
        else:
            raise LughaError(f"--kind must be generation or image, got {kind!r}")
        _add_batch(into, batch, reviewers)

    @review.command("add-reviewer")
    def add_reviewer(
        name: str = typer.Argument(..., help="The reviewer's name (shown to the admin only)."),
        project: Path = typer.Option(DEFAULT_PROJECT, "--project", "-p", help="Review project file."),
        host: str = typer.Option("127.0.0.1", "--host", help="Host the server will be reached at."),
        port: int = typer.Option(8765, "--port"),
    ):
        """Add a reviewer and print their personal link (shown once)."""
        from lugha.review import store

        conn = store.open_project(project)
        try:
            token = store.add_reviewer(conn, name)
        finally:
            conn.close()
        typer.echo(f"{_base_url(host, port)}/r/{token}")

    @review.command("admin-link")
    def admin_link(
        project: Path = typer.Argument(DEFAULT_PROJECT, help="Review project file."),
        host: str = typer.Option("127.0.0.1", "--host"),
        port: int = typer.Option(8765, "--port"),
    ):
        """Make a new admin token (the old one stops working) and print the admin link."""
        from lugha.review import store

        conn = store.open_project(project)
        try:
            token = store.rotate_admin_token(conn)
        finally:
            conn.close()
        typer.echo(f"{_base_url(host, port)}/admin/{token}")

    @review.command("release")
    def release(
        project: Path = typer.Argument(..., help="Review project file."),
        older_than: float = typer.Option(24.0, "--older-than-hours",
                                         help="Release items shown this many hours ago and still unanswered."),
    ):
        """Give unanswered items held by absent reviewers back to the queue."""
        from lugha.review import store

        if older_than < 0:
            raise LughaError(f"--older-than-hours must be >= 0, got {older_than}")
        conn = store.open_project(project)
        try:
            n = store.release_stale_claims(conn, older_than * 3600)
        finally:
            conn.close()
        typer.echo(f"released {n} unanswered item{'s' if n != 1 else ''} older than {older_than:g} h")

    @review.command("serve")
    def serve(
        project: Path = typer.Argument(..., help="Review project file."),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (loopback unless told)."),
        port: int = typer.Option(8765, "--port"),
        synchronous: str = typer.Option("normal", "--synchronous",
                                        help="normal: a label survives the server being killed; full: "
                                             "also an OS crash or power cut (slower)."),
    ):
        """Serve the review app. Reviewers open their personal links; the admin opens /admin/TOKEN."""
        import uvicorn

        from lugha.review.app import create_app

        if synchronous.lower() not in ("normal", "full"):
            raise LughaError(f"--synchronous must be normal or full, got {synchronous!r}")
        app_ = create_app(project, synchronous)
        from lugha.review.security import exposure_warning, listen_urls

        urls = listen_urls(host, port)
        typer.echo(f"lugha review: serving {project} (Ctrl-C stops) on " + ", ".join(urls), err=True)
        warning = exposure_warning(host, port)
        if warning:
            typer.echo(warning, err=True)
        uvicorn.run(app_, host=host, port=port, log_level="warning", access_log=False,
                    server_header=False, date_header=False)

    @review.command("results")
    def results(
        project: Path = typer.Argument(..., help="Review project file."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the results as JSON."),
        html_out: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report."),
        export: Optional[Path] = typer.Option(None, "--export", help="Every label as .csv or .parquet."),
    ):
        """Human-estimated label shares with Wilson 95% intervals, agreement, audit vs humans."""
        from rich.table import Table

        from lugha import report
        from lugha.progress import console
        from lugha.review import store
        from lugha.review.results import compute, write_export

        conn = store.open_project(project)
        try:
            res = compute(conn)
            n_export = write_export(conn, export) if export else None
        finally:
            conn.close()
        if json_out:
            report.write_json(json_out, res)
        if html_out:
            from lugha.review.app import render_results_page

            report.write_text_atomic(html_out, render_results_page(res))
        out = console()
        c = res["counts"]
        out.print(f"{c['labels']} of {c['target_labels']} labels on {c['items']} items from {c['reviewers']} reviewers")

        def pc(x):
            return "–" if x.get("share") is None else f"{100 * x['share']:.1f}% [{100 * x['low']:.1f}–{100 * x['high']:.1f}]"

        for kind, k in res["kinds"].items():
            t = Table(title=f"{kind}: {k['question']} (majority label, Wilson 95%)")
            t.add_column("stratum")
            t.add_column("items", justify="right")
            for v in k["values"]:
                t.add_column(v, justify="right")
            for h, s in k["shares"]["strata"].items():
                t.add_row(h, str(s["decided"]), *[pc(s["labels"][v]) for v in k["values"]])
            t.add_row("all (weighted)", str(sum(s["decided"] for s in k["shares"]["strata"].values())),
                      *[pc(k["shares"]["overall"][v]) for v in k["values"]])
            out.print(t)
            a = k["agreement"]
            fa = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
            out.print(f"agreement: Krippendorff's alpha {fa(a['krippendorff_alpha'])} ({a['alpha_units']} items), "
                      f"Fleiss' kappa {fa(a['fleiss_kappa'])} ({a['kappa_units']} items x {a['kappa_raters']})")
            if "audit_agreement" in k:
                out.print(f"audit category = human majority: {pc(k['audit_agreement'])} "
                          f"({k['audit_agreement']['agree']}/{k['audit_agreement']['decided']})")
            out.print(f"items to adjudicate: {len(k['disagreements'])}")
        out.print(report.signature_string(res["signature"]))
        if n_export is not None:
            out.print(f"exported {n_export} labels to {export}")
