"""`lugha compare`: models x languages side by side from result files (eval bpb/fidelity/mt/
contamination JSON, `tokens tax --json`, reported.yaml, the `training.json` that `lugha train lm|lora`
write), with the honest verdict per language.

Each model is one of four kinds, in this order in the table: a borrowed model zero-shot (`gguf:`,
a hub name, an embedded model), the borrowed model + LoRA (`lora:DIR`, or its `DIR/merged` folder),
a local model trained from scratch (`hf:DIR` with a `train lm` training.json) and the local n-gram
(`ngram:`). A model's training figures (tokens, wall and CPU time, peak memory) come from the
training.json next to it (DIR/training.json, found automatically) or given on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from lugha.errors import LughaError
from lugha.signature import Signature, format_signature


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


TRAINING_TASKS = ("train-lm", "train-lora", "train-ngram")


def load_results(paths: list[str | Path]) -> dict:
    from lugha.evaluate.mt import read_reported

    out = {"bpb": [], "fidelity": [], "mt": [], "contamination": [], "premium": {}, "reported": [],
           "signatures": [], "training": {}}
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
        elif (doc.get("signature") or {}).get("task") in TRAINING_TASKS:  # a training.json
            if doc["signature"]["task"] == "train-ngram":  # beside its model file: FILE.training.json
                out["training"][str(p.resolve().with_name(p.name.removesuffix(".training.json")))] = doc
            else:
                out["training"][str(p.resolve().parent)] = doc
        elif isinstance(doc.get("premium"), dict):  # lugha tokens tax --json
            for spec, per_lang in doc["premium"].items():
                if isinstance(per_lang, dict):
                    out["premium"].setdefault(spec, {}).update(per_lang)
        else:
            raise LughaError("not a lugha result: no `kind` (bpb/fidelity/mt/contamination), `premium` nor a "
                             "training signature (train-lm/train-lora/train-ngram)", path=p)
        if "signature" in doc:
            out["signatures"].append(doc["signature"])
    return out


KINDS = ("borrowed", "borrowed + LoRA", "local from scratch", "local n-gram")


def training_of(spec: str, known: dict) -> dict | None:
    """The training.json of a model: given on the command line, or next to the model's folder
    (DIR/training.json; for DIR/merged, the LoRA's DIR/training.json; for ngram:FILE, FILE.training.json)."""
    backend, _, path = spec.partition(":")
    if backend not in ("hf", "lora", "ngram") or not path:
        return None
    d = Path(path).expanduser()
    if backend == "ngram":
        from lugha.train.ngram import training_json_path

        places = [(d.resolve(), training_json_path(d))]
    else:
        places = [(folder.resolve(), folder / "training.json")
                  for folder in ((d, d.parent) if d.name == "merged" else (d,))]
    for where, f in places:
        key = str(where)
        if key in known:
            return known[key]
        if f.is_file():
            try:
                doc = json.loads(f.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(doc, dict) and (doc.get("signature") or {}).get("task") in TRAINING_TASKS:
                known[key] = doc
                return doc
    return None


def kind_of(spec: str, training: dict | None) -> str:
    task = (training or {}).get("signature", {}).get("task")
    if spec.startswith("ngram:"):
        return "local n-gram"
    if spec.startswith("lora:") or task == "train-lora":
        return "borrowed + LoRA"
    if task == "train-lm":
        return "local from scratch"
    return "borrowed"


def _training_figures(t: dict) -> dict:
    c = t.get("compute") or {}
    return {"train_tokens": t.get("tokens_seen"), "train_wall_s": c.get("wall_seconds"),
            "train_cpu_s": c.get("cpu_seconds"), "train_peak_mb": c.get("peak_rss_mb"),
            "trainable_params": t.get("trainable_parameters", t.get("parameters")),
            "base": t.get("base"), "base_sha256": Signature.from_dict(t.get("signature")).params.get("base_sha256"),
            "zero_shot_val_bpb": t.get("zero_shot_val_bpb"), "val_bpb": t.get("val_bpb")}


def _drift(line_share: dict, lang: str) -> tuple[float, float, float]:
    """(share into English, into another language, decoding loops) of the judged lines."""
    from lugha.evaluate.fidelity import REPETITION
    from lugha.langs import same_language

    eng = line_share.get("eng", 0.0) if not same_language("eng", lang) else 0.0
    rep = line_share.get(REPETITION, 0.0)
    other = sum(v for k, v in line_share.items()
                if k not in ("eng", REPETITION, "und") and not same_language(k, lang))
    return eng, other, rep


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
                     n_params=r.get("n_params"), bytes_per_second=r.get("bytes_per_second"),
                     model_sha256=Signature.from_dict(r.get("signature")).model)
            base_sha = Signature.from_dict(r.get("signature")).params.get("base_sha256")
            if base_sha:  # a lora: model names its base
                x["base_sha256"] = base_sha
            if v.get("half_sentence"):
                x["half_bits_per_line"] = v["half_sentence"]["bits_per_line"]
    for r in results["fidelity"]:
        for lang, v in r["languages"].items():
            x = row(r["model"], lang)
            eng, other, rep = _drift(v["line_share"], lang)
            x.update(lpr=v["lpr"], wpr=v["wpr"], drift_eng=eng, drift_other=other, repetition=rep,
                     judged=v.get("judged"))
    known = dict(results.get("training", {}))
    for x in rows.values():
        t = training_of(x["model"], known)
        x["kind"] = kind_of(x["model"], t)
        if t:
            x.update({k: v for k, v in _training_figures(t).items() if v is not None})
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
        local = [x for x in with_bpb if x["kind"].startswith("local")]
        borrowed = [x for x in with_bpb if not x["kind"].startswith("local")]
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
            if x.get("kind") == "borrowed + LoRA" and x.get("bpb") is not None:
                zero = [z for z in with_bpb if z.get("kind") == "borrowed" and x.get("base_sha256")
                        and z.get("model_sha256") == x["base_sha256"]]
                if zero:
                    words.append(f"LoRA takes {zero[0]['name']} from {zero[0]['bpb']:.3f} to {x['bpb']:.3f} bpb"
                                 + (f" after {x['train_tokens']:,} training tokens" if x.get("train_tokens") else ""))
        for x in here:
            if x.get("lpr") is not None:
                words.append(f"{x['name']} answers in {lang} in {x['lpr']:.0%} of responses "
                             f"(drift to English {x.get('drift_eng', 0):.0%} of lines, to another language "
                             f"{x.get('drift_other', 0):.0%})")
        for e in reported:
            if e["lang"] == lang and e["measured"] is not None:
                words.append(f"reported {e['metric']} {e['value']:g} vs measured {e['measured']:.3g}"
                             f" ({e['measured_model'] and model_name(e['measured_model'])})")
        verdicts[lang] = "; ".join(words) if words else "no figures"
    order = {k: i for i, k in enumerate(KINDS)}
    return {"rows": sorted(rows.values(), key=lambda x: (x["lang"], order[x["kind"]], x["model"])), "reported": reported,
            "premium": results["premium"], "verdicts": verdicts,
            "contamination": [{"dirty": r["dirty"], "test_documents": r["test_documents"],
                               "contaminated_share": r["contaminated_share"]} for r in results["contamination"]]}


# The table's data: (row key, header). Rows come from `build`, one per model x language.
COLUMNS = [("lang", "lang"), ("kind", "kind"), ("name", "model"), ("bpb", "bpb"), ("bpb_ci95", "bpb 95% CI"),
           ("half_bits_per_line", "2nd-half bits/line"),
           ("lpr", "LPR"), ("wpr", "WPR"), ("drift_eng", "drift→eng"), ("drift_other", "drift→other"),
           ("chrf++", "chrF++"), ("bleu", "BLEU"), ("n_params", "parameters"), ("trainable_params", "trained params"),
           ("train_tokens", "training tokens"), ("train_wall_s", "training wall"), ("train_cpu_s", "training CPU"),
           ("train_peak_mb", "peak memory"), ("size_bytes", "size (MB)"), ("bytes_per_second", "CPU bytes/s")]


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


def _cell(key: str, v):
    if v is None:
        return ""
    if key == "size_bytes":
        return f"{v / 1e6:,.1f}"
    if key == "bpb_ci95":
        return f"{v[0]:.3f}–{v[1]:.3f}"
    if key in ("n_params", "trainable_params", "train_tokens"):
        return f"{v / 1e6:,.1f}M" if v >= 1e5 else f"{v:,}"
    if key in ("train_wall_s", "train_cpu_s"):
        return _duration(v)
    if key == "train_peak_mb":
        return f"{v / 1024:.1f} GB" if v >= 1024 else f"{v:.0f} MB"
    if key == "half_bits_per_line":
        return f"{v:.1f}"
    if key in ("lpr", "wpr", "drift_eng", "drift_other"):
        return f"{v:.0%}"
    if key == "bytes_per_second":
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def report(cmp: dict, signatures: list[dict], charts: bool = True):
    """The comparison as kit blocks. The table DATA comes from `build` and `COLUMNS`; this only lays it out."""
    from lugha.report import BulletList, Chart, Heading, Report, SignatureBlock, Strong, Table, bar_chart

    table_rows = [[_cell(k, r.get(k)) for k, _ in COLUMNS] for r in cmp["rows"]]
    b: list = [Heading("Verdicts"), BulletList([[Strong(lang), ": ", v] for lang, v in cmp["verdicts"].items()]),
               Heading("Models × languages"), Table([h for _, h in COLUMNS], table_rows)]
    with_bpb = [r for r in cmp["rows"] if r.get("bpb") is not None]
    if charts and with_bpb:
        b.append(Chart(bar_chart([f"{r['name']} · {r['lang']}" for r in with_bpb], [r["bpb"] for r in with_bpb],
                                 title="bits per byte (lower is better)")))
    prem_langs = sorted({l for v in cmp["premium"].values() for l in v})
    prem_rows = [[spec] + [_cell("x", v.get(l)) for l in prem_langs] for spec, v in cmp["premium"].items()]
    if prem_rows:
        b += [Heading("Tokenizer premium (tokens relative to English)"), Table(["tokenizer"] + prem_langs, prem_rows)]
    rep_rows = [[e["model"], e["lang"], e["metric"], _cell("x", e["value"]), _cell("x", e["measured"]),
                 _cell("x", e["delta"]), e["source"]] for e in cmp["reported"]]
    if rep_rows:
        b += [Heading("Reported vs measured"),
              Table(["model", "lang", "metric", "reported", "measured", "measured − reported", "source"], rep_rows)]
    if cmp["contamination"]:
        b += [Heading("Contamination"),
              BulletList([f"{c['dirty']} of {c['test_documents']} test documents overlap the training corpus "
                          f"({c['contaminated_share']:.1%})" for c in cmp["contamination"]])]
    b.append(SignatureBlock([compact_signature(s) for s in signatures], heading="Signatures"))
    return Report("Borrowed vs local: side by side", b)


def render(cmp: dict, signatures: list[dict]) -> tuple[str, str]:
    """(html, markdown)."""
    return report(cmp, signatures).html(), report(cmp, signatures, charts=False).markdown()


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
