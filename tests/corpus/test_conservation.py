"""Nothing lost: whatever bytes come in, every record appears exactly once in the output."""

from __future__ import annotations


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
def test_input_count_equals_categories_plus_unreadable(tmp_path_factory, write_corpus, lines, as_jsonl):
    d = tmp_path_factory.mktemp("fuzz")
    p = write_corpus(d, lines, as_jsonl)
    res = run_audit([p], "tir", d / "out", workers=1)
    c = res.summary["counts"]
    assert c["total"] == len(lines)
    assert c["total"] == sum(c[k] for k in ("CC", "CB", "CS", "WL", "NL", "unreadable"))
    t = pq.read_table(d / "out" / "annotations.parquet", columns=["doc_id", "line"])
    assert t.num_rows == len(lines)
    assert t.column("line").to_pylist() == list(range(1, len(lines) + 1))
