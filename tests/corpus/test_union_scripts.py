"""CLDR names some scripts as unions or variants (Jpan = Hani+Hira+Kana, Kore = Hang+Hani,
Hanb = Hani+Bopo, Hans/Hant = Hani) while a text's script profile reports Unicode scripts. Text
that language ID agrees with must not be called "wrong language" because of that (issue 12, item 2)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from lugha.corpus.clean import run_clean
from lugha.langs import resolve, script_members

# UDHR file, tag as a user types it
UDHR = [("cmn_hans", "zh-Hans"), ("cmn_hant", "zh-Hant"), ("jpn", "ja"), ("kor", "ko"),
        ("srp_cyrl", "sr-Cyrl"), ("srp_latn", "sr-Latn"), ("tir", "ti"), ("amh", "am"),
        ("hau_NG", "ha"), ("yor", "yo"), ("som", "so")]


def test_union_and_variant_scripts_are_the_unicode_scripts_they_cover():
    assert script_members("Jpan") == ("Hani", "Hira", "Kana")
    assert script_members("Kore") == ("Hang", "Hani")
    assert script_members("Hanb") == ("Hani", "Bopo")
    assert script_members("Hans") == script_members("Hant") == ("Hani",)
    assert script_members("Ethi") == ("Ethi",)
    assert resolve("zh-Hant").scripts == ("Hani",)
    assert resolve("ko").scripts == ("Hang", "Hani")
    assert resolve("ja").scripts[:3] == ("Hani", "Hira", "Kana")
    assert resolve("sr-Cyrl").scripts == ("Cyrl",) and resolve("sr-Latn").scripts == ("Latn",)


def test_traditional_chinese_sentence_is_correct_language(cli, tmp_path):
    src = tmp_path / "zh.txt"
    src.write_text("人人生而自由，在尊嚴和權利上一律平等。\n", encoding="utf-8")
    r = cli("audit", src, "--lang", "zh-Hant", "--out", tmp_path / "a")
    assert r.exit_code == 0, r.output
    row = pq.read_table(tmp_path / "a" / "annotations.parquet").to_pylist()[0]
    assert row["lang"] == "cmn" and row["script_match"] and row["category"] == "CC", row


@pytest.mark.parametrize("name,tag", UDHR)
def test_udhr_text_identified_as_its_language_is_kept(shared_data, tmp_path, name, tag):
    lines = [ln.split("\t")[2] for ln in
             (shared_data / "udhr" / "text" / f"{name}.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    src = tmp_path / f"{name}.txt"
    src.write_text("".join(t + "\n" for t in lines), encoding="utf-8")
    res = run_clean([src], tag, tmp_path / "out", workers=1, write_datasheet=False)
    rows = pq.read_table(tmp_path / "out" / "audit" / "annotations.parquet").to_pylist()
    lang = resolve(tag)
    agreed = [r for r in rows if lang.matches(r["lang"])]
    assert len(agreed) >= 0.6 * len(lines)  # language ID knows these texts
    # where language ID agrees, the script never makes it "wrong language"
    assert [r["doc_id"] for r in agreed if r["category"] == "WL"] == []
    assert all(r["script_match"] for r in agreed)
    cc = sum(r["category"] == "CC" for r in agreed)
    assert cc >= 0.5 * len(lines)
    # clean keeps them (zh-Hant kept 0 of 91 before): every CC record that is not a duplicate
    assert res.manifest["counts"]["kept"] >= 0.5 * len(lines)
    assert res.manifest["counts"]["kept"] + res.manifest["counts"]["removed"] == len(lines)
