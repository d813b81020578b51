import gzip
import json

import pytest

from lugha.errors import LughaError
from pathlib import Path

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


# ---- issue 16: the one I/O layer ----------------------------------------------------------------

import errno
import os
import stat

from lugha import records
from lugha.records import (Skipped, iter_texts, read_lines, read_rows, sha256_file, write_json,
                           write_jsonl_gz, write_text)


def test_null_text_is_reported_as_null_and_json_errors_read_once(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text('{"text": null}\n{"text": "ok", "x": "unterminated\n')
    items = list(read_records(p))
    assert items[0].reason == "text field 'text' is null"
    assert items[1].reason == "bad JSON: Unterminated string starting at column 21"


def test_tsv_has_no_quoting_csv_is_rfc4180(tmp_path):
    tsv = tmp_path / "t.tsv"
    tsv.write_text('lang\ttext\nhau\t"Ina kwana," in ji shi\nyor\tE kaaro\n', encoding="utf-8")
    assert list(read_rows(tsv, required=("lang", "text"))) == [
        (2, {"lang": "hau", "text": '"Ina kwana," in ji shi'}), (3, {"lang": "yor", "text": "E kaaro"})]
    csvf = tmp_path / "t.csv"
    csvf.write_text('lang,text\nhau,"Ina kwana, in ji shi"\n\nyor,"two\nlines"\n', encoding="utf-8")
    assert list(read_rows(csvf)) == [(2, {"lang": "hau", "text": "Ina kwana, in ji shi"}),
                                     (5, {"lang": "yor", "text": "two\nlines"})]


def test_bad_rows_are_lugha_errors_with_path_and_line(tmp_path):
    j = tmp_path / "g.jsonl"
    j.write_text('{"completion": "a"}\n\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(LughaError) as e:
        list(read_rows(j))
    assert str(e.value) == f"{j}:3: JSON list, not an object"
    with pytest.raises(LughaError) as e:
        list(read_rows(j, required=("completion", "language")))
    assert str(e.value) == f"{j}:1: missing field 'language'"
    t = tmp_path / "g.tsv"
    t.write_text("lang\ttext\nhau\tx\ty\n", encoding="utf-8")
    with pytest.raises(LughaError) as e:
        list(read_rows(t))
    assert str(e.value) == f"{t}:2: row has 3 fields, the header has 2"
    with pytest.raises(LughaError) as e:
        list(read_rows(t, required=("label",)))
    assert str(e.value) == f"{t}:1: missing column 'label' (header has: lang, text)"
    b = tmp_path / "b.csv"
    b.write_bytes(b"a,b\n1,2\n3,\xff\n")
    with pytest.raises(LughaError, match=r"b\.csv:3: invalid UTF-8 at byte 10"):
        list(read_rows(b))
    with pytest.raises(LughaError, match=r"expected a \.jsonl, \.csv or \.tsv file"):
        list(read_rows(tmp_path / "x.txt"))


def test_read_lines_strips_line_ends_and_names_the_bad_line(tmp_path):
    p = tmp_path / "r.txt"
    p.write_bytes(b"one\r\ntwo\n\nfour\n")
    assert read_lines(p) == ["one", "two", "", "four"]
    p.write_bytes(b"one\ntwo\n\xc3(\n")
    with pytest.raises(LughaError) as e:
        read_lines(p)
    assert str(e.value) == f"{p}:3: invalid UTF-8 at byte 8: the file is not UTF-8 text"


def test_directory_inputs_say_what_was_skipped_and_why(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.txt").write_text("hello\n")
    (d / "readme.md").write_text("# about\n")
    (d / "tool").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(64))
    (d / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    skipped: list[Skipped] = []
    assert expand_inputs([d], skipped) == [d / "a.txt"]
    why = {Path(s.path).name: s.reason for s in skipped}
    assert why["gone.txt"] == "dangling symbolic link"
    assert why["readme.md"].startswith("not a corpus file name (.md)")
    assert why["tool"].startswith("not a corpus file name (no extension)")
    with pytest.raises(LughaError, match="dangling symbolic link"):
        expand_inputs([d / "gone.txt"])


def test_iter_texts_reads_a_clean_output_as_its_kept_shards(tmp_path):
    out = tmp_path / "clean"
    write_jsonl_gz(out / "kept" / "000-x-00000.jsonl.gz", [{"id": "1", "text": "kept one"}, {"id": "2", "text": ""}])
    write_jsonl_gz(out / "removed" / "000-x-00000.jsonl.gz", [{"id": "3", "text": "removed"}])
    write_json(out / "manifest.json", {"counts": {}})
    counts: dict = {}
    skipped: list = []
    assert list(iter_texts([out], counts=counts, skipped=skipped)) == ["kept one", ""]
    assert list(iter_texts([out], skip_blank=True)) == ["kept one"]
    assert counts == {"documents": 2}
    assert sorted(Path(s.path).name for s in skipped) == ["manifest.json", "removed"]


def test_writers_honour_the_umask_and_are_atomic(tmp_path):
    old = os.umask(0o022)
    try:
        a = write_text(tmp_path / "r" / "report.md", "ወርቅ\n")
        b = write_json(tmp_path / "s.json", {"x": 1.5, "p": Path("/a")})
        c = tmp_path / "k.jsonl.gz"
        write_jsonl_gz(c, [{"a": 1, "b": None}])
        os.umask(0o077)
        d = write_text(tmp_path / "private.txt", "x")
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in (a, b, c)] == [0o644] * 3
    assert stat.S_IMODE(d.stat().st_mode) == 0o600
    assert a.read_text(encoding="utf-8") == "ወርቅ\n" and json.loads(b.read_text()) == {"x": 1.5, "p": "/a"}
    assert gzip.decompress(c.read_bytes()) == b'{"a": 1}\n'
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")) == []


def test_jsonl_gz_is_byte_reproducible(tmp_path):
    rows = [{"id": str(i), "text": f"t{i}"} for i in range(50)]
    write_jsonl_gz(tmp_path / "a.jsonl.gz", rows)
    write_jsonl_gz(tmp_path / "b.jsonl.gz", rows)
    assert sha256_file(tmp_path / "a.jsonl.gz") == sha256_file(tmp_path / "b.jsonl.gz")


def _full_disk(monkeypatch):
    real = os.open

    def fake(path, flags, mode=0o777, *a, **k):
        if str(path).endswith(".tmp"):
            return real("/dev/full", os.O_WRONLY)
        return real(path, flags, mode, *a, **k)
    monkeypatch.setattr(records.os, "open", fake)


def test_disk_full_is_one_lugha_error_naming_the_path_and_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_text("old\n")
    _full_disk(monkeypatch)
    with pytest.raises(LughaError) as e:
        write_json(target, {"big": "x" * 100_000})
    assert str(e.value) == (f"{target}: cannot write: no space left on device; "
                            "fix this and rerun the same command: it resumes where it stopped")
    assert target.read_text() == "old\n"


def test_read_only_file_system_is_one_lugha_error(tmp_path, monkeypatch):
    def ro(path, *a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(path))
    monkeypatch.setattr(records.os, "open", ro)
    with pytest.raises(LughaError, match=r"cannot write: read-only file system; fix this and rerun"):
        write_text(tmp_path / "x.md", "x")


def test_cli_prints_one_line_and_exits_2_on_a_full_disk(cli, tmp_path, monkeypatch):
    src = tmp_path / "c.txt"
    src.write_text("Hii ni sentensi ya Kiswahili ya kutosha kwa ukaguzi.\n" * 3, encoding="utf-8")
    _full_disk(monkeypatch)
    r = cli("audit", src, "--lang", "sw", "--out", tmp_path / "out", "--workers", "1")
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("lugha: error: ") and "no space left on device" in lines[-1]
    assert "rerun the same command: it resumes" in lines[-1] and "Traceback" not in r.output


def test_cli_turns_an_unwrapped_write_error_into_one_line(cli, tmp_path):
    # /sys is mounted read-only in containers and refuses new entries even to root
    if os.access("/sys", os.W_OK) and not _sys_refuses():
        pytest.skip("/sys accepts new entries here")
    src = tmp_path / "c.txt"
    src.write_text("Hii ni sentensi ya Kiswahili ya kutosha kwa ukaguzi.\n", encoding="utf-8")
    r = cli("audit", src, "--lang", "sw", "--out", "/sys/lugha-probe/out", "--workers", "1")
    assert r.exit_code == 2, r.output
    assert r.stderr.strip().count("\n") == 0 and "/sys/lugha-probe" in r.stderr and "rerun" in r.stderr


def _sys_refuses() -> bool:
    try:
        os.mkdir("/sys/lugha-probe")
    except OSError:
        return True
    os.rmdir("/sys/lugha-probe")
    return False


def test_sha256_is_remembered_per_content_not_per_name(tmp_path):
    import hashlib

    p = tmp_path / "f.txt"
    p.write_bytes(b"one")
    assert sha256_file(p) == hashlib.sha256(b"one").hexdigest()
    p.write_bytes(b"two!")  # new size and mtime: hashed again
    assert sha256_file(p) == hashlib.sha256(b"two!").hexdigest()
