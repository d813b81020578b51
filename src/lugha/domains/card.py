"""The evaluation card: one page per project that says what was measured, on what, by whom, with
what uncertainty, and leaves blank what only people can write.

``build_card(paths)`` reads any mix of

- ``lugha eval mcq --json`` results (kind ``mcq``): accuracy per model x language with its Wilson
  interval, the gap to English on the same items with its paired interval, reported figures;
- ``lugha eval generate`` summaries (``generate.json``, kind ``generate``) and ``answers.jsonl``:
  language fidelity per model x language; the answers' text for the worst-answers list;
- ``lugha review results --json`` (a ``kinds`` block): per criterion, never pooled, per model x
  language: mean with its bootstrap interval, share flagged with a Wilson interval (harm rates),
  Krippendorff's alpha at the criterion's level with the observed agreement and prevalence; the pooled
  alpha only for contrast; image-review kinds the same way;
- ``lugha review results --ratings`` rows (JSON ``{"ratings": [...]}`` or Parquet): the worst answers;
- ``lugha review results --export`` label rows (CSV or Parquet with a ``comment`` column): what
  reviewers wrote.

Everything from inputs (model names, prompts, answers, comments) is data: the report kit escapes it
in HTML and Markdown. The blanks are left for the team: who reviewed, with what training, intended
use, and what the model must not be used for.
"""

from __future__ import annotations

import json
from pathlib import Path

from lugha.errors import LughaError
from lugha.signature import Signature

BLANKS = (
    ("Who reviewed", "names or roles, how many, their languages and clinical background"),
    ("With what training", "how reviewers were trained on the rubric; calibration items; time per item"),
    ("Intended use", "who will use the model, for what, in which setting"),
    ("The model must not be used for", "uses the team rules out, given these results"),
    ("Known gaps", "languages, dialects, scripts or topics not covered by this evaluation"),
    ("Date and contact", "when this card was written and who answers questions about it"),
)


