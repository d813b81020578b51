"""`lugha compare`: models x languages side by side from result files (eval bpb/fidelity/mt/
contamination JSON, `tokens tax --json`, reported.yaml), with the honest verdict per language."""

from __future__ import annotations

import json
from pathlib import Path

from lugha.errors import LughaError
from lugha.signature import format_signature


def model_name(spec: str) -> str:
    backend, _, path = spec.partition(":")
    stem = Path(path).name if path else spec
    for suf in (".gguf", ".gz", ".json", ".lm"):
        stem = stem.removesuffix(suf)
    return f"{stem} ({backend})" if path else spec


def compact_signature(sig: dict) -> str:
    """The short one-line signature (hashes cut to 12 hex digits; the JSON keeps them whole). Reads
    results written before the one Signature layout too."""
    return format_signature(sig, short=True)


def load_results(paths: list[str | Path]) -> dict:
    from lugha.evaluate.mt import read_reported

    out = {"bpb": [], "fidelity": [], "mt": [], "contamination": [], "premium": {}, "reported": [],
           "signatures": []}
    for p in paths:
        p = Path(p)
        if not p.is_file():
            raise LughaError("no such file", path=p)
        if p.suffix.lower() in (".yaml", ".yml"):
            out["reported"].extend(read_reported(p))
            continue
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise LughaError(f"not a JSON result file: {e}", path=p) from None
        if not isinstance(doc, dict):
            raise LughaError("not a lugha result (expected a JSON object)", path=p)
        kind = doc.get("kind")
        if kind in ("bpb", "fidelity", "mt", "contamination"):
            out[kind].append(doc)
        elif isinstance(doc.get("premium"), dict):  # lugha tokens tax --json
            for spec, per_lang in doc["premium"].items():
                if isinstance(per_lang, dict):
                    out["premium"].setdefault(spec, {}).update(per_lang)
        else:
            raise LughaError("not a lugha result: no `kind` (bpb/fidelity/mt/contamination) nor `premium`", path=p)
        if "signature" in doc:
            out["signatures"].append(doc["signature"])
    return out


def _ratio_words(r: float) -> str:
    return f"1/{r:,.0f}th" if r >= 2 else f"{1 / r:.1f}x" if r < 1 else "about the same"


def build(results: dict) -> dict:
    """The comparison as plain data: rows per (model, language) and verdicts per language."""
    rows: dict[tuple[str, str], dict] = {}

    def row(model: str, lang: str) -> dict:
        return rows.setdefault((model, lang), {"model": model, "name": model_name(model), "lang": lang})

    for r in results["bpb"]:
        for lang, v in r["languages"].items():
            x = row(r["model"], lang)
            x.update(bpb=v["bpb"], bpb_ci95=v["ci95"], size_bytes=r.get("size_bytes"),
                     n_params=r.get("n_params"), bytes_per_second=r.get("bytes_per_second"))
    for r in results["fidelity"]:
        for lang, v in r["languages"].items():
            x = row(r["model"], lang)
            x.update(lpr=v["lpr"], wpr=v["wpr"], drift_eng=v["line_share"].get("eng", 0.0))
    for r in results["mt"]:
        x = row(r["model"], r["lang"])
        x.update(**{"chrf++": r["chrf++"], "bleu": r["bleu"]})
    reported = []
    for e in results["reported"]:
        measured = None
        for (m, lang), x in rows.items():
            if lang == e["lang"] and e["metric"] in x and (not e["model"] or e["model"].lower() in m.lower()):
                measured = (m, x[e["metric"]])
                break
        reported.append({**e, "measured_model": measured[0] if measured else None,
                         "measured": measured[1] if measured else None,
                         "delta": (measured[1] - e["value"]) if measured and measured[1] is not None else None})
    verdicts = {}
    langs = sorted({lang for _, lang in rows})
    for lang in langs:
        here = [x for (m, l), x in rows.items() if l == lang]
        words = []
        with_bpb = [x for x in here if x.get("bpb") is not None]
        local = [x for x in with_bpb if x["model"].startswith("ngram:")]
        borrowed = [x for x in with_bpb if not x["model"].startswith("ngram:")]
        if local and borrowed:
            lo = min(local, key=lambda x: x["bpb"])
            bo = min(borrowed, key=lambda x: x["bpb"])
            gap = lo["bpb"] - bo["bpb"]
            size = ""
            if lo.get("size_bytes") and bo.get("size_bytes"):
                size = f" at {_ratio_words(bo['size_bytes'] / lo['size_bytes'])} of the size"
            if gap <= 0:
                words.append(f"the local {lo['name']} beats {bo['name']} by {-gap:.2f} bpb{size}")
            else:
                words.append(f"the local {lo['name']} is within {gap:.2f} bpb of {bo['name']}{size}")
        elif with_bpb:
            best = min(with_bpb, key=lambda x: x["bpb"])
            words.append(f"best bpb {best['bpb']:.3f} ({best['name']}); no local/borrowed pair to compare")
        for x in here:
            if x.get("lpr") is not None:
                words.append(f"{x['name']} answers in {lang} in {x['lpr']:.0%} of responses "
                             f"(drift to English {x.get('drift_eng', 0):.0%} of lines)")
        for e in reported:
            if e["lang"] == lang and e["measured"] is not None:
                words.append(f"reported {e['metric']} {e['value']:g} vs measured {e['measured']:.3g}"
                             f" ({e['measured_model'] and model_name(e['measured_model'])})")
        verdicts[lang] = "; ".join(words) if words else "no figures"
    return {"rows": sorted(rows.values(), key=lambda x: (x["lang"], x["model"])), "reported": reported,
            "premium": results["premium"], "verdicts": verdicts,
            "contamination": [{"dirty": r["dirty"], "test_documents": r["test_documents"],
                               "contaminated_share": r["contaminated_share"]} for r in results["contamination"]]}


