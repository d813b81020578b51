import pytest

from lugha.errors import LughaError
from lugha.langs import resolve, same_language


@pytest.mark.parametrize("tag,code,members", [
    ("sw", "swh", {"swa", "swh"}), ("swa", "swh", {"swa", "swh"}), ("swh", "swh", {"swa"}),
    ("ak", "twi", {"aka", "twi"}), ("twi", "twi", {"aka"}),
    ("ar", "arb", {"ara", "arb"}), ("fa", "pes", {"fas", "pes"}),
    ("ku", "kmr", {"kur", "kmr", "ckb"}), ("ckb", "ckb", {"kur"}), ("kmr", "kmr", {"kur"}),
    ("om", "gaz", {"orm", "gaz"}), ("ms", "zsm", {"msa", "zsm"}),
    ("ti", "tir", {"tir"}), ("am", "amh", {"amh"}), ("Tigrinya", "tir", {"tir"}),
])
def test_macrolanguages_resolve_to_an_individual_language_and_count_their_members(tag, code, members):
    lang = resolve(tag)
    assert lang.code == code
    assert members <= lang.equivalents | {lang.code}
    assert all(lang.matches(m) for m in members)


def test_central_kurdish_is_not_northern_kurdish():
    assert not resolve("ckb").matches("kmr")
    assert same_language("kur", "ckb") and not same_language("tir", "amh")


def test_expected_scripts_come_from_library_data():
    assert resolve("tir").scripts[0] == "Ethi"
    assert resolve("ckb").scripts[0] == "Arab"
    assert {"Latn", "Arab"} <= set(resolve("hau").scripts)  # Hausa is also written in Ajami
    assert resolve("ku-Arab").scripts == ("Arab",)


def test_unknown_tag_lists_close_matches():
    with pytest.raises(LughaError) as e:
        resolve("tirr")
    msg = str(e.value)
    assert msg.startswith("unknown language tag 'tirr'; close matches: ")
    assert "tir (Tigrinya)" in msg


@pytest.mark.parametrize("tag", ["und", "UND", "und-Latn"])
def test_undetermined_is_refused_without_offering_itself(tag):
    with pytest.raises(LughaError) as e:
        resolve(tag)
    msg = str(e.value)
    assert msg.startswith(f"{tag!r} means 'undetermined language', which a corpus cannot claim")
    assert "close matches" not in msg and "Undetermined" not in msg


def test_close_matches_never_include_the_refused_tag():
    from lugha.langs import suggest

    assert not any(s.startswith("und ") for s in suggest("und"))
    assert not any(s.startswith("xx ") for s in suggest("xx"))


def test_gflanguages_ids_read_without_protobuf_equal_its_own_keys():
    # _gf_scripts reads the record ids from the files' `id:` lines (3 s faster than parsing them):
    # the same keys, in the same multiplicity, as gflanguages' own loader gives
    import gflanguages

    from lugha.langs import _gf_language_ids

    ids = _gf_language_ids()
    assert len(ids) == len(set(ids)) > 1600
    assert set(ids) == set(gflanguages.LoadLanguages())