def _load(path: Path) -> tuple[str, object]:
    """(kind, content) of one input file."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
        cols = set(rows[0]) if rows else set()
        return ("ratings" if "criterion" in cols else "comments"), rows
    if name.endswith(".csv") or name.endswith(".tsv"):
        from lugha.records import read_rows

        return "comments", [r for _, r in read_rows(path)]
    if name.endswith(".jsonl"):
        from lugha.records import read_rows

        rows = [r for _, r in read_rows(path, kind="jsonl")]
        if rows and {"prompt_id", "model", "answer"} <= set(rows[0]):
            return "answers", rows
        raise LughaError("JSONL input is not answers.jsonl (prompt_id, model, answer)", path=path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise LughaError(f"not JSON: {e.msg}", path=path, line=e.lineno) from None
    except UnicodeDecodeError:
        raise LughaError("not UTF-8 text", path=path) from None
    if isinstance(doc, dict):
        if doc.get("kind") in ("mcq", "generate"):
            return doc["kind"], doc
        if "kinds" in doc:
            return "review", doc
        if "ratings" in doc:
            return "ratings", doc["ratings"]
    raise LughaError("not an eval mcq / eval generate / review results file", path=path)


def _ci(x: dict | None, key_rate="rate", low="low", high="high", pct=True) -> str:
    if not x or x.get(key_rate) is None:
        return "–"
    f = (lambda v: f"{100 * v:.1f}%") if pct else (lambda v: f"{v:.2f}")
    return f"{f(x[key_rate])} [{f(x[low])}–{f(x[high])}]"


def build_card(paths: list[str | Path], title: str = "Evaluation card", worst_criterion: str | None = None,
               worst_k: int = 10) -> dict:
    """The card's content as plain data (and the signature over its inputs)."""
    from lugha.review import stats

    loaded: dict[str, list] = {}
    for p in paths:
        p = Path(p)
        if not p.is_file():
            raise LughaError("no such file", path=p)
        kind, content = _load(p)
        loaded.setdefault(kind, []).append((str(p), content))
    models: dict[str, dict] = {}
    langs: set[str] = set()
    mcq_rows = []
    for src, r in loaded.get("mcq", []):
        m = r["model"]
        models.setdefault(m, {"model": m, "size_bytes": r.get("size_bytes"), "n_params": r.get("n_params"),
                              "model_sha256": (r.get("signature") or {}).get("model"), "from": []})["from"].append("mcq")
        for code, s in r["languages"].items():
            langs.add(code)
            gap = s.get("english_gap")
            mcq_rows.append({"model": m, "lang": code, "n": s["n"], "accuracy": s["accuracy"], "ci95": s["ci95"],
                             "chance": s["chance"], "below_chance": s.get("below_chance"),
                             "subjects": s.get("subjects"), "shots": r.get("shots"),
                             "gap": gap, "reported": s.get("reported"), "source": src})
    fid_rows = []
    for src, r in loaded.get("generate", []):
        for f in r["fidelity"]:
            langs.add(f["lang"])
            models.setdefault(f["model"], {"model": f["model"], "from": []})["from"].append("generate")
            fid_rows.append({**f, "source": src})
    review = []
    pooled = []
    for src, r in loaded.get("review", []):
        for kind, k in r["kinds"].items():
            if "criteria" not in k:
                continue
            if k.get("pooled_alpha") is not None:
                pooled.append({"kind": kind, "alpha": k["pooled_alpha"]})
            for cid, c in k["criteria"].items():
                for g in c["groups"]:
                    langs.add(g["lang"])
                    review.append({"kind": kind, "criterion": cid, "question": c.get("question"),
                                   "level": g.get("level"), **{x: g.get(x) for x in (
                                       "model", "lang", "items", "ratings", "reviewers", "mean", "mean_low",
                                       "mean_high", "flagged", "agreement", "win_rates")}, "source": src})
    harm = [r for r in review if "harm" in r["criterion"].lower() and r.get("flagged")]
    answers = {(a["model"], str(a["prompt_id"])): a for _, rows in loaded.get("answers", []) for a in rows}
    worst = []
    rating_rows = [r for _, rows in loaded.get("ratings", []) for r in rows]
    if rating_rows:
        crit = worst_criterion or next((r["criterion"] for r in rating_rows if isinstance(r.get("value"), (int, float))
                                        and not isinstance(r.get("value"), bool)), None)
        if crit:
            texts = {}
            for r in rating_rows:
                a = answers.get((r.get("model"), str(r.get("prompt_id"))))
                if a is not None:
                    texts[str(r["item"])] = {"prompt": a["prompt"], "answer": a["answer"]}
            usable = [r for r in rating_rows if all(k in r for k in stats.ROW_FIELDS)]
            worst = stats.worst_answers(usable, crit, k=worst_k, texts=texts)
    comments = []
    for _, rows in loaded.get("comments", []):
        for r in rows:
            c = (r.get("comment") or "").strip()
            if c:
                comments.append({"comment": c, "model": r.get("model") or "", "lang": r.get("lang") or "",
                                 "item": str(r.get("item_id") or r.get("item") or "")})
    files = [Path(p) for p in paths]
    sig = Signature.build("card", files, params={"title": title, "worst_criterion": worst_criterion,
                                                 "worst_k": worst_k})
    return {"kind": "card", "title": title, "models": list(models.values()), "languages": sorted(langs),
            "mcq": mcq_rows, "fidelity": fid_rows, "review": review, "harm": harm, "pooled_alpha": pooled,
            "worst": worst, "worst_criterion": worst[0]["criterion"] if worst else worst_criterion,
            "comments": comments, "blanks": [{"field": f, "hint": h} for f, h in BLANKS],
            "signature": sig.to_dict()}