COLUMNS = [("name", "model"), ("lang", "lang"), ("bpb", "bpb"), ("lpr", "LPR"), ("wpr", "WPR"),
           ("drift_eng", "drift→eng"), ("chrf++", "chrF++"), ("bleu", "BLEU"), ("size_bytes", "size (MB)"),
           ("bytes_per_second", "CPU bytes/s")]


def _cell(key: str, v):
    if v is None:
        return ""
    if key == "size_bytes":
        return f"{v / 1e6:,.1f}"
    if key in ("lpr", "wpr", "drift_eng"):
        return f"{v:.0%}"
    if key == "bytes_per_second":
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def render(cmp: dict, signatures: list[dict]) -> tuple[str, str]:
    """(html, markdown)."""
    from markupsafe import escape

    from lugha.report import bar_chart, md_table, page

    table_rows = [[_cell(k, r.get(k)) for k, _ in COLUMNS] for r in cmp["rows"]]
    headers = [h for _, h in COLUMNS]
    md = ["# Borrowed vs local: side by side", "", "## Verdicts", ""]
    md += [f"- **{lang}**: {v}" for lang, v in cmp["verdicts"].items()]
    md += ["", "## Models × languages", "", md_table(headers, table_rows)]
    prem_langs = sorted({l for v in cmp["premium"].values() for l in v})
    prem_rows = [[spec] + [_cell("x", v.get(l)) for l in prem_langs] for spec, v in cmp["premium"].items()]
    if prem_rows:
        md += ["", "## Tokenizer premium (tokens relative to English)", "", md_table(["tokenizer"] + prem_langs, prem_rows)]
    rep_h = ["model", "lang", "metric", "reported", "measured", "measured − reported", "source"]
    rep_rows = [[e["model"], e["lang"], e["metric"], _cell("x", e["value"]), _cell("x", e["measured"]),
                 _cell("x", e["delta"]), e["source"]] for e in cmp["reported"]]
    if rep_rows:
        md += ["", "## Reported vs measured", "", md_table(rep_h, rep_rows)]
    if cmp["contamination"]:
        md += ["", "## Contamination", ""]
        md += [f"- {c['dirty']} of {c['test_documents']} test documents overlap the training corpus "
               f"({c['contaminated_share']:.1%})" for c in cmp["contamination"]]
    sigs = [compact_signature(s) for s in signatures]
    md += ["", "## Signatures", ""] + [f"- `{s}`" for s in sigs]

    def html_table(h, rs):
        head = "".join(f"<th>{escape(x)}</th>" for x in h)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rs)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = ["<h2>Verdicts</h2><ul>"]
    parts += [f"<li><b>{escape(l)}</b>: {escape(v)}</li>" for l, v in cmp["verdicts"].items()]
    parts.append("</ul><h2>Models × languages</h2>" + html_table(headers, table_rows))
    with_bpb = [r for r in cmp["rows"] if r.get("bpb") is not None]
    if with_bpb:
        parts.append(str(bar_chart([f"{r['name']} · {r['lang']}" for r in with_bpb],
                                   [r["bpb"] for r in with_bpb], title="bits per byte (lower is better)")))
    if prem_rows:
        parts.append("<h2>Tokenizer premium</h2>" + html_table(["tokenizer"] + prem_langs, prem_rows))
    if rep_rows:
        parts.append("<h2>Reported vs measured</h2>" + html_table(rep_h, rep_rows))
    if cmp["contamination"]:
        parts.append("<h2>Contamination</h2><ul>" + "".join(
            f"<li>{c['dirty']} of {c['test_documents']} test documents overlap the training corpus "
            f"({c['contaminated_share']:.1%})</li>" for c in cmp["contamination"]) + "</ul>")
    parts.append("<h2>Signatures</h2><ul>" + "".join(f"<li><code>{escape(s)}</code></li>" for s in sigs) + "</ul>")
    html = page("Borrowed vs local", "".join(parts), signature=None)
    return html, "\n".join(md) + "\n"


def compare(paths: list[str | Path], out_dir: str | Path) -> dict:
    from lugha.report import write_json, write_text_atomic

    results = load_results(paths)
    cmp = build(results)
    html, md = render(cmp, results["signatures"])
    out = Path(out_dir)
    write_text_atomic(out / "compare.html", html)
    write_text_atomic(out / "compare.md", md)
    write_json(out / "compare.json", {**cmp, "signatures": results["signatures"]})
    return cmp
