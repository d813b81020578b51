"""`lugha datasheet DIR`: DATASHEET.md and datasheet.html for a cleaned corpus.

Follows the questions of Gebru et al., "Datasheets for Datasets" (CACM 2021): motivation,
composition, collection process, preprocessing/cleaning/labelling, uses, distribution, maintenance.
Every answer the data can give is filled from manifest.json alone (written by `lugha clean`, which
copies the audit's figures into it), so a datasheet can be rebuilt without the corpus. Questions
only people can answer (who, why, consent, licence, intended uses) are left as marked blanks.
"""

from __future__ import annotations

import json
from pathlib import Path

from lugha import report as kit
from lugha.corpus.categories import CATEGORY_NAMES, CATEGORY_ORDER
from lugha.corpus.pii import KINDS as PII_KINDS
from lugha.errors import LughaError

BLANK = "TO BE ANSWERED BY THE DATASET'S CREATORS"
RULE_NAMES = {
    "unreadable": "could not be read (bad UTF-8/JSON, missing text)",
    "duplicate:exact": "exact duplicate of an earlier document",
    "duplicate:near": "near duplicate of an earlier document (MinHash)",
    "pii": "contains personal data (PII action: drop)",
}


def load_manifest(out_dir: str | Path) -> dict:
    p = Path(out_dir) / "manifest.json"
    if not p.is_file():
        raise LughaError("no manifest.json; run `lugha clean` first (the datasheet describes its output)",
                         path=Path(out_dir))
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except ValueError as e:
        raise LughaError(f"manifest.json is not valid JSON: {e}", path=p) from None


def rule_meaning(rule: str) -> str:
    if rule.startswith("category="):
        c = rule.split("=", 1)[1]
        return f"audit category {c}: {CATEGORY_NAMES.get(c, c)}"
    if rule.startswith("min_words<"):
        return f"fewer than {rule.split('<', 1)[1]} words"
    if rule.startswith("lang_score<"):
        return f"language-ID score below {rule.split('<', 1)[1]}"
    return RULE_NAMES.get(rule, rule)


def datasheet_facts(m: dict) -> dict:
    """The figures the datasheet states, computed from the manifest only."""
    before = m["before"]["counts"]
    total = m["counts"]["input"]
    kept = m["counts"]["kept"]
    after = {c: m["kept"]["categories"].get(c, 0) for c in CATEGORY_ORDER}
    dup_removed = sum(v for k, v in m["removed_by"].items() if k.startswith("duplicate:"))
    return {
        "lang": m["lang"],
        "records_in": total,
        "records_kept": kept,
        "records_removed": m["counts"]["removed"],
        "kept_share": kept / total if total else 0.0,
        "categories_before": {c: before.get(c, 0) for c in CATEGORY_ORDER},
        "categories_after": after,
        "shares_before": {c: (before.get(c, 0) / total if total else 0.0) for c in CATEGORY_ORDER},
        "shares_after": {c: (after[c] / kept if kept else 0.0) for c in CATEGORY_ORDER},
        "removed_by": m["removed_by"],
        "duplicates_found": before_dups(m),
        "duplicate_share_before": m["before"]["duplicates"]["duplicate_share"],
        "duplicates_removed": dup_removed,
        "langs_before": m["before"]["langs"],
        "langs_after": m["kept"]["langs"],
        "scripts_before": m["before"]["scripts"],
        "scripts_after": m["kept"]["scripts"],
        "words_kept": m["kept"]["words"],
        "chars_kept": m["kept"]["chars"],
        "pii": m["pii"],
        "domains_kept": m["kept"]["domains"],
        "sources": m["inputs"],
        "conserved": m["conservation"]["ok"],
        "shards": len(m["shards"]),
        "shard_bytes": sum(s["bytes"] for s in m["shards"]),
    }


def before_dups(m: dict) -> int:
    d = m["before"]["duplicates"]
    return d["exact"] + d["near"]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _n(x: int) -> str:
    return f"{x:,}"


