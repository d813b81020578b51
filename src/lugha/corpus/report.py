"""Audit reports, rendered from summary.json alone (a report can be rebuilt without recomputing)."""

from __future__ import annotations

import json
from pathlib import Path

from lugha import report as kit
from lugha.report import (BulletList, Card, Cards, Chart, Code, Details, Heading, KeyValues, Paragraph, Sample,
                          Status, Strong, Table)
from lugha.corpus.categories import CATEGORIES, CATEGORY_NAMES


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


def _langs_cell(summary: dict) -> list:
    lg = summary["lang"]
    return [lg["name"], " (", Code(lg["code"]), ", tag “", lg["tag"], "”)"]


def sections(summary: dict, charts: bool = True) -> kit.Report:
    """The audit report as one structure (rendered to report.md and report.html)."""
    c = summary["counts"]
    s = summary
    lang = s["lang"]
    cats = list(CATEGORIES)
    reconcile = (f"{c['total']:,} = " + " + ".join(f"{c[k]:,} {k}" for k in (*cats, "unreadable")))
    b: list = [
        Paragraph(Strong(verdict(s)), only="html"),
        Paragraph(verdict(s), only="markdown"),
        Cards([Card(c["total"], "records")]
              + [Card(pct(s["shares"][k]), f"{k} · {CATEGORY_NAMES[k]}", c[k]) for k in cats]
              + [Card(c["unreadable"], "unreadable"),
                 Card(pct(s["duplicates"]["duplicate_share"]), "are duplicates")],
              only="html"),
        Paragraph(Status([f"Records: {c['total']:,} (unreadable: {c['unreadable']:,}). Every record accounted for "
                          f"(reconciled: {'yes' if s['reconciled'] else 'NO — DOES NOT RECONCILE'}): {reconcile}."],
                         s["reconciled"])),
        Heading("Categories (Kreutzer et al. 2022)"),
        Paragraph("Kreutzer et al. (TACL 2022): CC correct natural text · CB correct language but boilerplate · CS correct but too short · "
                  "WL wrong language · NL not language. Thresholds are in the configuration below.", cls="muted"),
        Table(["category", "meaning", "documents", "share of readable"],
              [[k, CATEGORY_NAMES[k], c[k], f"{s['shares'][k]:.1%}"] for k in cats], num=[2, 3]),
    ]
    if charts:
        b.append(Chart(kit.bar_chart([f"{k} {CATEGORY_NAMES[k]}" for k in cats], [s["shares"][k] for k in cats],
                                     title="Share of readable documents per category", fmt="{:.1%}")))
    b += [
        Heading("Claimed vs detected language"),
        Paragraph(["Claimed: ", Strong(lang["name"]), " (", Code(lang["code"]), ", tag “", lang["tag"],
                   "”); codes that count as it: ", Code(", ".join(lang["equivalents"])),
                   ". Language-ID backends: ", ", ".join(s["lid_backends"]), " (ensemble vote)."]),
    ]
    if charts:
        b.append(Chart(kit.bar_chart([f"{lg['code']} {lg['name']}" for lg in s["langs"][:15]],
                                     [lg["share"] for lg in s["langs"][:15]],
                                     title="Detected language (ensemble)", fmt="{:.1%}")))
    b.append(Table(["detected", "name", "documents", "share", "counts as claimed", *cats],
                   [[Code(lg["code"]), lg["name"], lg["docs"], f"{lg['share']:.1%}",
                     Status("yes" if lg["matches_claim"] else "no", lg["matches_claim"]),
                     *[lg.get("categories", {}).get(k, 0) for k in cats]] for lg in s["langs"][:30]],
                   num=[2, 3, *range(5, 5 + len(cats))]))
    b += [
        Heading("Scripts (dominant script per document)"),
        Table(["script", "documents"], [[k, v] for k, v in s["scripts"].items()]),
        Paragraph([f"Expected scripts for {lang['name']}: ", Code(", ".join(lang["scripts"]) or "unknown"),
                   f"; documents whose letters are mostly in another script: ", Strong(f"{s['script_mismatch']:,}"), "."]),
    ]
    if charts:
        b.append(Chart(kit.bar_chart(list(s["scripts"])[:12], list(s["scripts"].values())[:12],
                                     title="Dominant script per document", fmt="{:,.0f}")))
    b += [Heading("Lengths")]
    if charts:
        b.append(Chart(kit.bar_chart(_length_labels(s["length_hist"]["bins"]), s["length_hist"]["counts"],
                                     title="Document length (characters)", fmt="{:,.0f}")))
    b += [
        Table(["characters", "documents"], list(zip(_length_labels(s["length_hist"]["bins"]),
                                                    s["length_hist"]["counts"])), only="markdown"),
        Paragraph(f"{s['chars']:,} characters, {s['words']:,} words, {s['bytes']:,} bytes of input.", cls="muted"),
        Heading("Duplicates"),
        Paragraph([f"Exact duplicates: {s['duplicates']['exact']:,}; near duplicates: {s['duplicates']['near']:,}; "
                   f"clusters: {s['duplicates']['clusters']:,}; share of documents that duplicate an earlier one: "
                   f"{s['duplicates']['duplicate_share']:.1%}. Each duplicate's ", Code("dup_of"),
                   " names the first document of its cluster."]),
    ]
    if s["duplicates"].get("top_clusters"):
        b.append(Table(["size", "first document", "text"],
                       [[cl["size"], Code(f"{cl['first']['source']}:{cl['first']['doc_id']}"),
                         Sample(cl["text"])] for cl in s["duplicates"]["top_clusters"]]))
    b += [
        Heading("Personal data (PII)"),
        Table(["kind", "found"], [[k, v] for k, v in s["pii"].items()]),
        Paragraph(["Documents with any PII: ", Strong(f"{s['pii_docs']:,}"), "."]),
    ]
    if s["domains"]:
        b += [Heading("Top domains"), Table(["domain", "documents"], [[d, n] for d, n in list(s["domains"].items())[:20]])]
    if s["unreadable_examples"]:
        b += [Heading("Unreadable records"), BulletList([Code(u) for u in s["unreadable_examples"][:50]])]
    b.append(Heading("Examples per category"))
    for k in cats:
        ex = s["examples"][k]
        b.append(Details([Strong(k), f" · {CATEGORY_NAMES[k]} ({len(ex)} shown of {c[k]:,})"], [
            Table(["source:id", "lang", "script", "text"],
                  [[Code(f"{e['source']}:{e['doc_id']}"), f"{e['lang']} {e['lang_score']}", e["script"],
                    Sample(e["text"], lang=e["lang"], truncated=e.get("truncated", False))] for e in ex])],
            open=k in ("WL", "NL") and bool(ex), only="html"))
        if ex[:5]:
            b += [Heading(f"{k}: {CATEGORY_NAMES[k]}", level=3, only="markdown"),
                  Table(["source:id", "lang", "text"],
                        [[f"{e['source']}:{e['doc_id']}", e["lang"], Sample(e["text"][:200], lang=e["lang"])]
                         for e in ex[:5]], only="markdown")]
    b += [
        Heading("Inputs"),
        Table(["file", "records", "unreadable", "SHA-256"],
              [[i["path"], i["records"], i["unreadable"], Code(i["sha256"][:16] + "…")] for i in s["inputs"]]),
        Heading("Configuration"),
        KeyValues([(Code(k), v) for k, v in s["config"]["categories"].items()]
                  + [(Code(f"dedup.{k}"), v) for k, v in s["config"]["dedup"].items()], headers=("setting", "value")),
        Paragraph(f"Boilerplate phrases: {len(s['config']['boilerplate_phrases'])} ({s['config']['source']}).",
                  cls="muted"),
    ]
    return kit.Report(f"Corpus audit: claimed {lang['name']} ({lang['code']})", b,
                      subtitle=f"{c['total']:,} records from {len(s['inputs'])} file(s)",
                      signature=_signature(s))


def _signature(summary: dict):
    """What the report prints as the signature (the short form counts the inputs and cuts the
    hashes; the JSON keeps every input hash)."""
    return summary["signature"]


def pct(v: float) -> str:
    return f"{100 * float(v):.1f}%"


def render_markdown(summary: dict) -> str:
    return sections(summary, charts=False).markdown()


def render_html(summary: dict, embed_fonts: bool = True) -> str:
    return sections(summary).html(embed_fonts=embed_fonts)


def write_reports(out: Path, summary: dict) -> tuple[Path, Path]:
    html = kit.write_text_atomic(out / "report.html", render_html(summary))
    md = kit.write_text_atomic(out / "report.md", render_markdown(summary))
    return html, md


def rebuild(out: Path) -> tuple[Path, Path]:
    """Re-render both reports from an audit directory's summary.json."""
    summary = json.loads((Path(out) / "summary.json").read_text(encoding="utf-8"))
    return write_reports(Path(out), summary)
