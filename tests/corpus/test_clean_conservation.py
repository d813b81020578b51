"""Whatever bytes come in, every record comes out exactly once, in kept/ or removed/, with its text
unchanged (property test over junk, blank, NUL, non-UTF-8 and real-language lines)."""

from __future__ import annotations


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lugha.corpus.clean import read_shard, run_clean

line_bytes = st.one_of(
    st.text(min_size=0, max_size=60).map(lambda s: s.replace("\n", " ").replace("\r", " ").encode("utf-8")),
    st.binary(min_size=0, max_size=30).map(lambda b: b.replace(b"\n", b" ")),
    st.sampled_from(["Ina kwana, yaya aiki yau a gidan mu", "Habari za asubuhi rafiki yangu mpendwa sana",
                     "Kira ni a 0803 123 4567 ko a imel@misali.com don Allah yau", "\x00", "12345", ""]).map(str.encode),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(line_bytes, min_size=1, max_size=30), as_jsonl=st.booleans(), shard=st.integers(1, 7))
def test_every_record_comes_out_once_with_its_text(tmp_path_factory, write_corpus, lines, as_jsonl, shard):
    d = tmp_path_factory.mktemp("cons")
    p = write_corpus(d, lines, as_jsonl)
    res = run_clean([p], "hau", d / "out", workers=1, shard_records=shard, write_datasheet=False)
    assert res.conserved
    out = {}
    for part in ("kept", "removed"):
        for f in sorted((d / "out" / part).iterdir()):
            for r in read_shard(f):
                assert r["line"] not in out
                out[r["line"]] = (part, r)
    assert sorted(out) == list(range(1, len(lines) + 1))
    assert res.manifest["counts"] == {"input": len(lines), "kept": sum(v[0] == "kept" for v in out.values()),
                                      "removed": sum(v[0] == "removed" for v in out.values())}
    for n, raw in enumerate(lines, start=1):
        part, r = out[n]
        try:
            text = raw.decode("utf-8")
            if not as_jsonl:
                text = text.removesuffix("\r")  # a CRLF line ending is not part of the text
        except UnicodeDecodeError:
            assert r["removed_by"] == "unreadable" and "text" not in r
            continue
        if "\x00" in text:
            assert r["removed_by"] == "unreadable"
            continue
        if r.get("pii_masked"):
            assert "<PHONE>" in r["text"] or "<EMAIL>" in r["text"]
        else:
            assert r["text"] == text