def _sections(m: dict, f: dict, charts: bool) -> list[dict]:
    """The datasheet as data: sections of items, each a question with a text answer, a table, a
    chart or a blank. Rendered to Markdown and to HTML from this one structure."""
    lang = f"{m['lang']['name']} ({m['lang']['code']})"
    rules = m["rules"]
    pii = f["pii"]

    def fact(q, a):
        return {"q": q, "a": a}

    def blank(q, hint=""):
        return {"q": q, "blank": True, "hint": hint}

    def table(q, headers, rows, a=""):
        return {"q": q, "table": (headers, rows), "a": a}

    cats = [[c, CATEGORY_NAMES[c], _n(f["categories_before"][c]), _pct(f["shares_before"][c]),
             _n(f["categories_after"][c]), _pct(f["shares_after"][c])] for c in CATEGORY_ORDER]
    comp = [
        fact("What do the instances represent?",
             f"Documents (one record each) claimed to be in {lang}. Each kept record carries its original "
             f"id, source file and line, and its text exactly as in the source"
             + (" except personal data masked with typed placeholders." if pii["action"] == "mask" else ".")),
        fact("How many instances are there?",
             f"{_n(f['records_kept'])} documents kept out of {_n(f['records_in'])} input records "
             f"({_pct(f['kept_share'])}); {_n(f['records_removed'])} removed, each with the rule that removed it. "
             f"Kept text: {_n(f['words_kept'])} words, {_n(f['chars_kept'])} characters. "
             f"Conservation (kept + removed = input, per source file, re-read from the output): "
             f"{'holds' if f['conserved'] else 'DOES NOT HOLD'}."),
        table("What is in it, by audit category (Kreutzer et al. 2022), before and after cleaning?",
              ["category", "meaning", "before", "share of input", "after", "share of kept"], cats),
        table("Which languages does language identification find (before cleaning, top 20)?",
              ["language", "name", "documents", "counts as claimed"],
              [[lg["code"], lg["name"], _n(lg["docs"]), "yes" if lg["matches_claim"] else "no"]
               for lg in f["langs_before"]]),
        table("Which languages are in the kept documents?", ["language", "documents"],
              [[k, _n(v)] for k, v in f["langs_after"].items()],
              a="Language ID's top label per kept document. A label other than the claimed language on a kept "
                "document means language ID was unsure of it (score below the WL threshold) and the text is in "
                "the expected script, so the audit gave it the benefit of the doubt."),
        table("Which scripts (dominant script per document)?", ["script", "before", "after"],
              [[s, _n(f["scripts_before"].get(s, 0)), _n(f["scripts_after"].get(s, 0))]
               for s in dict.fromkeys([*f["scripts_before"], *f["scripts_after"]])]),
        fact("Is there redundancy (duplicates)?",
             f"The audit found {_n(m['before']['duplicates']['exact'])} exact and "
             f"{_n(m['before']['duplicates']['near'])} near duplicates in "
             f"{_n(m['before']['duplicates']['clusters'])} clusters ({_pct(f['duplicate_share_before'])} of input "
             f"records repeat an earlier one). Cleaning removed {_n(f['duplicates_removed'])} as duplicates "
             f"(rule: keep {rules['duplicates']['keep']}, kinds: {', '.join(rules['duplicates']['kinds'])}); "
             "duplicates already removed by an earlier rule are counted under that rule."),
        table("Does it contain personal data (emails, phone numbers, IP addresses, URLs)?",
              ["kind", "found in input", "left in kept text", "masked"],
              [[k, _n(pii["found"].get(k, 0)), _n(pii["in_kept"].get(k, 0) - pii["masked"].get(k, 0)),
                _n(pii["masked"].get(k, 0))] for k in PII_KINDS],
              a=f"Documents with any PII before cleaning: {_n(pii['found_docs'])}. Handling: "
                f"{pii['action']} ({', '.join(pii['kinds'])}); masked in {_n(pii['masked_docs'])} kept documents. "
                "Detection is pattern-based (regular expressions, libphonenumber for the language's region): "
                "names, addresses and other personal data are NOT detected."),
        blank("Does it contain data that might be considered confidential, offensive or sensitive, or that "
              "identifies sub-populations?", "lugha does not detect hate speech, names or sensitive topics."),
    ]
    if charts:
        comp.insert(3, {"q": "Category shares before and after", "chart": kit.stacked_share_chart(
            ["before (input)", "after (kept)"],
            {c: [f["shares_before"][c], f["shares_after"][c]] for c in CATEGORY_ORDER},
            title="Share of records by audit category")})
    sources = [[s["path"], _n(s["input"]), _n(s["kept"]), _n(s["removed"]), s["sha256"]] for s in f["sources"]]
    coll = [
        table("Which files was it made from?", ["source", "records", "kept", "removed", "SHA-256"], sources),
        blank("How was the data collected (crawl, API, donation, transcription), over what timeframe, by whom?"),
        blank("Did the people whose text this is consent, and were they told how it would be used?"),
        blank("Was any ethical review conducted?"),
    ]
    if f["domains_kept"]:
        coll.insert(1, table("Which web domains do the kept documents come from (top 30)?", ["domain", "documents"],
                             [[d, _n(v)] for d, v in f["domains_kept"].items()]))
    removed_rows = [[r, rule_meaning(r), _n(v)] for r, v in f["removed_by"].items()]
    th = m["before"]["thresholds"]
    prep = [
        table("What was removed, and why?", ["rule", "meaning", "records"], removed_rows,
              a="Each removed record is in removed/ with its text unchanged and a `removed_by` field."),
        fact("Which rules were applied?",
             f"Keep categories {', '.join(rules['categories']['keep']) or '(none)'}; "
             f"min_words {rules['filters']['min_words'] or 'off'}; min_lang_score "
             f"{rules['filters']['min_lang_score'] or 'off'}; duplicates: keep {rules['duplicates']['keep']} "
             f"({', '.join(rules['duplicates']['kinds'])}); PII: {rules['pii']['action']} "
             f"({', '.join(rules['pii']['kinds'])}). Rules from: {rules.get('source', 'defaults')}."),
        table("Which audit thresholds decided the categories?", ["threshold", "value"],
              [[k, v] for k, v in th.items()]),
        fact("Which tools made these decisions?",
             f"lugha {m['lugha']}; language ID: "
             + ", ".join(f"{k} {v}" for k, v in m["lid_backends"].items())
             + f"; MinHash dedup ({m['before']['dedup']['num_perm']} permutations, "
               f"{m['before']['dedup']['bands']} bands, {m['before']['dedup']['shingle_chars']}-character shingles)."),
        fact("Is the raw data saved?",
             "The inputs are not copied; their SHA-256 hashes are listed above. removed/ holds every removed record "
             "with its text unchanged (for an unreadable record: where it was and why it could not be read); "
             "kept/ texts are unchanged except for masked personal data."),
        blank("Was the data labelled (beyond lugha's automatic categories)? By whom, with what guidelines?"),
    ]
    if charts and removed_rows:
        prep.insert(1, {"q": "Removed records by rule", "chart": kit.bar_chart(
            list(f["removed_by"]), list(f["removed_by"].values()), xlabel="records", fmt="{:,.0f}")})
    wl = f["shares_before"]["WL"]
    uses = [
        blank("What are the intended uses (tasks, models)?"),
        blank("What uses are out of scope or should be avoided?"),
        fact("What should a user know about its composition?",
             f"Before cleaning, {_pct(wl)} of input records were identified as another language. Language "
             "identification is least reliable on short, code-mixed and informal text; categories are "
             "automatic and were not checked by people unless stated above."),
    ]
    dist = [
        blank("Under what licence or terms of use is it distributed? Do the sources' licences allow it?"),
        blank("Who distributes it, and how (URL, DOI)?"),
        fact("What files make up the distribution?",
             f"{_n(f['shards'])} shards ({m['format']}, {_n(f['shard_bytes'])} bytes) in kept/ and removed/, "
             "each listed with its SHA-256 in manifest.json; `lugha clean --verify DIR` re-checks them."),
    ]
    maint = [
        blank("Who maintains it, and how can they be contacted?"),
        blank("Will it be updated (errata, new versions)? How will users learn of changes?"),
        fact("How can it be reproduced?",
             f"Run lugha {m['lugha']} `clean` on inputs with the SHA-256s above, language {m['lang']['code']}, "
             "with the rules above: equal signatures give equal outputs. Signature: `"
             + kit.signature_string(m["signature"]) + "`"),
    ]
    motivation = [
        blank("For what purpose was the dataset created? What gap does it fill?"),
        blank("Who created it, on behalf of which entity, and who funded it?"),
    ]
    return [
        {"title": "Motivation", "items": motivation},
        {"title": "Composition", "items": comp},
        {"title": "Collection process", "items": coll},
        {"title": "Preprocessing, cleaning, labelling", "items": prep},
        {"title": "Uses", "items": uses},
        {"title": "Distribution", "items": dist},
        {"title": "Maintenance", "items": maint},
    ]


