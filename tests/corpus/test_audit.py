"""The audit on real text from ../shared/data: categories, duplicates, conservation, reports."""

from __future__ import annotations

import json
import random

import pyarrow.parquet as pq
import pytest

from lugha.corpus.audit import run_audit


def ntrex(shared_data, code: str, n: int | None = None) -> list[str]:
    name = "newstest2019-src.eng.txt" if code == "eng" else f"newstest2019-ref.{code}.txt"
    lines = (shared_data / "ntrex128" / name).read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines if ln.strip()][:n]


def rows(out):
    return pq.read_table(out / "annotations.parquet").to_pylist()


def write_lines(path, lines):
    path.write_text("".join(ln + "\n" for ln in lines), encoding="utf-8")
    return path


def test_wrong_language_is_found_in_a_mixed_hausa_corpus(shared_data, tmp_path):
    hau = ntrex(shared_data, "hau", 300)
    eng = ntrex(shared_data, "eng", 400)[300:400]
    fra = ntrex(shared_data, "fra", 400)[300:400]
    mixed = [("hau", t) for t in hau] + [("eng", t) for t in eng] + [("fra", t) for t in fra]
    random.Random(1).shuffle(mixed)
    src = write_lines(tmp_path / "hausa.txt", [t for _, t in mixed])
    res = run_audit([src], "ha", tmp_path / "out", workers=1)
    got = rows(res.out_dir)
    assert len(got) == len(mixed)
    truth = [k for k, _ in mixed]
    wl_recall = sum(r["category"] == "WL" for r, k in zip(got, truth) if k != "hau") / 200
    hau_kept = sum(r["category"] in ("CC", "CS", "CB") for r, k in zip(got, truth) if k == "hau") / len(hau)
    assert wl_recall >= 0.97, wl_recall
    assert hau_kept >= 0.95, hau_kept
    assert res.summary["counts"]["total"] == len(mixed) and res.summary["reconciled"]


def test_tigrinya_is_not_called_amharic(shared_data, tmp_path):
    tir = ntrex(shared_data, "tir", 200)
    amh = ntrex(shared_data, "amh", 400)[200:400]
    mixed = [("tir", t) for t in tir] + [("amh", t) for t in amh]
    random.Random(2).shuffle(mixed)
    src = write_lines(tmp_path / "tir.txt", [t for _, t in mixed])
    got = rows(run_audit([src], "tir", tmp_path / "out", workers=1).out_dir)
    tir_ok = sum(r["category"] != "WL" for r, (k, _) in zip(got, mixed) if k == "tir") / 200
    amh_wl = sum(r["category"] == "WL" for r, (k, _) in zip(got, mixed) if k == "amh") / 200
    assert tir_ok >= 0.95, tir_ok
    assert amh_wl >= 0.9, amh_wl


def test_exact_and_near_duplicates_point_at_the_first_document(shared_data, tmp_path):
    base = ntrex(shared_data, "swa", 400)
    rng = random.Random(3)
    exact_src = rng.sample(range(400), 40)
    near_src = rng.sample([i for i in range(400) if i not in exact_src and len(base[i]) > 80], 40)
    docs = list(base)
    for i in exact_src:
        docs.append(base[i].upper() + "  ")  # case and spacing do not hide an exact duplicate
    for i in near_src:
        w = base[i].split()
        j = rng.randrange(len(w))
        w[j] = w[j] + "x"  # one word changed
        docs.append(" ".join(w))
    src = write_lines(tmp_path / "swa.txt", docs)
    res = run_audit([src], "sw", tmp_path / "out", workers=1)
    got = rows(res.out_dir)
    exact_found = [got[400 + k]["dup_of"] == str(i + 1) and got[400 + k]["dup_kind"] == "exact"
                   for k, i in enumerate(exact_src)]
    near_found = [got[440 + k]["dup_of"] == str(i + 1) for k, i in enumerate(near_src)]
    assert all(exact_found)
    assert sum(near_found) / 40 >= 0.9, sum(near_found)
    false_pos = sum(r["dup_of"] is not None for r in got[:400])
    assert false_pos <= 4  # NTREX itself may hold a few repeated headlines
    assert res.summary["duplicates"]["exact"] >= 40


