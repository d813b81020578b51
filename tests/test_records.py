import gzip
import json

import pytest

from lugha.errors import LughaError
from lugha.records import MAX_RECORD_BYTES, Record, Unreadable, expand_inputs, read_records


def test_txt_bad_records_are_reported_with_line_and_reason(tmp_path):
    p = tmp_path / "c.txt"
    p.write_bytes(b"good line\n\xff\xfe broken utf8\nhas \x00 nul\n\nlast\n")
    items = list(read_records(p))
    assert [type(i).__name__ for i in items] == ["Record", "Unreadable", "Unreadable", "Record", "Record"]
    assert str(items[1]) == f"{p}:2: invalid UTF-8 at byte 0"
    assert str(items[2]) == f"{p}:3: NUL byte in text"
    assert [i.id for i in items] == ["1", "2", "3", "4", "5"]


def test_jsonl_bad_json_missing_field_and_ids(tmp_path):
    p = tmp_path / "c.jsonl.gz"
    lines = [json.dumps({"id": "a", "text": "hello", "url": "https://x.org/1"}), "{not json",
             json.dumps({"body": "no text field"}), json.dumps({"text": 5}), json.dumps({"text": "no id"})]
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    items = list(read_records(p))
    assert isinstance(items[0], Record) and items[0].id == "a" and items[0].meta["url"] == "https://x.org/1"
    assert items[1].reason.startswith("bad JSON") and items[1].line == 2
    assert items[2].reason == "missing text field 'text'"
    assert items[3].reason == "text field 'text' is int, not a string"
    assert isinstance(items[4], Record) and items[4].id == "4"  # 0-based record index


def test_a_50_mb_line_is_skipped_without_loading_it(tmp_path):
    p = tmp_path / "big.txt"
    with open(p, "wb") as f:
        f.write(b"before\n")
        f.write(b"x" * (50 * 1024 * 1024) + b"\n")
        f.write(b"after\n")
    items = list(read_records(p))
    assert [getattr(i, "text", None) for i in items] == ["before", None, "after"]
    assert items[1].line == 2 and "exceeds the" in items[1].reason and f"{MAX_RECORD_BYTES:,}" in items[1].reason


def test_byte_range_shards_cover_every_line_once(tmp_path):
    from lugha.engine import plan_shards

    p = tmp_path / "c.txt"
    p.write_text("".join(f"document number {i}\n" for i in range(5000)))
    assert len(plan_shards([str(p)], workers=2)) == 1  # 113 kB: below the 1 MiB minimum shard size
    shards = plan_shards([str(p)], workers=2, max_bytes=10_000)
    assert len(shards) > 5
    got = [r for s in shards for r in read_records(s.path, start=s.start, end=s.end, first_line=s.first_line)]
    assert [r.id for r in got] == [str(i) for i in range(1, 5001)]
    assert got[4321].text == "document number 4321"  # line 4322


def test_missing_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(LughaError, match=r"nope\.txt: no such file or directory"):
        expand_inputs([tmp_path / "nope.txt"])
    with pytest.raises(LughaError, match="glob matches no file"):
        expand_inputs([str(tmp_path / "*.jsonl")])
