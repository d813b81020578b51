"""Nothing lost: whatever bytes come in, every record appears exactly once in the output."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lugha.corpus.audit import run_audit

line_bytes = st.one_of(
    st.text(min_size=0, max_size=80).map(lambda s: s.replace("\n", " ").replace("\r", " ").encode("utf-8")),
    st.binary(min_size=0, max_size=40).map(lambda b: b.replace(b"\n", b" ")),
    st.sampled_from(["ሰላም ለዓለም ኩሉ ሰብ", "Habari za asubuhi rafiki yangu", "<b>x</b>", "\x00", "12345"]).map(str.encode),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(line_bytes, min_size=1, max_size=40), as_jsonl=st.booleans())
def test_input_count_equals_categories_plus_unreadable(tmp_path_factory, lines, as_jsonl):
    d = tmp_path_factory.mktemp("fuzz")
    if as_jsonl:
        p = d / "c.jsonl"
        body = []
        for b in lines:
            try:
                body.append(json.dumps({"text": b.decode("utf-8")}).encode())
            except UnicodeDecodeError:
                body.append(b)  # raw junk: an unreadable JSON line
    else:
        p = d / "c.txt"
        body = lines
    p.write_bytes(b"\n".join(body) + b"\n")
    res = run_audit([p], "tir", d / "out", workers=1)
    c = res.summary["counts"]
    assert c["total"] == len(lines)
    assert c["total"] == sum(c[k] for k in ("CC", "CB", "CS", "WL", "NL", "unreadable"))
    t = pq.read_table(d / "out" / "annotations.parquet", columns=["doc_id", "line"])
    assert t.num_rows == len(lines)
    assert t.column("line").to_pylist() == list(range(1, len(lines) + 1))