def test_sharded_parallel_run_equals_single_process(shared_data, tmp_path):
    docs = ntrex(shared_data, "yor", 600) + ntrex(shared_data, "yor", 100)  # 100 exact dups across shards
    src = write_lines(tmp_path / "yor.txt", docs)
    one = run_audit([src], "yo", tmp_path / "one", workers=1)
    many = run_audit([src], "yo", tmp_path / "many", workers=2, shard_bytes=20_000)
    assert many.shards > 3
    a, b = rows(one.out_dir), rows(many.out_dir)
    assert a == b
    for key in ("counts", "langs", "duplicates", "pii", "scripts", "length_hist"):
        assert one.summary[key] == many.summary[key], key
    assert many.summary["duplicates"]["exact"] >= 100


def test_every_bad_record_is_counted_and_located(tmp_path):
    p = tmp_path / "bad.jsonl"
    good = json.dumps({"id": "g1", "text": "Kila mtu anayo haki ya kuishi, uhuru na usalama wa nafsi yake."})
    p.write_bytes(b"\n".join([good.encode(), b"{broken", json.dumps({"txt": "x"}).encode(),
                              b'{"text": "a\\u0000b"}', b"\xff\xfe", good.replace('"g1"', '"g2"').encode()]) + b"\n")
    res = run_audit([p], "sw", tmp_path / "out", workers=1)
    c = res.summary["counts"]
    assert c["total"] == 6 and c["unreadable"] == 4
    assert sum(c[k] for k in ("CC", "CB", "CS", "WL", "NL")) == 2
    assert res.summary["unreadable_examples"][0].startswith(f"{p}:2: bad JSON")
    got = rows(res.out_dir)
    assert [r["doc_id"] for r in got] == ["g1", "1", "2", "3", "4", "g2"]
    assert got[5]["dup_of"] == "g1"


def test_report_escapes_untrusted_text(tmp_path):
    evil = '<script>alert("x")</script> <img src=x onerror=alert(1)> Kila mtu ana haki ya kuishi na uhuru wake kamili.'
    src = write_lines(tmp_path / "evil.txt", [evil, "javascript:alert(1) Kila mtu ana haki ya elimu bora kabisa."])
    res = run_audit([src], "sw", tmp_path / "out", workers=1)
    html = res.report_html.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<img src=x" not in html
    md = res.report_md.read_text(encoding="utf-8")
    assert "<script>" not in md


def test_cli_audit_prints_reconciliation_and_missing_file_exits_2(cli, tmp_path, shared_data):
    src = write_lines(tmp_path / "som.txt", ntrex(shared_data, "som", 50))
    r = cli("audit", src, "--lang", "so", "--out", tmp_path / "out", "--workers", "1")
    assert r.exit_code == 0, r.output
    assert "Input records: 50 = " in r.stdout and "reconciled" in r.stdout
    r = cli("audit", tmp_path / "missing.txt", "--lang", "so")
    assert r.exit_code == 2
    assert r.stderr.strip() == f"lugha: error: {tmp_path / 'missing.txt'}: no such file or directory"
    r = cli("audit", src, "--lang", "zz-nope")
    assert r.exit_code == 2 and "unknown language tag" in r.stderr


def test_demo_finds_the_contamination(cli, tmp_path):
    r = cli("demo", "--out", tmp_path / "demo", "--workers", "1")
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "demo" / "audit" / "summary.json").read_text())
    got = rows(tmp_path / "demo" / "audit")
    amh = [g for g in got if g["lang"] == "amh"]
    assert len(amh) >= 10 and all(g["category"] == "WL" for g in amh)
    assert s["counts"]["NL"] >= 5 and s["duplicates"]["exact"] >= 6
    assert s["pii"]["email"] == 1 and s["pii"]["phone"] >= 1
    assert "report.html" in r.stdout
