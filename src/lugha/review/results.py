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

from lugha.report import base_signature
from lugha.review import stats, store
from lugha.review.forms import FORMS

SNIPPET = 300


def _version(pkg: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(pkg)
    except PackageNotFoundError:
        return "?"


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
    items = {r["id"]: dict(r) for r in conn.execute(
        "SELECT id, kind, batch_id, stratum, source, doc_id, line, substr(text, 1, ?) AS snippet, "
        "length(text) AS chars, prompt, model, image_name, auto_category, k FROM items ORDER BY position",
        (SNIPPET,))}
    labels = defaultdict(list)
    for r in conn.execute("SELECT l.item_id, r.name, l.label, l.rating, l.flags FROM labels l "
                          "JOIN reviewers r ON r.id=l.reviewer_id ORDER BY l.item_id, r.id"):
        labels[r["item_id"]].append(dict(r))
    batches = [dict(b) for b in conn.execute("SELECT * FROM batches ORDER BY id")]
    population: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for b in batches:
        for h, n in json.loads(b["population"]).items():
            population[b["kind"]][h] += n

    result: dict = {"counts": store.counts(conn), "kinds": {}}
    for kind, form in FORMS.items():
        kitems = [i for i in items.values() if i["kind"] == kind]
        if not kitems:
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
        k = {"question": form.question, "items": len(kitems), "labelled_items": len(labelled),
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
        result["kinds"][kind] = k
    # Equal signatures must mean equal figures: the labels themselves are hashed in.
    h = hashlib.sha256()
    for r in conn.execute("SELECT l.item_id, r.name, l.label, COALESCE(l.rating, ''), l.flags FROM labels l "
                          "JOIN reviewers r ON r.id=l.reviewer_id ORDER BY l.item_id, r.name"):
        h.update("\t".join(map(str, tuple(r))).encode() + b"\n")
    result["signature"] = base_signature(
        inputs={b["source"]: b["sha256"] or "" for b in batches},
        batches=[f"{b['kind']}:" + ",".join(f"{k}={v}" for k, v in sorted(json.loads(b["params"]).items()))
                 for b in batches],
        labels=result["counts"]["labels"],
        labels_sha256=h.hexdigest()[:16],
        stats=f"wilson95+krippendorff-{_version('krippendorff')}+fleiss",
    )
    return result


def export_rows(conn: sqlite3.Connection) -> list[dict]:
    """One row per label, for CSV/Parquet export (reviewer names included: admin only)."""
    return store.label_rows(conn)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(rows: list[dict]) -> list[dict]:
    """Comments and corpus fields are untrusted: a cell starting with = + - @ would run as a formula
    when the CSV is opened in a spreadsheet (CSV injection), so such cells get a leading '."""
    return [{k: ("'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v) for k, v in r.items()}
            for r in rows]


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
