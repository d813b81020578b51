"""The datasheet of a cleaned corpus (AfriSenti Amharic tweets + MasakhaNEWS Amharic articles): its
numbers equal those recomputed here from the output files, blanks are marked, HTML is offline and
escaped."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lugha.corpus.clean import read_shard, run_clean
from lugha.corpus.datasheet import BLANK, datasheet_facts, load_manifest

SECTIONS = ("Motivation", "Composition", "Collection process", "Preprocessing, cleaning, labelling", "Uses",
            "Distribution", "Maintenance")


def _tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def sheet(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("datasheet")
    tweets = d / "amh_tweets.txt"
    tweets.write_text("".join(r["tweet"].replace("\n", " ") + "\n"
                              for r in _tsv(shared_data / "afrisenti" / "amh.test.tsv")[:1500]), encoding="utf-8")
    # A file name with markup in it: it must come out escaped in both the HTML and the Markdown.
    news = d / "amh_<b>news<b>.jsonl"
    rows = _tsv(shared_data / "masakhanews" / "amh.dev.tsv")
    news.write_text("".join(json.dumps({"id": f"amh-{i}", "text": r["text"], "url": r["url"]}, ensure_ascii=False)
                            + "\n" for i, r in enumerate(rows)), encoding="utf-8")
    res = run_clean([tweets, news], "amh", d / "out", workers=1, shard_records=600)
    return {"out": d / "out", "inputs": [tweets, news], "res": res}


def recompute(out: Path, inputs: list[Path]) -> dict:
    """The datasheet's figures, recomputed from kept/, removed/, the inputs and the annotations."""
    kept = [r for p in sorted((out / "kept").iterdir()) for r in read_shard(p)]
    removed = [r for p in sorted((out / "removed").iterdir()) for r in read_shard(p)]
    total = sum(len(p.read_bytes().splitlines()) for p in inputs)
    words = {(a["source"], a["line"]): a["words"]
             for a in pq.read_table(out / "audit" / "annotations.parquet", columns=["source", "line", "words"]).to_pylist()}
    by = Counter(r["removed_by"] if not r["removed_by"].startswith("dup_of=") else f"duplicate:{r['dup_kind']}"
                 for r in removed)
    cats = ("CC", "CB", "CS", "WL", "NL", "unreadable")
    before = Counter(r["category"] for r in kept + removed)
    after = Counter(r["category"] for r in kept)
    return {
        "records_in": total, "records_kept": len(kept), "records_removed": len(removed),
        "kept_share": len(kept) / total,
        "categories_before": {c: before.get(c, 0) for c in cats},
        "categories_after": {c: after.get(c, 0) for c in cats},
        "removed_by": dict(by),
        "duplicates_removed": sum(1 for r in removed if "dup_of" in r),
        "langs_after": dict(Counter(r["lang"] for r in kept)),
        "words_kept": sum(words[(r["source"], r["line"])] for r in kept),
        "chars_kept": sum(len(r["text"]) for r in kept),
        "masked": sum(r.get("pii_masked", 0) for r in kept),
        "domains_kept": dict(Counter(re.sub(r"^https?://(www\.)?([^/]+).*$", r"\2", r["url"]) for r in kept if "url" in r)),
        "sha256": {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs},
    }


def test_datasheet_numbers_equal_those_recomputed_from_the_output(sheet):
    out = sheet["out"]
    facts = datasheet_facts(load_manifest(out))
    want = recompute(out, sheet["inputs"])
    for k in ("records_in", "records_kept", "records_removed", "categories_before", "categories_after",
              "duplicates_removed", "words_kept", "chars_kept"):
        assert facts[k] == want[k], k
    assert facts["kept_share"] == pytest.approx(want["kept_share"])
    assert facts["removed_by"] == want["removed_by"]
    assert facts["langs_after"] == want["langs_after"]
    assert facts["domains_kept"] == dict(sorted(want["domains_kept"].items(), key=lambda kv: (-kv[1], kv[0]))[:30])
    assert sum(facts["pii"]["masked"].values()) == want["masked"]
    assert {s["path"]: s["sha256"] for s in facts["sources"]} == want["sha256"]
    # code-mixed tweets: the datasheet has something to say
    assert facts["categories_before"]["WL"] > 0 and facts["records_removed"] >= 40
    assert facts["conserved"] is True

    md = (out / "DATASHEET.md").read_text(encoding="utf-8")
    assert (f"{want['records_kept']:,} documents kept out of {want['records_in']:,} input records "
            f"({100 * want['kept_share']:.1f}%); {want['records_removed']:,} removed") in md
    for c, name in (("WL", "wrong language"), ("CS", "correct language, too short")):
        b, a = want["categories_before"][c], want["categories_after"][c]
        assert (f"| {c} | {name} | {b:,} | {100 * b / want['records_in']:.1f}% | {a:,} | "
                f"{100 * a / want['records_kept']:.1f}% |") in md
    for rule, n in want["removed_by"].items():
        assert re.search(rf"^\| {re.escape(rule)} \| [^|]+ \| {n:,} \|$", md, re.M), rule
    for path, sha in want["sha256"].items():
        assert sha in md


def test_datasheet_follows_gebru_and_marks_blanks(sheet):
    md = (sheet["out"] / "DATASHEET.md").read_text(encoding="utf-8")
    assert [ln[3:] for ln in md.splitlines() if ln.startswith("## ")] == list(SECTIONS)
    blanks = md.count(f"[{BLANK}]")
    assert blanks >= 10  # purpose, creators, consent, licence, intended and out-of-scope uses, maintainers...
    for q in ("consent", "licence", "intended uses", "out of scope", "Who created it"):
        i = md.index(q)
        assert BLANK in md[i:i + 300], q
    m = load_manifest(sheet["out"])
    assert f"lugha {m['lugha']}" in md
    assert all(f"{k} {v}" in md for k, v in m["lid_backends"].items())


def test_datasheet_html_is_offline_and_escaped(sheet):
    html = (sheet["out"] / "datasheet.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2  # category shares and removals, inline
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<script" not in html and "<b>news<b>" not in html
    assert "amh_&lt;b&gt;news&lt;b&gt;.jsonl" in html
    assert "default-src 'none'" in html
    md = (sheet["out"] / "DATASHEET.md").read_text(encoding="utf-8")
    from markupsafe import escape

    blank_items = md.count(f"> **[{BLANK}]**")
    assert blank_items >= 10 and html.count(f'<p class="blank"><strong>[{escape(BLANK)}]</strong>') == blank_items
    assert r"amh\_\<b\>news\<b\>.jsonl" in md


def test_datasheet_command_rebuilds_from_the_manifest(sheet, cli, tmp_path):
    out = sheet["out"]
    before = (out / "DATASHEET.md").read_text(encoding="utf-8")
    (out / "DATASHEET.md").unlink()
    (out / "datasheet.html").unlink()
    r = cli("datasheet", out)
    assert r.exit_code == 0, r.output
    assert (out / "DATASHEET.md").read_text(encoding="utf-8") == before
    assert (out / "datasheet.html").stat().st_size > 10_000
    r = cli("datasheet", tmp_path)
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"lugha: error: {tmp_path}: no manifest.json; run `lugha clean` first "
                                "(the datasheet describes its output)")
