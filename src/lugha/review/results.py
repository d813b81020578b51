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
            result["kinds"][kind] = {"question": form.title, "form": form.name, "items": len(kitems),
                                     "labelled_items": sum(1 for i in kitems if labels.get(i["id"])),
                                     "labels": sum(len(labels.get(i["id"], [])) for i in kitems),
                                     "criteria": criteria_summary(form, [r for r in rows if r["form"] == kind])}
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
        "review", {b["source"]: b["sha256"] or "" for b in batches},
        backends={"stats": f"wilson95+krippendorff-{package_version('krippendorff')}+fleiss"},
        params={"batches": [f"{b['kind']}:" + ",".join(f"{k}={v}" for k, v in sorted(json.loads(b["params"]).items()))
                            for b in batches],
                "labels": result["counts"]["labels"], "labels_sha256": h.hexdigest()[:16]}).to_dict()
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


def criteria_summary(form: Form, rows: list[dict]) -> dict:
    """Per criterion, never pooled: ratings and items, the distribution of answers per model, the
    mean per model for scales and checklist scores, and Krippendorff's alpha (nominal criteria)."""
    out = {}
    for c in form.criteria:
        if c.kind == "text":
            continue
        crit_rows = [r for r in rows if r["criterion"] == c.id]
        by_item: dict = defaultdict(list)
        per_model: dict = defaultdict(list)
        for r in crit_rows:
            if r["value"] is not None:
                by_item[r["item"]].append(r["value"])
                per_model[r["model"]].append(r)
        models = {}
        for m, rs in sorted(per_model.items()):
            vals = [r["value"] for r in rs]
            nums = [r["value_num"] for r in rs if r["value_num"] is not None]
            models[m] = {"ratings": len(vals), "items": len({r["item"] for r in rs}),
                         "counts": {str(k): v for k, v in sorted(Counter(map(str, vals)).items())},
                         "mean": sum(nums) / len(nums) if nums else None}
            if c.sides:
                models[m]["wins"] = dict(sorted(Counter(r["winner"] for r in rs).items()))
        units = list(by_item.values())
        out[c.id] = {"question": c.question, "kind": c.kind, "level": c.level, "ratings": len(crit_rows),
                     "items": len(by_item), "models": models,
                     "krippendorff_alpha": stats.krippendorff_alpha([[str(v) for v in u] for u in units])
                     if c.level == "nominal" else None,
                     "alpha_units": sum(1 for u in units if len(u) >= 2)}
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
