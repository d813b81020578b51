"""HTML pages for `lid eval` and `lid curve`, rendered from their JSON results (self-contained,
autoescaped: language codes and file names come from the user)."""

from __future__ import annotations

import jinja2

from lugha.report import bar_chart, environment, line_chart, page

_EVAL = """
<h2>Macro-F1</h2>
{{ chart }}
<table>
<tr><th>backend</th><th>macro-F1</th><th>accuracy</th><th>cannot emit</th><th>top confusions</th></tr>
{% for name, m in rows %}
<tr><td>{{ name }}</td><td>{{ m.macro_f1 | fmt }}</td><td>{{ m.accuracy | pct }}</td>
<td>{{ m.cannot_emit | join(", ") or "–" }}</td>
<td>{{ words(m.top_confusions[:4]) | join("; ") or "–" }}</td></tr>
{% endfor %}
</table>
<h2>F1 per language</h2>
<table>
<tr><th>language</th><th>texts</th>{% for name, _ in rows %}<th>{{ name }}</th>{% endfor %}</tr>
{% for lang in languages %}
<tr><td>{{ lang }}</td><td>{{ rows[-1][1].per_language[lang].support }}</td>
{% for name, m in rows %}<td>{{ m.per_language[lang].f1 | fmt }}</td>{% endfor %}</tr>
{% endfor %}
</table>
<h2>Ensemble confusion matrix (rows: gold, columns: predicted)</h2>
<table>
<tr><th></th>{% for p in predicted %}<th>{{ p }}</th>{% endfor %}</tr>
{% for g in languages %}
<tr><th>{{ g }}</th>{% for p in predicted %}<td>{{ ens.confusion[g].get(p, "") }}</td>{% endfor %}</tr>
{% endfor %}
</table>
"""

_CURVE = """
<p>Held-out texts: {{ curve.held_out }} ({{ curve.held_out_source }}).</p>
{{ chart }}
<table>
<tr><th>paragraphs per language</th>{% for lang in curve.languages %}<th>{{ lang }}</th>{% endfor %}<th>macro-F1</th></tr>
{% for p in curve.points %}
<tr><td>{{ p.paragraphs_per_language }}</td>{% for lang in curve.languages %}<td>{{ p.f1.get(lang, 0) | fmt }}</td>{% endfor %}<td>{{ p.macro_f1 | fmt }}</td></tr>
{% endfor %}
</table>
"""


def _template(src: str) -> jinja2.Template:
    return environment().from_string(src)


def eval_html(result: dict) -> str:
    rows = list(result["backends"].items()) + [("ensemble", result["ensemble"])]
    ens = result["ensemble"]
    predicted = sorted({p for g in ens["confusion"].values() for p in g})
    chart = bar_chart([n for n, _ in rows], [m["macro_f1"] for _, m in rows], title="macro-F1", xlabel="macro-F1")
    from lugha.lid.evaluate import confusion_words

    body = _template(_EVAL).render(rows=rows, languages=result["languages"], ens=ens, predicted=predicted,
                                   chart=chart, words=lambda cs: [confusion_words(c) for c in cs])
    return page("Language ID evaluation", body, result.get("signature"),
                subtitle=f"{result['n']:,} labelled texts, {len(result['languages'])} languages")


def curve_html(curve: dict, signature: dict | None = None) -> str:
    xs = [p["paragraphs_per_language"] for p in curve["points"]]
    series = {lang: [p["f1"].get(lang, 0.0) for p in curve["points"]] for lang in curve["languages"]}
    series["macro-F1"] = [p["macro_f1"] for p in curve["points"]]
    chart = line_chart(xs, series, title="F1 as the training set grows", xlabel="paragraphs per language",
                       ylabel="F1", log_x=True)
    body = _template(_CURVE).render(curve=curve, chart=chart)
    return page("How much text does language ID need?", body, signature)
