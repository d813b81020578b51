"""Reports for `lid eval` and `lid curve`, rendered from their JSON results through the report kit
(self-contained HTML and Markdown from one structure; language codes and file names come from the
user and are escaped by the kit)."""

from __future__ import annotations

from lugha.report import Chart, Heading, Paragraph, Report, Table, bar_chart, fmt, line_chart


def _pct(v) -> str:
    return "–" if v is None else f"{100 * float(v):.1f}%"


def eval_report(result: dict, charts: bool = True) -> Report:
    from lugha.lid.evaluate import confusion_words

    rows = list(result["backends"].items()) + [("ensemble", result["ensemble"])]
    ens = result["ensemble"]
    predicted = sorted({p for g in ens["confusion"].values() for p in g})
    b: list = [Heading("Macro-F1")]
    if charts:
        b.append(Chart(bar_chart([n for n, _ in rows], [m["macro_f1"] for _, m in rows], title="macro-F1",
                                 xlabel="macro-F1")))
    b += [
        Table(["backend", "macro-F1", "accuracy", "cannot emit", "top confusions"],
              [[name, fmt(m["macro_f1"]), _pct(m["accuracy"]), ", ".join(m["cannot_emit"]) or "–",
                "; ".join(confusion_words(c) for c in m["top_confusions"][:4]) or "–"] for name, m in rows],
              num=[1, 2]),
        Heading("F1 per language"),
        Table(["language", "texts", *[name for name, _ in rows]],
              [[lang, rows[-1][1]["per_language"][lang]["support"],
                *[fmt(m["per_language"][lang]["f1"]) for _, m in rows]] for lang in result["languages"]],
              num=range(1, len(rows) + 2)),
        Heading("Ensemble confusion matrix (rows: gold, columns: predicted)"),
        Table(["", *predicted], [[g, *[ens["confusion"][g].get(p, "") for p in predicted]]
                                 for g in result["languages"]], num=range(1, len(predicted) + 1), row_headers=True),
    ]
    return Report("Language ID evaluation", b, signature=result.get("signature"),
                  subtitle=f"{result['n']:,} labelled texts, {len(result['languages'])} languages")


def curve_report(curve: dict, signature: dict | None = None, charts: bool = True) -> Report:
    xs = [p["paragraphs_per_language"] for p in curve["points"]]
    b: list = [Paragraph(f"Held-out texts: {curve['held_out']} ({curve['held_out_source']}).")]
    if charts:
        series = {lang: [p["f1"].get(lang, 0.0) for p in curve["points"]] for lang in curve["languages"]}
        series["macro-F1"] = [p["macro_f1"] for p in curve["points"]]
        b.append(Chart(line_chart(xs, series, title="F1 as the training set grows", xlabel="paragraphs per language",
                                  ylabel="F1", log_x=True)))
    b.append(Table(["paragraphs per language", *curve["languages"], "macro-F1"],
                   [[p["paragraphs_per_language"], *[fmt(p["f1"].get(lang, 0)) for lang in curve["languages"]],
                     fmt(p["macro_f1"])] for p in curve["points"]], num=range(0, len(curve["languages"]) + 2)))
    return Report("How much text does language ID need?", b, signature=signature)


def eval_html(result: dict) -> str:
    return eval_report(result).html()


def eval_markdown(result: dict) -> str:
    return eval_report(result, charts=False).markdown()


def curve_html(curve: dict, signature: dict | None = None) -> str:
    return curve_report(curve, signature).html()


def curve_markdown(curve: dict, signature: dict | None = None) -> str:
    return curve_report(curve, signature, charts=False).markdown()
