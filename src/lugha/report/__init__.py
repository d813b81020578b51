"""One kit for every report: one section structure rendered to Markdown and to self-contained HTML.

Build a `Report` from blocks, render it both ways::

    from lugha import report as kit
    from lugha.report import Report, Heading, Paragraph, Table, KeyValues, Chart, Sample, Code, Strong

    rep = Report("MCQ accuracy: Tigrinya", subtitle="412 questions", signature=result["signature"], blocks=[
        Paragraph(["Accuracy ", Strong(f"{acc:.1%}"), " on ", n, " questions (", Code(path), ")."]),
        Heading("Per subject"),
        Table(["subject", "questions", "accuracy"], [[s, k, f"{a:.1%}"] for s, k, a in rows]),
        Chart(kit.bar_chart(subjects, accs, title="accuracy", fmt="{:.1%}")),  # HTML only
        KeyValues([("model", Code(spec)), ("shots", 5)], headers=("setting", "value")),
        Heading("Examples", level=3),
        Table(["question", "answer"], [[Sample(q, lang="ti"), a] for q, a in examples]),
    ])
    kit.write_text_atomic(out / "report.md", rep.markdown())
    kit.write_text_atomic(out / "report.html", rep.html())

Inline content (paragraph, table cell, list item) is a str/number, `Code`, `Strong`, `Muted`, `Status`
(good/bad colour), `Sample` (untrusted text in a language: lang/dir attributes, bidi-isolated), or a
list of those. Blocks: `Heading`, `Paragraph`, `Callout`, `BulletList`, `KeyValues`, `Table`,
`Chart` (inline SVG from `bar_chart`/`histogram`/`line_chart`/`stacked_share_chart`, HTML only),
`Cards`, `Details`, `SignatureBlock`; any block takes `only="html"` or `only="markdown"`.

Every string is escaped by the renderers (corpus text, file names and model output are untrusted web
content); nothing here marks user text as safe. Only SVG that matplotlib drew from numbers goes in
raw. HTML pages embed subset Noto fonts for the Ethiopic, Arabic, N'Ko, Tifinagh and Adlam text on
them (`lugha.report.fonts`), so they read the same on a machine without those fonts, and make no
network request (CSP `default-src 'none'`). The signature is rendered by `signature_text`.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import jinja2
from markupsafe import Markup

from lugha import __version__
from lugha.records import to_json, write_json, write_text  # noqa: F401  (re-exported for the pillars)
from lugha.report.blocks import (  # noqa: F401  (the kit's public API)
    BulletList, Callout, Card, Cards, Chart, Code, Details, Heading, KeyValues, Muted, Paragraph, Report,
    Sample, SignatureBlock, Status, Strong, Table, blocks_html, code_spans, fmt, md_escape, md_text, signature_text,
    to_html, to_markdown,
)
from lugha.signature import format_signature

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("lugha", "report/templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def environment(extra_loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """The shared environment; a pillar may add its own template folder (ChoiceLoader)."""
    if extra_loader is None:
        return _env
    env = _env.overlay(loader=jinja2.ChoiceLoader([extra_loader, _env.loader]))
    return env


def render(template: str, **context: Any) -> str:
    """Render a template from lugha/report/templates (or an overlay's) with the shared globals."""
    return _env.get_template(template).render(lugha_version=__version__, **context)


def page(title: str, body_html: str | Markup, signature: Any = None, subtitle: str = "",
         embed_fonts: bool = True) -> str:
    """A complete self-contained HTML page around already-rendered (escaped) body HTML, with subset
    web fonts embedded for the scripts that occur in it (lugha.report.fonts)."""
    from lugha.report.blocks import signature_text
    from lugha.report.fonts import font_faces, font_stack

    sig = signature_text(signature) if signature else ""
    css = font_faces(f"{title} {subtitle} {body_html} {sig}").css if embed_fonts else ""
    return render("page.html", title=title, subtitle=subtitle, body=Markup(body_html), signature=sig,
                  font_css=Markup(css), font_stack=Markup(font_stack()),
                  mono_stack=Markup(font_stack("ui-monospace, monospace")))


# ---- signatures and files: one implementation each, in lugha.signature and lugha.records --------

def signature_string(sig) -> str:
    """sacrebleu-style compact signature: lugha:0.1.0|task:audit|lid:pycld2-0.42+heliport-1.0.1|lang:tir|..."""
    return format_signature(sig, short=True)


write_text_atomic = write_text  # the old name; files get the umask's mode (0644 under 022)

# ---- charts (inline SVG) ----------------------------------------------------------------------

def _svg(fig) -> Markup:
    import matplotlib

    buf = io.StringIO()
    # a fixed salt makes the clip-path ids a hash of their content (else random per run) and no date is
    # written: the same figures give the same bytes, so a report can be compared with its rerun
    with matplotlib.rc_context({"svg.hashsalt": "lugha"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.find("<svg"):]  # drop the XML prolog and DOCTYPE
    return Markup(_unique_ids(svg))


def _unique_ids(svg: str) -> str:
    """Prefix every id in one chart (and every reference to it) with a hash of the chart: matplotlib
    numbers its groups patch_1, axes_1, ... in every figure, so two charts on a page shared ids."""
    import hashlib
    import re

    ids = sorted(set(re.findall(r'\bid="([^"]+)"', svg)), key=len, reverse=True)
    if not ids:
        return svg
    tag = "c" + hashlib.sha256(svg.encode("utf-8")).hexdigest()[:8] + "-"
    names = "|".join(re.escape(i) for i in ids)
    return re.sub(rf'(\bid="|#)({names})(?=[")])', lambda m: m.group(1) + tag + m.group(2), svg)


def _figure(width: float, height: float):
    """A figure and its axes, made without pyplot: no GUI backend or figure manager to set up
    (importing pyplot was about a second of every report's first chart), and nothing to close:
    the figure is freed with its last reference. The SVG written is the same."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text; the browser picks a font
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str = "", xlabel: str = "",
              horizontal: bool = True, color: str = "#3b6ea5", fmt: str = "{:.2f}",
              errors: Sequence[tuple[float, float]] | None = None) -> Markup:
    """A labelled bar chart as inline SVG. `errors` are (low, high) interval bounds per bar."""
    n = max(len(labels), 1)
    fig, ax = _figure(7, max(1.6, 0.32 * n + 0.8) if horizontal else 3.2)
    pos = list(range(len(labels)))
    xerr = None
    if errors:
        xerr = [[max(0.0, v - lo) for v, (lo, _) in zip(values, errors)],
                [max(0.0, hi - v) for v, (_, hi) in zip(values, errors)]]
    if horizontal:
        ax.barh(pos, values, color=color, xerr=xerr, capsize=3 if xerr else 0)
        ax.set_yticks(pos, [str(x) for x in labels])
        ax.invert_yaxis()
        for p, v in zip(pos, values):
            if not (isinstance(v, float) and math.isnan(v)):
                ax.text(v, p, " " + fmt.format(v), va="center", fontsize=8)
        ax.set_xlabel(xlabel)
    else:
        ax.bar(pos, values, color=color, yerr=xerr, capsize=3 if xerr else 0)
        ax.set_xticks(pos, [str(x) for x in labels], rotation=45, ha="right")
        ax.set_ylabel(xlabel)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def histogram(values: Iterable[float], bins: int | Sequence[float] = 30, title: str = "",
              xlabel: str = "", log_x: bool = False) -> Markup:
    import numpy as np

    vals = np.asarray(list(values), dtype=float)
    fig, ax = _figure(7, 2.8)
    if vals.size:
        if log_x:
            vals = vals[vals > 0]
            lo, hi = (vals.min(), vals.max()) if vals.size else (1, 10)
            edges = np.logspace(np.log10(max(lo, 1)), np.log10(max(hi, 2)), 30) if isinstance(bins, int) else bins
            ax.hist(vals, bins=edges, color="#3b6ea5")
            ax.set_xscale("log")
        else:
            ax.hist(vals, bins=bins, color="#3b6ea5")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("documents")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def line_chart(x: Sequence[float], series: dict[str, Sequence[float]], title: str = "",
               xlabel: str = "", ylabel: str = "", log_x: bool = False) -> Markup:
    fig, ax = _figure(7, 3.4)
    for name, ys in series.items():
        ax.plot(list(x), list(ys), marker="o", label=str(name))
    if log_x:
        ax.set_xscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(fontsize=7, ncol=2)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def stacked_share_chart(labels: Sequence[str], shares: dict[str, Sequence[float]], title: str = "") -> Markup:
    """Horizontal stacked bars of shares (0..1) per label, one colour per series."""
    fig, ax = _figure(7, max(1.6, 0.35 * len(labels) + 0.9))
    left = [0.0] * len(labels)
    for name, vals in shares.items():
        ax.barh(range(len(labels)), vals, left=left, label=str(name))
        left = [a + b for a, b in zip(left, vals)]
    ax.set_yticks(range(len(labels)), [str(x) for x in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.legend(fontsize=7, ncol=min(6, len(shares)), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    ax.set_title(title, pad=24)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


# ---- Markdown ---------------------------------------------------------------------------------

def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
           "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(md_escape(fmt(c)) for c in r) + " |")
    return "\n".join(out)


_fmt = fmt


_env.filters["fmt"] = _fmt
_env.filters["pct"] = lambda v, d=1: "–" if v is None else f"{100 * float(v):.{d}f}%"

