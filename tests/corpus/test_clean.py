"""`lugha clean` on real text (AfriSenti Hausa tweets, MasakhaNEWS Hausa articles): conservation,
texts unchanged byte for byte, a reason for every removal, PII masking, --verify, audit reuse."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lugha.corpus.clean import decide, load_rules, read_shard, run_clean, verify
from lugha.corpus.pii import find_pii, mask, region_for
from lugha.errors import LughaError

PII_SUFFIX = " Tuntuɓe mu a labarai@example.org ko 0803 123 4567."


def afrisenti_txt(shared_data: Path, code: str, dest: Path, n: int) -> Path:
    """The first N tweets of an AfriSenti test file, one per line (the label column dropped)."""
    with open(shared_data / "afrisenti" / f"{code}.test.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    tweets = [r["tweet"].replace("\n", " ") for r in rows[:n]]
    dest.write_text("".join(t + "\n" for t in tweets), encoding="utf-8")
    return dest


def masakhanews_rows(shared_data: Path, code: str) -> list[dict]:
    with open(shared_data / "masakhanews" / f"{code}.dev.tsv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def news_jsonl(shared_data: Path, code: str, dest: Path) -> tuple[Path, dict]:
    """MasakhaNEWS articles as JSONL (id, text, url), plus lines a real crawl has: an exact
    duplicate article, articles carrying an email and a phone number, and two broken lines."""
    rows = masakhanews_rows(shared_data, code)
    pii_ids = ["pii-11", "pii-12", "pii-13"]
    lines = []
    for i, r in enumerate(rows):
        if f"pii-{i}" in pii_ids:
            lines.append(json.dumps({"id": f"pii-{i}", "text": r["text"] + PII_SUFFIX}, ensure_ascii=False))
        else:
            lines.append(json.dumps({"id": f"{code}-{i}", "text": r["text"], "url": r["url"]}, ensure_ascii=False))
    lines.append(json.dumps({"id": "dup-of-0", "text": rows[0]["text"], "url": rows[0]["url"]}, ensure_ascii=False))
    lines.append('{"id": "broken", "text": "ba a rufe ba')
    lines.append(json.dumps({"id": "no-text", "body": "babu rubutu"}))
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest, {"pii_ids": pii_ids, "n": len(lines)}


def shard_records(out: Path, part: str) -> list[dict]:
    rows = []
    for p in sorted((out / part).iterdir()):
        rows += list(read_shard(p))
    return rows


def input_texts(path: Path) -> dict[int, str]:
    """line number -> the text as it is in the input file (what clean must write unchanged)."""
    out = {}
    for n, raw in enumerate(path.read_bytes().split(b"\n")[:-1], start=1):
        if path.suffix == ".txt":
            out[n] = raw.decode("utf-8")
        else:
            try:
                out[n] = json.loads(raw)["text"]
            except (ValueError, KeyError):
                pass
    return out


@pytest.fixture(scope="module")
def cleaned(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("clean")
    tweets = afrisenti_txt(shared_data, "hau", d / "hau_tweets.txt", 2000)
    news, info = news_jsonl(shared_data, "hau", d / "hau_news.jsonl")
    res = run_clean([tweets, news], "hau", d / "out", workers=1, shard_records=700)
    return {"dir": d, "out": d / "out", "res": res, "tweets": tweets, "news": news, **info}


def test_kept_plus_removed_equals_input_per_source(cleaned):
    out, m = cleaned["out"], cleaned["res"].manifest
    kept, removed = shard_records(out, "kept"), shard_records(out, "removed")
    expected = {str(cleaned["tweets"]): 2000, str(cleaned["news"]): cleaned["n"]}
    for src, n in expected.items():
        k = [r["line"] for r in kept if r["source"] == src]
        r = [r["line"] for r in removed if r["source"] == src]
        assert len(k) + len(r) == n
        assert sorted(k + r) == list(range(1, n + 1))  # every input line exactly once
    assert m["conservation"]["ok"] is True
    assert {s["path"]: (s["input"], s["kept"], s["removed"]) for s in m["conservation"]["sources"]} == {
        src: (n, sum(r["source"] == src for r in kept), sum(r["source"] == src for r in removed))
        for src, n in expected.items()}
    assert m["counts"] == {"input": 2000 + cleaned["n"], "kept": len(kept), "removed": len(removed)}
    # a real, mixed corpus: most tweets are kept, but hundreds are removed (short, English, ...)
    assert 1000 < len(kept) < 2000 + cleaned["n"] - 100


def test_texts_are_unchanged_byte_for_byte_except_masked_pii(cleaned):
    originals = {str(cleaned["tweets"]): input_texts(cleaned["tweets"]),
                 str(cleaned["news"]): input_texts(cleaned["news"])}
    region = region_for("hau")
    masked = 0
    for part in ("kept", "removed"):
        for r in shard_records(cleaned["out"], part):
            orig = originals[r["source"]].get(r["line"])
            if r.get("category") == "unreadable":
                assert "text" not in r and r["error"]
                continue
            if r.get("pii_masked"):
                assert part == "kept"
                assert r["text"] == mask(orig, find_pii(orig, region))
                masked += 1
            else:
                assert r["text"] == orig
    assert masked == cleaned["res"].manifest["pii"]["masked_docs"] >= 3


def test_every_removal_names_its_rule_and_agrees_with_the_audit(cleaned):
    out = cleaned["out"]
    ann = {(r["source"], r["line"]): r for r in pq.read_table(out / "audit" / "annotations.parquet").to_pylist()}
    rules = cleaned["res"].manifest["rules"]
    removed = shard_records(out, "removed")
    pattern = re.compile(r"^(unreadable|category=(CB|CS|WL|NL)|dup_of=.+|pii|min_words<\d+)$")
    for r in removed:
        assert pattern.match(r["removed_by"]), r
        a = ann[(r["source"], r["line"])]
        if a["category"] not in ("CC",):
            assert r["removed_by"] == ("unreadable" if a["category"] == "unreadable" else f"category={a['category']}")
        else:
            assert r["removed_by"] == f"dup_of={a['dup_of']}" and r["dup_of_source"] == a["dup_of_source"]
    for r in shard_records(out, "kept"):
        a = ann[(r["source"], r["line"])]
        assert a["category"] == "CC" and a["dup_of"] is None
        assert decide(a, rules) == (None, None)
    by = Counter(r["removed_by"] if not r["removed_by"].startswith("dup_of=") else f"duplicate:{r['dup_kind']}"
                 for r in removed)
    assert dict(by) == cleaned["res"].manifest["removed_by"]
    # the planted exact duplicate of the first article, and the two broken lines
    news = str(cleaned["news"])
    dup = next(r for r in removed if r["source"] == news and r["id"] == "dup-of-0")
    assert dup["removed_by"] == "dup_of=hau-0" and dup["dup_kind"] == "exact"
    broken = {r["line"]: r for r in removed if r["removed_by"] == "unreadable"}
    assert sorted(broken) == [cleaned["n"] - 1, cleaned["n"]]
    assert broken[cleaned["n"] - 1]["error"].startswith("bad JSON")
    assert broken[cleaned["n"]]["error"] == "missing text field 'text'" and broken[cleaned["n"]]["id"] == "no-text"


def test_pii_is_masked_and_counted(cleaned):
    kept = {r["id"]: r for r in shard_records(cleaned["out"], "kept") if r["source"] == str(cleaned["news"])}
    for pid in cleaned["pii_ids"]:
        assert kept[pid]["text"].endswith(" Tuntuɓe mu a <EMAIL> ko <PHONE>.")
        assert kept[pid]["pii_masked"] == 2
    p = cleaned["res"].manifest["pii"]
    assert p["action"] == "mask" and p["masked"]["email"] >= 3 and p["masked"]["phone"] >= 3
    # every PII span of a masked kind found by the audit in a kept document was masked
    assert all(p["masked"][k] == p["in_kept"][k] for k in ("email", "phone", "ip"))
    # URLs are counted, not masked, by default: MasakhaNEWS texts keep theirs
    assert p["masked"]["url"] == 0


def test_manifest_lists_every_shard_with_its_hash(cleaned):
    out, m = cleaned["out"], cleaned["res"].manifest
    files = sorted(str(p.relative_to(out)) for part in ("kept", "removed") for p in (out / part).iterdir())
    assert sorted(s["path"] for s in m["shards"]) == files
    import hashlib

    for s in m["shards"]:
        assert hashlib.sha256((out / s["path"]).read_bytes()).hexdigest() == s["sha256"]
        assert s["records"] == len(list(read_shard(out / s["path"])))
    assert m["rules"]["categories"]["keep"] == ["CC"] and m["rules"]["pii"]["action"] == "mask"
    assert set(m["lid_backends"]) >= {"pycld2", "py3langid"}
    assert m["signature"]["inputs"][str(cleaned["tweets"])] == m["inputs"][0]["sha256"]
    # 2000 tweets in chunks of 700 -> 3 chunks, each with a kept and a removed shard
    assert sum(s["source"] == str(cleaned["tweets"]) for s in m["shards"]) == 6
    assert gzip.open(out / m["shards"][0]["path"]).read(1) == b"{"


def test_verify_detects_a_one_byte_change_in_any_shard(cleaned, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(cleaned["out"], out)
    assert verify(out) == []
    for part in ("kept", "removed"):
        shard = sorted((out / part).iterdir())[-1]
        data = bytearray(shard.read_bytes())
        pos = len(data) // 2
        data[pos] ^= 0x01
        shard.write_bytes(bytes(data))
        problems = verify(out)
        assert len(problems) == 1 and problems[0].startswith(f"{part}/{shard.name}: changed (SHA-256 ")
        data[pos] ^= 0x01
        shard.write_bytes(bytes(data))
    assert verify(out) == []
    (out / "kept" / "extra.jsonl.gz").write_bytes(b"")
    assert verify(out) == ["kept/extra.jsonl.gz: not listed in the manifest"]


def test_verify_from_the_cli(cleaned, tmp_path, cli):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(cleaned["out"], out)
    r = cli("clean", "--verify", out)
    assert r.exit_code == 0 and "every shard matches manifest.json" in r.stdout
    shard = sorted((out / "removed").iterdir())[0]
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF
    shard.write_bytes(bytes(data))
    r = cli("clean", "--verify", out)
    assert r.exit_code == 1
    assert r.stderr.startswith(f"removed/{shard.name}: changed (SHA-256 ")
    shard.unlink()
    r = cli("clean", "--verify", out)
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [f"removed/{shard.name}: missing"]  # not "changed ...: missing"


def test_reused_audit_with_pii_drop_rule_and_parquet(cleaned, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[pii]\naction = "drop"\n\n[filters]\nmin_words = 8\n', encoding="utf-8")
    res = run_clean([cleaned["tweets"], cleaned["news"]], "hau", tmp_path / "out", audit_dir=cleaned["out"] / "audit",
                    rules_path=rules, fmt="parquet", shard_records=5000)
    assert res.audit_reused is True
    m = res.manifest
    assert m["conservation"]["ok"] and m["format"] == "parquet"
    removed = pq.read_table(tmp_path / "out" / "removed").to_pylist()
    kept = pq.read_table(tmp_path / "out" / "kept").to_pylist()
    assert len(kept) + len(removed) == 2000 + cleaned["n"]
    dropped = [r for r in removed if r["removed_by"] == "pii"]
    assert set(cleaned["pii_ids"]) <= {r["id"] for r in dropped}
    assert all(s.kind in ("email", "phone", "ip") for r in dropped for s in find_pii(r["text"], region_for("hau")))
    assert all(not [s for s in find_pii(r["text"], region_for("hau")) if s.kind != "url"] for r in kept)
    assert all(r["pii_masked"] is None for r in kept)
    short = [r for r in removed if r["removed_by"] == "min_words<8"]
    assert short and m["removed_by"]["min_words<8"] == len(short)
    # min_words only tightens: everything kept now was kept by the default rules too
    default_kept = {(r["source"], r["id"]) for r in shard_records(cleaned["out"], "kept")}
    assert {(r["source"], r["id"]) for r in kept} < default_kept


def test_an_audit_of_other_files_is_refused(cleaned, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Wannan wani rubutu ne daban.\n", encoding="utf-8")
    with pytest.raises(LughaError) as e:
        run_clean([other], "hau", tmp_path / "out", audit_dir=cleaned["out"] / "audit")
    assert str(e.value) == (f"{cleaned['out'] / 'audit'}: this audit was made from different input files "
                            "(SHA-256 differ); pass another --audit directory")


def test_rules_files_are_checked(tmp_path):
    assert load_rules()["pii"] == {"action": "mask", "kinds": ["email", "phone", "ip"]}
    assert load_rules(pii="keep")["pii"]["action"] == "keep"
    bad = tmp_path / "r.toml"
    bad.write_text("[filters]\nmin_word = 3\n", encoding="utf-8")
    with pytest.raises(LughaError) as e:
        load_rules(bad)
    assert str(e.value) == f"{bad}: unknown key 'min_word' in [filters]; expected min_words, min_lang_score"
    bad.write_text('[categories]\nkeep = ["CC", "XX"]\n', encoding="utf-8")
    with pytest.raises(LughaError, match=r"\[categories\] keep must list categories among CC, CB, CS, WL, NL"):
        load_rules(bad)
    bad.write_text("[pii\n", encoding="utf-8")
    with pytest.raises(LughaError) as e:
        load_rules(bad)
    assert str(e.value).startswith(f"{bad}:1: invalid TOML")
    with pytest.raises(LughaError, match="PII action must be one of keep, mask, drop, got 'hide'"):
        load_rules(pii="hide")


def test_decide_order_of_rules():
    rules = load_rules()
    base = {"category": "CC", "words": 20, "lang_score": 0.9, "dup_of": None, "dup_kind": None,
            "pii_email": 0, "pii_phone": 0, "pii_ip": 0, "pii_url": 0}
    assert decide(base, rules) == (None, None)
    assert decide({**base, "category": "WL", "dup_of": "7", "dup_kind": "near"}, rules) == ("category=WL", "category=WL")
    assert decide({**base, "dup_of": "7", "dup_kind": "near"}, rules) == ("duplicate:near", "dup_of=7")
    assert decide({**base, "pii_email": 1}, rules) == (None, None)  # masked, not dropped, by default
    assert decide({**base, "pii_email": 1}, load_rules(pii="drop")) == ("pii", "pii")
    assert decide({**base, "pii_url": 2}, load_rules(pii="drop")) == (None, None)  # url is not in [pii] kinds
    assert decide({**base, "category": "unreadable"}, rules) == ("unreadable", "unreadable")


def test_cli_errors_are_one_line(cli, tmp_path):
    r = cli("clean", tmp_path / "missing.txt", "--lang", "hau", "--out", tmp_path / "o")
    assert r.exit_code == 2 and r.stderr.strip() == f"lugha: error: {tmp_path / 'missing.txt'}: no such file or directory"
    r = cli("clean", "--lang", "hau", "--out", tmp_path / "o")
    assert r.exit_code == 2 and r.stderr.strip() == "lugha: error: give INPUT files to clean (or --verify DIR)"
    r = cli("clean", "--verify", tmp_path)
    assert r.exit_code == 2 and "no manifest.json here" in r.stderr


def test_rerun_with_other_rules_replaces_the_output(cleaned, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(cleaned["out"], out)
    res = run_clean([cleaned["tweets"]], "hau", out, shard_records=1000, write_datasheet=False)
    assert res.audit_reused is False  # other inputs than OUT/audit's: audited again, in place
    names = sorted(str(p.relative_to(out)) for part in ("kept", "removed") for p in (out / part).iterdir())
    assert names == sorted(s["path"] for s in res.manifest["shards"])
    assert all(n.split("/")[1].startswith("000-hau_tweets-") for n in names)
    assert sorted(p.name for p in (out / ".clean").iterdir()) == ["000-hau_tweets-00000.done.json", "000-hau_tweets-00001.done.json"]
    assert verify(out) == []
    assert res.manifest["counts"]["input"] == 2000 and res.conserved
