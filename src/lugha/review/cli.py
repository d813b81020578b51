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
        store.add_batch(conn, batch.form or batch.kind, batch.source, batch.sha256, batch.params,
                        batch.population, batch.items, reviewers, batch.order, blind_key=batch.blind_key)
        counts = store.counts(conn)
    finally:
        conn.close()
    out = console()
    strata = {}
    for it in batch.items:
        strata[it["stratum"]] = strata.get(it["stratum"], 0) + 1
    if batch.blind_key:
        where = (f"{len(batch.blind_key)} models behind opaque ids (the key is in the project; "
                 "`lugha review results` and the admin page name them)")
    else:
        where = ", ".join(f"{k} {v}" for k, v in sorted(strata.items()))
    out.print(f"Added {len(batch.items)} {batch.kind} items ({reviewers} reviewers each) to {project}: {where}")
    for why, n in sorted(batch.left_out.items()):
        out.print(f"Left out {n} row{'s' if n != 1 else ''}: {why}")
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
        form: Optional[str] = typer.Option(None, "--form", help="A form TOML file to rate them with "
                                                                  "(default: the package form of --kind)."),
        reviewers: int = typer.Option(3, "--reviewers", "-k", help="Reviewers per item."),
        seed: int = typer.Option(0, "--seed", help="Seed for the order items are shown in."),
        into: Path = typer.Option(DEFAULT_PROJECT, "--into", help="Review project file (created if new)."),
    ):
        """Import model outputs (or images) to be rated by native speakers."""
        from lugha.review.forms import load_form
        from lugha.review.sampling import import_generations, import_images

        if kind == "generation":
            batch = import_generations(file, seed)
        elif kind == "image":
            batch = import_images(file, seed)
        else:
            raise LughaError(f"--kind must be generation or image, got {kind!r}")
        if form is not None:
            f = load_form(form)
            if f.shows != kind or f.blind:
                raise LughaError(f"--kind {kind} needs a form that shows {kind} and is not blinded "
                                 "(blinded answers: `lugha review import-answers`)", f.source)
            batch.form, batch.kind = f, f.name
            for it in batch.items:
                it["kind"] = f.name
        _add_batch(into, batch, reviewers)

    @review.command("import-answers")
    def import_answers_(
        file: Path = typer.Argument(..., help="JSONL from `lugha eval generate` (prompt_id, lang, domain, "
                                              "risk, prompt, model, answer)."),
        form: str = typer.Option("rubric", "--form", help="rubric, checklist, ab, crisis, or a form TOML file."),
        pair: Optional[str] = typer.Option(None, "--pair", help="A/B forms: the two models, A,B "
                                                                  "(default: the only two in the file)."),
        risk: Optional[str] = typer.Option(None, "--risk", help="Only prompts of this risk level "
                                                                  "(e.g. crisis for the crisis form)."),
        reviewers: int = typer.Option(2, "--reviewers", "-k", help="Reviewers per item."),
        seed: int = typer.Option(0, "--seed", help="Seed for item order and A/B sides."),
        into: Path = typer.Option(DEFAULT_PROJECT, "--into", help="Review project file (created if new)."),
    ):
        """Generated answers as a blinded rubric, checklist, crisis or side-by-side (A/B) batch."""
        from lugha.review.forms import load_form
        from lugha.review.sampling import import_answers

        pair_t = None
        if pair is not None:
            parts = [p.strip() for p in pair.split(",")]
            if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
                raise LughaError(f"--pair needs two different models, A,B; got {pair!r}")
            pair_t = (parts[0], parts[1])
        f = load_form(form)
        if pair_t is not None and f.shows != "pair":
            raise LughaError(f"--pair is for side-by-side forms; {f.name!r} shows one answer", f.source)
        _add_batch(into, import_answers(file, f, seed=seed, pair=pair_t, risk=risk), reviewers)

    @review.command("import-images")
    def import_images_(
        folder: Path = typer.Argument(..., help="A folder of PNG/JPEG images."),
        prompts: Path = typer.Option(..., "--prompts", help=".jsonl/.csv/.tsv: image, prompt, optional model, "
                                                             "and any attributes (wealth, place, ...)."),
        form: str = typer.Option("stereotype", "--form", help="stereotype, image, or a form TOML file "
                                                                "that shows images."),
        max_mb: float = typer.Option(20.0, "--max-mb", help="Refuse images larger than this."),
        reviewers: int = typer.Option(3, "--reviewers", "-k", help="Reviewers per item."),
        seed: int = typer.Option(0, "--seed", help="Seed for the order images are shown in."),
        into: Path = typer.Option(DEFAULT_PROJECT, "--into", help="Review project file (created if new)."),
    ):
        """Generated images with their prompts and prompt attributes, for stereotype review."""
        from lugha.review.forms import load_form
        from lugha.review.sampling import import_image_set

        if max_mb <= 0:
            raise LughaError(f"--max-mb must be positive, got {max_mb:g}")
        _add_batch(into, import_image_set(folder, prompts, load_form(form), seed=seed,
                                          max_bytes=int(max_mb * 2**20)), reviewers)

    @review.command("form")
    def form_(
        spec: str = typer.Argument(..., help="A package form (corpus, generation, image, rubric, checklist, ab, "
                                             "crisis, stereotype) or a form TOML file."),
        check: bool = typer.Option(False, "--check", help="Only validate: print a one-line summary."),
    ):
        """Print a form's TOML (copy a package form to edit it: `lugha review form rubric > mine.toml`),
        or check your own file (errors name the file and line)."""
        from lugha.review.forms import load_form

        f = load_form(spec)
        if check:
            kinds = ", ".join(f"{c.id} ({c.kind})" for c in f.criteria)
            typer.echo(f"{f.source}: form {f.name!r} shows {f.shows}{', blinded' if f.blind else ''}; "
                       f"{len(f.criteria)} criteria: {kinds}")
        else:
            typer.echo(f.toml, nl=False)

    @review.command("add-reviewer")
    def add_reviewer(
        name: str = typer.Argument(..., help="The reviewer's name (shown to the admin only)."),
        project: Path = typer.Option(DEFAULT_PROJECT, "--project", "-p", help="Review project file."),
        role: str = typer.Option("speaker", "--role", help="speaker, clinician, linguist or other "
                                                            "(kept with every answer they give)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Host the server will be reached at."),
        port: int = typer.Option(8765, "--port"),
    ):
        """Add a reviewer and print their personal link (shown once)."""
        from lugha.review import store

        conn = store.open_project(project)
        try:
            token = store.add_reviewer(conn, name, role=role)
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
        md_out: Optional[Path] = typer.Option(None, "--md", help="Write the same report as Markdown."),
        export: Optional[Path] = typer.Option(None, "--export", help="Every label as .csv or .parquet."),
        ratings: Optional[Path] = typer.Option(None, "--ratings", help="Every answer to every criterion, one "
                                                                        "row each, models named: .parquet or .json."),
    ):
        """Human-estimated label shares with Wilson 95% intervals, agreement, audit vs humans."""
        from rich.table import Table

        from lugha import report
        from lugha.progress import console
        from lugha.review import store
        from lugha.review.results import compute, render_html, render_markdown, write_export, write_ratings

        conn = store.open_project(project)
        try:
            res = compute(conn)
            n_export = write_export(conn, export) if export else None
            n_ratings = write_ratings(conn, ratings) if ratings else None
        finally:
            conn.close()
        if json_out:
            report.write_json(json_out, res)
        if html_out:
            report.write_text_atomic(html_out, render_html(res))
        if md_out:
            report.write_text_atomic(md_out, render_markdown(res))
        out = console()
        c = res["counts"]
        out.print(f"{c['labels']} of {c['target_labels']} labels on {c['items']} items from {c['reviewers']} reviewers")

        def pc(x):
            return "–" if x.get("share") is None else f"{100 * x['share']:.1f}% [{100 * x['low']:.1f}–{100 * x['high']:.1f}]"

        fa = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
        for kind, k in res["kinds"].items():
            if "shares" not in k:
                t = Table(title=f"{kind}: {k['labelled_items']} of {k['items']} items rated ({k['labels']} labels), "
                                "per criterion (never pooled)")
                for col in ("criterion", "model", "lang", "items", "ratings", "mean [95% bootstrap]",
                            "flagged [Wilson 95%]", "alpha (level)"):
                    t.add_column(col, justify="left" if col in ("criterion", "model", "lang") else "right")
                for cid, cr in k["criteria"].items():
                    for g in cr["groups"]:
                        mean = "–" if g["mean"] is None else f"{g['mean']:.2f} [{g['mean_low']:.2f}–{g['mean_high']:.2f}]"
                        fl = g.get("flagged")
                        flag = pc({"share": fl["rate"], "low": fl["low"], "high": fl["high"]}) if fl else "–"
                        t.add_row(cid, g["model"], g["lang"], str(g["items"]), str(g["ratings"]), mean, flag,
                                  f"{fa(g['agreement'].get('alpha'))} ({g['level']})")
                out.print(t)
                if k.get("pooled_alpha") is not None:
                    out.print(f"pooled alpha over all criteria (for contrast only, not a measure of any of them): "
                              f"{fa(k['pooled_alpha'])}")
                continue
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
            out.print(f"agreement: Krippendorff's alpha {fa(a['krippendorff_alpha'])} ({a['alpha_units']} items), "
                      f"Fleiss' kappa {fa(a['fleiss_kappa'])} ({a['kappa_units']} items x {a['kappa_raters']})")
            if "audit_agreement" in k:
                out.print(f"audit category = human majority: {pc(k['audit_agreement'])} "
                          f"({k['audit_agreement']['agree']}/{k['audit_agreement']['decided']})")
            out.print(f"items to adjudicate: {len(k['disagreements'])}")
        out.print(report.signature_string(res["signature"]))
        if n_export is not None:
            out.print(f"exported {n_export} labels to {export}")
        if n_ratings is not None:
            out.print(f"exported {n_ratings} criterion ratings to {ratings}")
