"""Labelled-file reading: formats, and one-line errors naming file and line."""

from __future__ import annotations

import pytest

from lugha.errors import LughaError
from lugha.lid.labeled import read_labeled


def test_csv_with_space_after_comma_tsv_jsonl_and_directory(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text('lang, text\nzu, "Bonke abantu, bazalwa"\nsw, Kila mtu\n', encoding="utf-8")
    tsv = tmp_path / "b.tsv"
    tsv.write_text("id\ttext\tlang\n1\tSawubona\tzul\n", encoding="utf-8")
    jl = tmp_path / "c.jsonl"
    jl.write_text('{"lang": "tir", "text": "ሰላም"}\n\n{"lang": "am", "text": "ሰላም ነው"}\n', encoding="utf-8")
    d = tmp_path / "dir"
    d.mkdir()
    (d / "xho.txt").write_text("Molo\n\nEnkosi\n", encoding="utf-8")
    items = read_labeled([csv, tsv, jl, d])
    assert [(i.lang, i.text, i.line) for i in items] == [
        ("zul", "Bonke abantu, bazalwa", 2), ("swh", "Kila mtu", 3), ("zul", "Sawubona", 2),
        ("tir", "ሰላም", 1), ("amh", "ሰላም ነው", 3), ("xho", "Molo", 1), ("xho", "Enkosi", 3)]


@pytest.mark.parametrize("name,content,message", [
    ("bad.tsv", "lang\ttext\nzul\tSawubona\nqqq\tHello there\n", "bad.tsv:3: unknown language tag 'qqq'"),
    ("empty.tsv", "lang\ttext\nzul\tSawubona\nxho\t   \n", "empty.tsv:3: empty text"),
    ("nocol.csv", "language,text\nzul,Sawubona\n", "nocol.csv:1: missing column 'lang' (header has: language, text)"),
    ("nocol.jsonl", '{"lang": "zul", "text": "a"}\n{"lang": "zul"}\n', "nocol.jsonl:2: missing field 'text'"),
])
def test_bad_labelled_file_is_one_line_error(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(LughaError) as e:
        read_labeled([p])
    assert str(e.value).startswith(str(tmp_path / message))
    assert "\n" not in str(e.value)


def test_tsv_quote_marks_are_text(tmp_path):
    # news sentences often open with a quote; a TSV is not quoted, so lines must not merge
    p = tmp_path / "q.tsv"
    p.write_text('lang\ttext\nzul\t"Sawubona," kusho yena\nxho\tMolo "mhlobo\nzul\tYebo\n', encoding="utf-8")
    assert [(i.text, i.line) for i in read_labeled([p])] == [
        ('"Sawubona," kusho yena', 2), ('Molo "mhlobo', 3), ("Yebo", 4)]