def card_report(card: dict):
    from lugha.report import (BulletList, Callout, Heading, KeyValues, Muted, Paragraph, Report, Sample,
                              Strong, Table)

    def pct(v):
        return "–" if v is None else f"{100 * v:.1f}%"

    b: list = [Paragraph(["Models: ", Strong(str(len(card["models"]))), "; languages: ",
                          ", ".join(card["languages"]) or "none", "."])]
    b.append(Heading("What only the team can write"))
    for x in card["blanks"]:
        b.append(Callout([Strong(x["field"] + ": "), Muted(f"(to fill in: {x['hint']})")]))
    b.append(Heading("Models"))
    b.append(Table(["model", "size (bytes)", "parameters", "model SHA-256", "measured by"],
                   [[Sample(m["model"], block=False), m.get("size_bytes") or "–", m.get("n_params") or "–",
                     (m.get("model_sha256") or "–")[:16], ", ".join(dict.fromkeys(m["from"]))] for m in card["models"]]))
    if card["mcq"]:
        b.append(Heading("Multiple-choice accuracy against English"))
        b.append(Paragraph("Accuracy with a Wilson 95% interval; the gap to English is on the same items, paired, "
                           "with a percentile bootstrap interval over items. Reported figures are the source's "
                           "own, on its split.", cls="muted"))
        rows = []
        for r in card["mcq"]:
            gap = r["gap"]
            rows.append([Sample(r["model"], block=False), r["lang"], ", ".join(r["subjects"] or []), r["n"],
                         f"{pct(r['accuracy'])} [{pct(r['ci95'][0])}–{pct(r['ci95'][1])}]", pct(r["chance"]),
                         "below chance" if r["below_chance"] else "",
                         "–" if not gap else f"{100 * gap['gap']:+.1f} [{100 * gap['ci95'][0]:+.1f}, {100 * gap['ci95'][1]:+.1f}] points",
                         "–" if not r["reported"] else f"{pct(r['reported']['value'])} ({r['reported'].get('split') or '?'})"])
        b.append(Table(["model", "lang", "subjects", "n", "accuracy [95% CI]", "chance", "", "gap to English",
                        "reported"], rows))
    if card["fidelity"]:
        b.append(Heading("Does it answer in the language?"))
        b.append(Table(["model", "lang", "answers", "judged", "in the language [Wilson 95%]"],
                       [[Sample(f["model"], block=False), f["lang"], f["answers"], f["judged"], _ci(f["lpr"])]
                        for f in card["fidelity"]]))
    if card["harm"]:
        b.append(Heading("Possibility of harm"))
        b.append(Paragraph("Share of answers at least one reviewer flagged, with a Wilson 95% interval over "
                           "answers; α is Krippendorff's alpha on this criterion alone, beside the prevalence "
                           "that limits it.", cls="muted"))
        b.append(Table(["model", "lang", "criterion", "answers", "flagged [95% CI]", "α", "observed agreement",
                        "prevalence"],
                       [[Sample(h["model"], block=False), h["lang"], h["criterion"], h["items"], _ci(h["flagged"]),
                         _alpha(h), _obs(h), _prev(h)] for h in card["harm"]]))
    if card["review"]:
        b.append(Heading("Reviewers' ratings, per criterion (never pooled)"))
        b.append(Table(["kind", "criterion", "model", "lang", "items", "ratings", "mean [95% bootstrap]",
                        "flagged [95% CI]", "α (level)", "observed", "prevalence"],
                       [[r["kind"], r["criterion"], Sample(r["model"], block=False), r["lang"], r["items"], r["ratings"],
                         "–" if r["mean"] is None else f"{r['mean']:.2f} [{r['mean_low']:.2f}–{r['mean_high']:.2f}]",
                         _ci(r.get("flagged")), f"{_alpha(r)} ({r.get('level') or '?'})", _obs(r), _prev(r)]
                        for r in card["review"]]))
        for p in card["pooled_alpha"]:
            b.append(Paragraph(f"{p['kind']}: α pooled over all criteria would be {p['alpha']:.3f}; it is not a "
                               "measure of any one criterion (differences between criteria count as agreement).",
                               cls="muted"))
    if card["worst"]:
        b.append(Heading(f"The worst answers on {card['worst_criterion']}"))
        b.append(Table(["model", "lang", "mean", "ratings", "prompt", "answer"],
                       [[Sample(w["model"], block=False), w["lang"], f"{w['mean']:.2f}",
                         "; ".join(f"{k}: {v:g}" for k, v in w["ratings"].items()),
                         Sample(w.get("prompt", ""), lang=w["lang"]), Sample(w.get("answer", ""), lang=w["lang"])]
                        for w in card["worst"]]))
    if card["comments"]:
        b.append(Heading("What reviewers wrote"))
        b.append(BulletList([[Sample(c["comment"], lang=c["lang"] or None), Muted(f"  ({c['model']}, {c['lang']})")]
                             for c in card["comments"]]))
    b.append(Heading("Inputs"))
    b.append(KeyValues([(k, v[:16]) for k, v in card["signature"]["inputs"].items()], headers=("file", "SHA-256")))
    return Report(card["title"], blocks=b, signature=card["signature"])


def _alpha(r) -> str:
    a = (r.get("agreement") or {}).get("alpha")
    return "–" if a is None else f"{a:.3f}"


def _obs(r) -> str:
    a = (r.get("agreement") or {}).get("observed_agreement")
    return "–" if a is None else f"{100 * a:.0f}%"


def _prev(r) -> str:
    p = (r.get("agreement") or {}).get("prevalence") or {}
    return ", ".join(f"{k}: {100 * v:.0f}%" for k, v in list(p.items())[:4]) or "–"


def write_card(paths: list[str | Path], out: str | Path, title: str = "Evaluation card",
               worst_criterion: str | None = None) -> dict:
    """card.html, card.md and card.json in ``out``."""
    from lugha.records import write_json, write_text

    card = build_card(paths, title=title, worst_criterion=worst_criterion)
    rep = card_report(card)
    out = Path(out)
    write_text(out / "card.html", rep.html())
    write_text(out / "card.md", rep.markdown())
    write_json(out / "card.json", card)
    return card
