"""`lugha lid train|eval|predict|curve` end to end, and the one-line errors."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest

from .data import ntrex, udhr_paragraphs, write_tsv


def test_train_then_eval_predict_curve(cli, shared_data, tmp_path):
    train = write_tsv(tmp_path / "train.tsv", udhr_paragraphs(shared_data, ("tir", "amh", "eng")))
    test = write_tsv(tmp_path / "test.tsv", [(lang, t) for lang in ("tir", "amh", "eng") for t in ntrex(shared_data, lang, 40)])
    r = cli("lid", "train", train, "--out", tmp_path / "m.npz")
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "m.train.json").read_text())
    assert report["languages"] == ["amh", "eng", "tir"]
    assert sum(c["train_paragraphs"] + c["dev_paragraphs"] for c in report["counts"].values()) == \
        len(train.read_text().splitlines()) - 1
    assert list(report["signature"]["inputs"]) == [str(train)]

    r = cli("lid", "eval", test, "--lid-model", tmp_path / "m.npz", "--json", tmp_path / "e.json",
            "--html", tmp_path / "e.html", "--md", tmp_path / "e.md")
    assert r.exit_code == 0, r.output
    e = json.loads((tmp_path / "e.json").read_text())
    assert e["n"] == 120
    assert set(e["backends"]) == {"pycld2", "heliport", "py3langid", "model"}
    assert e["backends"]["model"]["per_language"]["tir"]["f1"] >= 0.95
    assert e["ensemble"]["macro_f1"] >= 0.97
    assert "ensemble" in r.stdout and "macro-F1" in r.stdout
    html = (tmp_path / "e.html").read_text()
    assert "<svg" in html and not re.search(r"(src|href)=[\"']?https?:", html)  # no external request
    md = (tmp_path / "e.md").read_text()
    lines = md.splitlines()
    head = next(line for line in lines if line.startswith("| language | texts |"))
    row = next(line for line in lines if line.startswith("| amh |"))  # F1 per backend, as in the JSON
    cells = dict(zip(head.strip("|").split(" | "), row.strip("|").split(" | ")))
    assert {k.strip(): float(v) for k, v in cells.items() if k.strip() in e["backends"]} == \
        pytest.approx({b: m["per_language"]["amh"]["f1"] for b, m in e["backends"].items()}, abs=5e-4)

    txt = tmp_path / "docs.txt"
    txt.write_text("\n".join(ntrex(shared_data, "tir", 5) + ntrex(shared_data, "eng", 5)) + "\n", encoding="utf-8")
    r = cli("lid", "predict", txt, "--lid-model", tmp_path / "m.npz", "--langs", "tir,amh,eng",
            "--out", tmp_path / "p.parquet")
    assert r.exit_code == 0, r.output
    t = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert [row["lang"] for row in t] == ["tir"] * 5 + ["eng"] * 5
    assert {"lid_model", "lid_pycld2_score"} <= set(t[0])
    summary = json.loads((tmp_path / "p.summary.json").read_text())
    assert summary["documents"] == 10 and summary["languages"] == {"tir": 5, "eng": 5}
    assert summary["signature"]["model"] == report["model_sha256"]
    assert json.loads(pq.read_schema(tmp_path / "p.parquet").metadata[b"lugha.signature"]) == summary["signature"]
    r = cli("lid", "predict", txt)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 10 and rows[0]["votes"]["pycld2"]["lang"] in ("tir", "amh")

    r = cli("lid", "curve", train, "--test", test, "--sizes", "10,40", "--html", tmp_path / "c.html",
            "--json", tmp_path / "c.json", "--md", tmp_path / "c.md")
    assert r.exit_code == 0, r.output
    c = json.loads((tmp_path / "c.json").read_text())
    assert [p["paragraphs_per_language"] for p in c["points"]][:2] == [10, 40]
    assert c["points"][-1]["f1"]["tir"] >= 0.95
    assert "<svg" in (tmp_path / "c.html").read_text()
    assert "| 40 |" in (tmp_path / "c.md").read_text()


def test_bad_labelled_file_is_one_line_error(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("lang, text\nzul, Sawubona\nxx1, Hello\n", encoding="utf-8")
    r = cli("lid", "eval", bad)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"lugha: error: {bad}:3: unknown language tag 'xx1'")
    assert len(r.stderr.strip().splitlines()) == 1
    r = cli("lid", "train", tmp_path / "missing.tsv", "--out", tmp_path / "m.npz")
    assert r.exit_code == 2 and r.stderr.strip() == f"lugha: error: {tmp_path / 'missing.tsv'}: no such file or directory"
    r = cli("lid", "predict", bad, "--lid-model", tmp_path / "nope.npz")
    assert r.exit_code == 2 and "language-ID model file not found" in r.stderr
