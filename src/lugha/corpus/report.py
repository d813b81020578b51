"""Audit reports, rendered from summary.json alone (a report can be rebuilt without recomputing)."""

from __future__ import annotations

import json
from pathlib import Path

from lugha import report as kit
from lugha.corpus.audit import CATEGORIES, CATEGORY_NAMES


def _length_labels(bins: list[int]) -> list[str]:
    out = []
    for lo, hi in zip(bins, bins[1:]):
        out.append(f"{lo:,}+" if hi >= 10**12 else f"{lo:,}–{hi - 1:,}")
    return out


def verdict(summary: dict) -> str:
    """One sentence a team can act on."""
    s = summary["shares"]
    name = summary["lang"]["name"]
    cc = s.get("CC", 0.0)
    wl = s.get("WL", 0.0)
    top_wrong = next((lg for lg in summary["langs"] if not lg["matches_claim"] and lg["code"] != "und"), None)
    parts = [f"{cc:.0%} of readable documents are natural {name} text (CC)."]
    if wl >= 0.1 and top_wrong:
        parts.append(f"{wl:.0%} are in another language, most often {top_wrong['name']} ({top_wrong['share']:.0%}).")
    if summary["duplicates"]["duplicate_share"] >= 0.05:
        parts.append(f"{summary['duplicates']['duplicate_share']:.0%} are duplicates of an earlier document.")
    return " ".join(parts)


def render_markdown(summary: dict) -> str:
    c = summary["counts"]
    lines = [f"# Corpus audit: claimed {summary['lang']['name']} ({summary['lang']['code']})", "",
             verdict(summary), "",
             f"Records: {c['total']:,} (unreadable: {c['unreadable']:,}); "
             f"reconciled: {'yes' if summary['reconciled'] else 'NO'} "
             f"({c['total']:,} = " + " + ".join(f"{c[k]:,} {k}" for k in (*CATEGORIES, 'unreadable')) + ")", "",
             "## Categories (Kreutzer et al. 2022)", "",
             kit.md_table(["category", "meaning", "documents", "share of readable"],
                          [[k, CATEGORY_NAMES[k], c[k], f"{summary['shares'][k]:.1%}"] for k in CATEGORIES]),
             "", "## Claimed vs detected language", "",
             kit.md_table(["detected", "name", "documents", "share", "counts as claimed"],
                          [[lg["code"], lg["name"], lg["docs"], f"{lg['share']:.1%}", "yes" if lg["matches_claim"] else "no"]
                           for lg in summary["langs"][:25]]),
             "", "## Scripts (dominant script per document)", "",
             kit.md_table(["script", "documents"], list(summary["scripts"].items())),
             f"\nExpected scripts for {summary['lang']['name']}: {', '.join(summary['lang']['scripts']) or 'unknown'}; "
             f"documents mostly in another script: {summary['script_mismatch']:,}.", "",
             "## Duplicates", "",
             f"Exact: {summary['duplicates']['exact']:,}; near: {summary['duplicates']['near']:,}; "
             f"clusters: {summary['duplicates']['clusters']:,}; "
             f"share of documents that duplicate an earlier one: {summary['duplicates']['duplicate_share']:.1%}.", "",
             "## Personal data (PII)", "",
             kit.md_table(["kind", "found"], list(summary["pii"].items())),
             f"\nDocuments with any PII: {summary['pii_docs']:,}.", ""]
    if summary["domains"]:
        lines += ["## Top domains", "", kit.md_table(["domain", "documents"], list(summary["domains"].items())[:20]), ""]
    if summary["unreadable_examples"]:
        lines += ["## Unreadable records", ""] + [f"- {kit.md_escape(u)}" for u in summary["unreadable_examples"][:20]] + [""]
    lines += ["## Examples", ""]
    for k in CATEGORIES:
        ex = summary["examples"][k][:5]
        if ex:
            lines += [f"### {k}: {CATEGORY_NAMES[k]}", "",
                      kit.md_table(["source:id", "lang", "text"],
                                   [[f"{e['source']}:{e['doc_id']}", e["lang"], e["text"][:200]] for e in ex]), ""]
    lines += ["## Signature", "", "`" + kit.signature_string(summary["signature"] | {"inputs": len(summary["inputs"])}) + "`", ""]
    return "\n".join(lines)


def render_html(summary: dict) -> str:
    c = summary["counts"]
    readable = c["total"] - c["unreadable"]
    charts = {
        "categories": kit.bar_chart([f"{k} {CATEGORY_NAMES[k]}" for k in CATEGORIES],
                                    [summary["shares"][k] for k in CATEGORIES],
                                    title="Share of readable documents per category", fmt="{:.1%}"),
        "langs": kit.bar_chart([f"{lg['code']} {lg['name']}" for lg in summary["langs"][:15]],
                               [lg["share"] for lg in summary["langs"][:15]],
                               title="Detected language (ensemble)", fmt="{:.1%}"),
        "scripts": kit.bar_chart(list(summary["scripts"])[:12], list(summary["scripts"].values())[:12],
                                 title="Dominant script per document", fmt="{:,.0f}"),
        "lengths": kit.bar_chart(_length_labels(summary["length_hist"]["bins"]), summary["length_hist"]["counts"],
                                 title="Document length (characters)", fmt="{:,.0f}"),
    }
    body = kit.render("audit.html", s=summary, c=c, readable=readable, charts=charts, categories=CATEGORIES,
                      names=CATEGORY_NAMES, verdict=verdict(summary))
    sig = summary["signature"] | {"inputs": len(summary["inputs"])}
    return kit.page(f"Corpus audit: claimed {summary['lang']['name']} ({summary['lang']['code']})", body, sig,
                    subtitle=f"{c['total']:,} records from {len(summary['inputs'])} file(s)")


def write_reports(out: Path, summary: dict) -> tuple[Path, Path]:
    html = kit.write_text_atomic(out / "report.html", render_html(summary))
    md = kit.write_text_atomic(out / "report.md", render_markdown(summary))
    return html, md


def rebuild(out: Path) -> tuple[Path, Path]:
    """Re-render both reports from an audit directory's summary.json."""
    summary = json.loads((Path(out) / "summary.json").read_text(encoding="utf-8"))
    return write_reports(Path(out), summary)
