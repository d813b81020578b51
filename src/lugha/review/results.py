"""Results of a review project: human-estimated label shares with Wilson 95 % intervals, agreement
(Krippendorff's alpha, Fleiss' kappa), automatic category vs human majority, items to adjudicate.

Unit of estimation: an item's human label is the strict majority of its reviewers' answers; items
whose reviewers tie for first place have no majority, are left out of the shares (counted as
`no_majority`) and are listed for adjudication. A flag (offensive, porn, unsafe) holds for an item
when more than half of its reviewers ticked it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter, defaultdict

from lugha.signature import Signature, package_version
from lugha.review import stats, store
from lugha.review.forms import Form

SNIPPET = 300


def _shares(majorities: dict[str, list], values: list[str], population: dict[str, int]) -> dict:
    """Per stratum and overall share of each value among items with a majority."""
    out: dict = {"strata": {}, "overall": {}}
    for h, labs in sorted(majorities.items()):
        decided = [x for x in labs if x is not None]
        n = len(decided)
        c = Counter(decided)
        out["strata"][h] = {"items": len(labs), "decided": n, "no_majority": len(labs) - n,
                            "population": population.get(h, len(labs)), "labels": {}}
        for v in values:
            lo, hi = stats.wilson(c[v], n) if n else (None, None)
            out["strata"][h]["labels"][v] = {"count": c[v], "share": c[v] / n if n else None,
                                             "low": lo, "high": hi}
    for v in values:
        strata = {h: (Counter(x for x in labs if x is not None)[v],
                      sum(1 for x in labs if x is not None), population.get(h, len(labs)))
                  for h, labs in majorities.items()}
        out["overall"][v] = stats.stratified_share(strata)
    return out


def compute(conn: sqlite3.Connection) -> dict:
    key = store.blind_key(conn)
    items = {r["id"]: dict(r) for r in conn.execute(
        "SELECT id, kind, batch_id, stratum, source, doc_id, line, substr(text, 1, ?) AS snippet, "
        "length(text) AS chars, prompt, model, image_name, auto_category, k FROM items ORDER BY position",
        (SNIPPET,))}
    for it in items.values():  # results are the admin's: blinded models by name
        it["stratum"] = unblind(it["stratum"], key)
        it["model"] = unblind(it["model"], key)
    labels = defaultdict(list)
    for r in conn.execute("SELECT l.item_id, r.name, l.label, l.rating, l.flags FROM labels l "
                          "JOIN reviewers r ON r.id=l.reviewer_id ORDER BY l.item_id, r.id"):
        labels[r["item_id"]].append(dict(r))
    batches = [dict(b) for b in conn.execute("SELECT * FROM batches ORDER BY id")]
    population: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for b in batches:
        for h, n in json.loads(b["population"]).items():
            population[b["kind"]][unblind(h, key)] += n

    result: dict = {"counts": store.counts(conn), "kinds": {}}
    rows = rating_rows(conn)
    for kind, form in store.forms_by_name(conn).items():
        kitems = [i for i in items.values() if i["kind"] == kind]
        if not kitems:
            continue
        if form.primary is None or form.primary.kind != "choice":
            # Rubric-style forms: per criterion only (a majority of scale points means little).
            frows = [r for r in rows if r["form"] == kind]
            scales = {c.id for c in form.criteria if c.kind == "scale"}
            pooled = None
            if len(scales) >= 2:  # the flattering single figure, shown beside the per-criterion ones
                pooled = stats.pooled_alpha([r for r in frows if r["criterion"] in scales], "ordinal")["alpha"]
            result["kinds"][kind] = {"question": form.title, "form": form.name, "items": len(kitems),
                                     "labelled_items": sum(1 for i in kitems if labels.get(i["id"])),
                                     "labels": sum(len(labels.get(i["id"], [])) for i in kitems),
                                     "criteria": criteria_summary(form, frows), "pooled_alpha": pooled}
            continue
        labelled = [i for i in kitems if labels.get(i["id"])]
        maj: dict[str, list] = defaultdict(list)
        maj_rating: dict[str, list] = defaultdict(list)
        flag_maj: dict[str, dict[str, list]] = {f.value: defaultdict(list) for f in form.flags}
        units, rating_units, disagreements = [], [], []
        confusion: dict[str, Counter] = defaultdict(Counter)
        for it in labelled:
            ls = labels[it["id"]]
            answers = [x["label"] for x in ls]
            m = stats.majority(answers)
            maj[it["stratum"]].append(m)
            units.append(answers)
            if form.second_choices:
                ratings = [x["rating"] for x in ls]
                maj_rating[it["stratum"]].append(stats.majority(ratings))
                rating_units.append(ratings)
            for f in form.flags:
                ticked = sum(1 for x in ls if f.value in (x["flags"] or "").split(","))
                flag_maj[f.value][it["stratum"]].append("yes" if ticked * 2 > len(ls) else "no")
            if kind == "corpus":
                confusion[it["auto_category"]][m if m is not None else "no_majority"] += 1
            if len(ls) >= 2 and len(set(answers)) > 1:
                disagreements.append({
                    "item_id": it["id"], "stratum": it["stratum"], "auto_category": it["auto_category"],
                    "source": it["source"], "doc_id": it["doc_id"], "line": it["line"],
                    "snippet": it["snippet"], "prompt": it["prompt"], "chars": it["chars"],
                    "answers": {x["name"]: x["label"] for x in ls}, "majority": m})
        pop = dict(population[kind])
        full = Counter(len(u) for u in units if len(u) >= 2)
        m_raters = max(full, key=lambda m: (full[m], m)) if full else 0
        kappa_units = [u for u in units if len(u) == m_raters]
        agreement = {
            "krippendorff_alpha": stats.krippendorff_alpha(units),
            "alpha_units": sum(1 for u in units if len(u) >= 2),
            "fleiss_kappa": stats.fleiss_kappa(kappa_units) if kappa_units else None,
            "kappa_units": len(kappa_units), "kappa_raters": m_raters,
        }
        k = {"question": form.question, "form": form.name, "items": len(kitems), "labelled_items": len(labelled),
             "labels": sum(len(labels.get(i["id"], [])) for i in kitems),
             "values": form.labels, "shares": _shares(maj, form.labels, pop), "agreement": agreement,
             "disagreements": disagreements}
        if form.second_choices:
            k["second_question"] = form.second_question
            k["rating_values"] = form.ratings
            k["rating_shares"] = _shares(maj_rating, form.ratings, pop)
            k["rating_agreement"] = {"krippendorff_alpha": stats.krippendorff_alpha(rating_units),
                                     "fleiss_kappa": stats.fleiss_kappa(
                                         [u for u in rating_units if len(u) == m_raters])
                                     if m_raters else None}
        if form.flags:
            k["flags"] = {f.value: _shares(flag_maj[f.value], ["yes"], pop)["overall"]["yes"]
                          for f in form.flags}
        if kind == "corpus":
            cols = form.labels + ["no_majority"]
            k["confusion"] = {"rows": sorted(confusion, key=lambda c: form.labels.index(c)
                                             if c in form.labels else 99),
                              "cols": cols,
                              "counts": {a: {b: confusion[a][b] for b in cols} for a in confusion}}
            agree = sum(confusion[c][c] for c in confusion)
            decided = sum(v for c in confusion for b, v in confusion[c].items() if b != "no_majority")
            lo, hi = stats.wilson(agree, decided) if decided else (None, None)
            k["audit_agreement"] = {"agree": agree, "decided": decided,
                                    "share": agree / decided if decided else None, "low": lo, "high": hi}
        k["criteria"] = criteria_summary(form, [r for r in rows if r["form"] == kind])
        result["kinds"][kind] = k
    # Equal signatures must mean equal figures: the labels themselves are hashed in.
    h = hashlib.sha256()
    for r in conn.execute("SELECT l.item_id, r.name, l.label, COALESCE(l.rating, ''), l.flags, l.answers "
                          "FROM labels l JOIN reviewers r ON r.id=l.reviewer_id ORDER BY l.item_id, r.name"):
        h.update("\t".join(map(str, tuple(r))).encode() + b"\n")
    result["signature"] = Signature.build(
        "review",
        {b["source"]: b["sha256"] or "" for b in batches},
        params={"batches": [f"{b['kind']}:" + ",".join(f"{k}={v}" for k, v in sorted(json.loads(b["params"]).items()))
                            for b in batches],
                "labels": result["counts"]["labels"], "labels_sha256": h.hexdigest()},
        backends={"stats": "wilson95+fleiss+bootstrap2000-seed0",
                  "krippendorff": package_version("krippendorff")},
    ).to_dict()
    return result


def unblind(value: str | None, key: dict[str, str]) -> str | None:
    """An opaque model id (or an A/B pair of them, "id1|id2") as the model name(s)."""
    if not value or not key:
        return value
    if "|" in value:
        a, b = value.split("|", 1)
        return f"{key.get(a, a)} vs {key.get(b, b)}"
    return key.get(value, value)


RATING_COLUMNS = ("item", "reviewer", "criterion", "value", "model", "lang", "form", "batch_id", "kind",
                  "level", "value_num", "prompt_id", "domain", "risk", "role", "model_a", "model_b",
                  "model_id", "model_b_id", "shown_swapped", "winner", "attributes", "image_sha256")


def rating_rows(conn: sqlite3.Connection) -> list[dict]:
    """Every answer to every criterion, one row each (long format, never pooled), with the model
    un-blinded: admin only. ``value`` is the answer as given (scale points as int, flags yes/no, A/B
    in the item's own order, a checklist's score as float; each checklist item also as its own
    criterion ``checklist_id.item_id`` with yes/no). For A/B rows ``model`` is the pair "a vs b",
    ``winner`` the model an A/B answer names. Text answers are left out (see the label export)."""
    key = store.blind_key(conn)
    forms = {}
    out: list[dict] = []
    for r in conn.execute(
            "SELECT l.item_id, l.answers, l.scores, r.name, r.role, a.swapped, i.batch_id, i.kind, i.model, "
            "i.model_b, i.lang, i.prompt_id, i.domain, i.risk, i.stratum, i.attributes, i.image_sha256 FROM labels l "
            "JOIN reviewers r ON r.id=l.reviewer_id JOIN items i ON i.id=l.item_id "
            "JOIN assignments a ON a.item_id=l.item_id AND a.reviewer_id=l.reviewer_id "
            "ORDER BY i.position, r.id"):
        if r["batch_id"] not in forms:
            forms[r["batch_id"]] = store.form_of_batch(conn, r["batch_id"])
        form: Form = forms[r["batch_id"]]
        answers, scores = json.loads(r["answers"]), json.loads(r["scores"])
        a, b = unblind(r["model"], key), unblind(r["model_b"], key)
        pair = r["model_b"] is not None
        base = {"item": r["item_id"], "reviewer": r["name"], "model": f"{a} vs {b}" if pair else (a or r["stratum"]),
                "lang": r["lang"], "form": form.name, "batch_id": r["batch_id"], "prompt_id": r["prompt_id"],
                "domain": r["domain"], "risk": r["risk"], "role": r["role"], "model_a": a, "model_b": b,
                "model_id": r["model"], "model_b_id": r["model_b"], "shown_swapped": bool(r["swapped"]),
                "attributes": r["attributes"], "image_sha256": r["image_sha256"]}

        def add(criterion, kind, level, value, winner=None):
            num = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            out.append({**base, "criterion": criterion, "kind": kind, "level": level, "value": value,
                        "value_num": num, "winner": winner})

        for c in form.criteria:
            if c.kind == "text":
                continue
            v = answers.get(c.id)
            if c.kind == "checklist":
                add(c.id, "checklist", c.level, scores.get(c.id))
                met = set(v or ())
                for it in c.items:
                    add(f"{c.id}.{it.id}", "flag", "nominal", "yes" if it.id in met else "no")
                continue
            winner = None
            if c.sides and pair and v is not None:
                winner = {"A": a, "B": b}.get(v, v)
            add(c.id, c.kind, c.level, v, winner)
    return out


def _stat_value(c, value):
    """A rating as review/stats reads it: yes/no answers (flags, yes/no choices, checklist items)
    as True/False, so their rate gets a Wilson interval; scale points and scores as numbers."""
    if value in ("yes", "no") and (c is None or c.kind == "flag" or set(c.values) == {"yes", "no"}):
        return value == "yes"
    return value


def criteria_summary(form: Form, rows: list[dict], n_boot: int = 2000, seed: int = 0) -> dict:
    """Per criterion, never pooled, per model x language (``stats.criterion_summary``): items,
    ratings, reviewers, the mean of per-item means with a bootstrap interval over items (scales,
    checklist scores), the share of items flagged with a Wilson interval (yes/no criteria),
    Krippendorff's alpha at the criterion's level with observed agreement and prevalence; plus the
    counts of each answer and, for A/B choices, each model's win rate over items (the item's majority
    answer; a tie or no majority counts half) with a Wilson interval."""
    levels = {c.id: c.level for c in form.criteria}
    crits = {c.id: c for c in form.criteria}
    out: dict = {}
    for c in form.criteria:
        if c.kind == "text":
            continue
        ids = [c.id] + ([f"{c.id}.{i.id}" for i in c.items] if c.kind == "checklist" else [])
        for cid in ids:
            crit_rows = [r for r in rows if r["criterion"] == cid]
            own = crits.get(cid)
            srows = [{**r, "value": _stat_value(own, r["value"])} for r in crit_rows]
            groups = stats.criterion_summary(srows, levels={cid: levels.get(cid, "nominal")},
                                             n_boot=n_boot, seed=seed)
            for g in groups:
                mine = [r for r in crit_rows if str(r["model"]) == g["model"] and str(r["lang"]) == g["lang"]]
                g["counts"] = {str(k): v for k, v in sorted(Counter(str(r["value"]) for r in mine
                                                                    if r["value"] is not None).items())}
                if own is not None and own.sides:
                    g["win_rates"] = _win_rates(mine)
            out[cid] = {"question": own.question if own else next(
                            i.text for i in c.items if f"{c.id}.{i.id}" == cid),
                        "kind": own.kind if own else "flag", "level": levels.get(cid, "nominal"),
                        "ratings": sum(1 for r in crit_rows if r["value"] is not None),
                        "items": len({r["item"] for r in crit_rows if r["value"] is not None}),
                        "groups": groups}
    return out


def criteria_blocks(k: dict) -> list:
    """The per-criterion summary of one kind as report-kit blocks (a heading, one table, the pooled
    alpha for contrast): for the results report, whichever page renders it. Model names and answers
    are data: the kit escapes them."""
    from lugha.report import Heading, Muted, Paragraph, Sample, Table, fmt

    def pct(r):
        return "–" if r is None else f"{100 * r:.0f}%"

    def ci(x):
        if not x or x.get("rate") is None:
            return "–"
        return [f"{100 * x['rate']:.1f}% ", Muted(f"[{100 * x['low']:.1f}–{100 * x['high']:.1f}]")]

    rows = []
    for cid, c in k["criteria"].items():
        for g in c["groups"]:
            mean = "–" if g["mean"] is None else [fmt(g["mean"]) + " ",
                                                 Muted(f"[{fmt(g['mean_low'])}–{fmt(g['mean_high'])}]")]
            a = g["agreement"]
            answers = "; ".join(f"{v}: {n}" for v, n in g["counts"].items())
            if g.get("win_rates"):
                answers += " · win rate: " + "; ".join(f"{m} {pct(w['rate'])}" for m, w in g["win_rates"].items())
            rows.append([cid, Sample(g["model"], block=False), g["lang"], g["items"], g["ratings"], mean,
                         ci(g.get("flagged")),
                         f"{'–' if a['alpha'] is None else fmt(a['alpha'])} ({g['level']})",
                         "–" if a["observed_agreement"] is None else fmt(a["observed_agreement"]), answers])
    out = [Heading("Per criterion (never pooled)", level=3),
           Paragraph("Per model and language: mean of per-item means with a 95% bootstrap interval over items; "
                     "items flagged (yes/no criteria) with a Wilson 95% interval; Krippendorff's α at the "
                     "criterion's level, with the observed agreement.", cls="muted"),
           Table(["criterion", "model", "lang", "items", "ratings", "mean", "flagged", "α (level)", "observed",
                  "answers"], rows, num=[3, 4, 5, 6, 7, 8])]
    if k.get("pooled_alpha") is not None:
        out.append(Paragraph(f"Pooled α over all scale criteria: {fmt(k['pooled_alpha'])} (for contrast only: "
                             "differences between criteria count as agreement here, so it says nothing about "
                             "any one of them).", cls="muted"))
    return out


def _win_rates(rows: list[dict]) -> dict:
    """Each model of a pair: items won / lost / tied by the item's majority answer (no majority: a
    tie), as ``stats.win_rate``."""
    by_item: dict = defaultdict(list)
    models: dict = {}
    for r in rows:
        if r["value"] is not None:
            by_item[r["item"]].append(r["winner"])
            models[r["model_a"]] = models[r["model_b"]] = True
    out = {}
    for m in models:
        w = l_ = t = 0
        for winners in by_item.values():
            maj = stats.majority(winners)
            if maj == m:
                w += 1
            elif maj is None or maj not in models:
                t += 1
            else:
                l_ += 1
        out[m] = stats.win_rate(w, l_, t)
    return out


def export_rows(conn: sqlite3.Connection) -> list[dict]:
    """One row per label, for CSV/Parquet export (reviewer names included: admin only)."""
    return store.label_rows(conn)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(rows: list[dict]) -> list[dict]:
    """Comments and corpus fields are untrusted: a cell starting with = + - @ would run as a formula
    when the CSV is opened in a spreadsheet (CSV injection), so such cells get a leading '."""
    return [{k: ("'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v) for k, v in r.items()}
            for r in rows]


def export_csv_bytes(conn: sqlite3.Connection) -> bytes:
    """Every label as CSV (formula-safe), for the admin page's download."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    rows = csv_safe(export_rows(conn))
    buf = io.BytesIO()
    if rows:
        pcsv.write_csv(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


def write_ratings(conn: sqlite3.Connection, path) -> int:
    """The per-criterion, per-reviewer answers (``rating_rows``) as .parquet or .json; returns the
    number of rows. Admin only: models are named."""
    from pathlib import Path

    import pyarrow as pa

    from lugha.errors import LughaError
    from lugha.report import write_json

    path = Path(path)
    rows = rating_rows(conn)
    suffix = path.suffix.lower()
    if suffix == ".json":
        write_json(path, {"ratings": rows, "columns": list(RATING_COLUMNS)})
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        table_rows = [{**r, "value": None if r["value"] is None else str(r["value"])} for r in rows]
        types = {"item": pa.int64(), "batch_id": pa.int64(), "value_num": pa.float64(), "shown_swapped": pa.bool_()}
        schema = pa.schema([(c, types.get(c, pa.string())) for c in RATING_COLUMNS])
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(table_rows, schema=schema), path)
    else:
        raise LughaError("ratings export needs a .parquet or .json file name", path)
    return len(rows)


def write_export(conn: sqlite3.Connection, path) -> int:
    """CSV or Parquet by file suffix; returns the number of rows written."""
    from pathlib import Path

    import pyarrow as pa

    from lugha.errors import LughaError

    path = Path(path)
    rows = export_rows(conn)
    if path.suffix.lower() == ".csv":
        rows = csv_safe(rows)
    cols = ["item_id", "kind", "batch_id", "stratum", "source", "doc_id", "line", "auto_category", "lang",
            "model", "image_name", "reviewer", "label", "rating", "flags", "comment", "created", "updated"]
    table = pa.Table.from_pylist(rows, schema=pa.schema([
        (c, pa.int64() if c in ("item_id", "batch_id", "line") else
         pa.float64() if c in ("created", "updated") else pa.string()) for c in cols]))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    elif path.suffix.lower() == ".csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, path)
    else:
        raise LughaError("export needs a .csv or .parquet file name", path)
    return table.num_rows


# ---- the results report (the admin page and `lugha review results --html/--md`) ----------------

def _ci(x: dict) -> list:
    from lugha.report import Muted

    if x.get("share") is None:
        return ["–"]
    return [f"{100 * x['share']:.1f}% ", Muted(f"[{100 * x['low']:.1f}%–{100 * x['high']:.1f}%]")]


def _coef(v) -> str:
    from lugha.report import fmt

    return "–" if v is None else fmt(v)


def _share_table(sh: dict, values: list[str], label: str):
    from lugha.report import Strong, Table

    rows = [[h, s["decided"], s["no_majority"], *[_ci(s["labels"][v]) for v in values]]
            for h, s in sh["strata"].items()]
    rows.append([Strong("all (weighted)"), sum(s["decided"] for s in sh["strata"].values()),
                 sum(s["no_majority"] for s in sh["strata"].values()), *[_ci(sh["overall"][v]) for v in values]])
    return Table([label, "items", "no majority", *values], rows, num=range(1, len(values) + 3))


def report(res: dict, charts: bool = True):
    """The results as kit blocks: shares with Wilson intervals per stratum, agreement, audit vs humans,
    items to adjudicate (corpus text and reviewer names are untrusted: the kit escapes them)."""
    from lugha.report import (Chart, Code, Heading, Paragraph, Report, Sample, Status, Table,
                              stacked_share_chart)

    b: list = [Paragraph("Shares are of items by their reviewers' majority label, with Wilson 95% intervals. The "
                         "overall row weights each stratum by its size in the population sampled (stratified "
                         "estimate; interval on the effective sample size).", cls="muted")]
    for kind, k in res["kinds"].items():
        if "shares" not in k:  # rubric-style kinds (rubric, checklist, stereotype): per criterion only
            b += [Heading(f"{kind.capitalize()} items"), *criteria_blocks(k)]
            continue
        b += [Heading(f"{kind.capitalize()} items: {k['labelled_items']} of {k['items']} labelled "
                      f"({k['labels']} labels)"),
              Heading(k["question"], level=3),
              _share_table(k["shares"], k["values"], "automatic category" if kind == "corpus" else "model")]
        strata = list(k["shares"]["strata"])
        if charts and strata:
            shares = {v: [k["shares"]["strata"][h]["labels"][v]["share"] or 0.0 for h in strata] for v in k["values"]}
            b.append(Chart(stacked_share_chart(strata, shares, title=k["question"])))
        if k.get("second_question"):
            b += [Heading(k["second_question"], level=3), _share_table(k["rating_shares"], k["rating_values"], "model")]
        if k.get("flags"):
            b += [Heading("Flags (more than half of an item's reviewers)", level=3),
                  Table(["flag", "share of items"], [[f, _ci(s)] for f, s in k["flags"].items()], num=[1])]
        a = k["agreement"]
        b += [Heading("Agreement between reviewers", level=3),
              Table(["coefficient", "value", "on"],
                    [["Krippendorff's α (nominal)", _coef(a["krippendorff_alpha"]),
                      f"{a['alpha_units']} items with ≥ 2 labels"],
                     ["Fleiss' κ", _coef(a["fleiss_kappa"]),
                      f"{a['kappa_units']} items with {a['kappa_raters']} labels each"]], num=[1])]
        if k.get("confusion"):
            cf = k["confusion"]
            aa = k["audit_agreement"]
            b += [Heading("Automatic category (rows) vs human majority (columns)", level=3),
                  Table(["", *cf["cols"]], [[r, *[Status(cf["counts"][r][c], True) if r == c else cf["counts"][r][c]
                                                  for c in cf["cols"]]] for r in cf["rows"]],
                        num=range(1, len(cf["cols"]) + 1), row_headers=True),
                  Paragraph([f"The audit's category matches the human majority on {aa['agree']} of {aa['decided']} "
                             "items: ", *_ci(aa), "."])]
        if k.get("criteria"):
            b += criteria_blocks(k)
        d = k["disagreements"]
        b.append(Heading(f"Items to adjudicate ({len(d)})", level=3))
        if d:
            rows = []
            for x in d[:200]:
                answers: list = []
                for i, (n, lab) in enumerate(x["answers"].items()):
                    answers += [Sample(n, block=False), f": {lab}" + ("; " if i < len(x["answers"]) - 1 else "")]
                more = "…" if x["chars"] and x["chars"] > len(x["snippet"]) else ""
                rows.append([f"{x['item_id']}" + (f" ({x['auto_category']})" if x["auto_category"] else ""),
                             Code(f"{x['source']}:{x['line']}"), Sample(f"{x['snippet']}{more}"), answers])
            b.append(Table(["item", "where", "text", "answers"], rows, num=[]))
            if len(d) > 200:
                b.append(Paragraph("First 200 shown; all are in results.json.", cls="muted"))
        else:
            b.append(Paragraph("None.", cls="muted"))
    if not res["kinds"]:
        b.append(Paragraph("No items yet."))
    c = res["counts"]
    return Report("Human review results", b, signature=res["signature"],
                  subtitle=f"{c['labels']} labels on {c['items']} items from {c['reviewers']} reviewers")


def render_html(res: dict) -> str:
    """A complete self-contained results page (the admin page; `lugha review results --html`)."""
    return report(res).html()


def render_markdown(res: dict) -> str:
    return report(res, charts=False).markdown()