def report(m: dict, charts: bool = True) -> kit.Report:
    """The datasheet as kit blocks: each question a heading, then its table, chart, answer or blank."""
    f = datasheet_facts(m)
    blocks: list = [
        kit.Paragraph(["Following Gebru et al., \"Datasheets for Datasets\". Figures were filled in by lugha from "
                       "the cleaned output; every ", kit.Strong(f"[{BLANK}]"), " needs a person's answer before "
                       "publishing."], only="markdown"),
        kit.Cards([kit.Card(f["records_kept"], "documents kept"),
                   kit.Card(f["records_removed"], "removed, with reasons"),
                   kit.Card(_pct(f["kept_share"]), f"of {_n(f['records_in'])} input records kept"),
                   kit.Card("yes" if f["conserved"] else "NO", "kept + removed = input",
                            cls="good" if f["conserved"] else "bad")], only="html"),
    ]
    for sec in _sections(m, f, charts=charts):
        blocks.append(kit.Heading(sec["title"]))
        for it in sec["items"]:
            blocks.append(kit.Heading(it["q"], level=3))
            if "chart" in it:
                blocks.append(kit.Chart(it["chart"]))
            elif it.get("blank"):
                blocks.append(kit.Callout([kit.Strong(f"[{BLANK}]")]
                                          + ([" ", kit.Muted(f"({it['hint']})")] if it["hint"] else [])))
            else:
                if "table" in it:
                    blocks.append(kit.Table(*it["table"]))
                if it.get("a"):
                    blocks.append(kit.Paragraph(kit.code_spans(it["a"])))
    # Markdown keeps Gebru's seven sections only (its signature is in the Maintenance answer).
    blocks.append(kit.SignatureBlock(m["signature"], only="html"))
    return kit.Report(f"Datasheet: {m['lang']['name']} corpus ({m['lang']['code']})", blocks,
                      subtitle='Following Gebru et al., "Datasheets for Datasets"; figures filled in by lugha, '
                               "blanks for people to answer.")


def render_markdown(m: dict) -> str:
    return report(m, charts=False).markdown()


def render_html(m: dict) -> str:
    return report(m).html()


def write_datasheet(out_dir: str | Path) -> tuple[Path, Path]:
    out = Path(out_dir)
    m = load_manifest(out)
    md = kit.write_text_atomic(out / "DATASHEET.md", render_markdown(m))
    html = kit.write_text_atomic(out / "datasheet.html", render_html(m))
    return md, html
