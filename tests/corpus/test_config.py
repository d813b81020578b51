import pytest

from lugha.corpus.clean import load_rules
from lugha.corpus.config import load_config
from lugha.errors import LughaError


def test_bad_toml_config_names_file_and_line(tmp_path):
    bad = tmp_path / "audit.toml"
    bad.write_text("[categories]\nmin_words = 5\n\nmin_script_share = = 0.5\n", encoding="utf-8")
    with pytest.raises(LughaError) as e:
        load_config("hau", bad)
    assert (e.value.path, e.value.line) == (str(bad), 4)
    assert str(e.value) == f"{bad}:4: invalid TOML: Invalid value (column 20)"


def test_bad_toml_rules_names_file_and_line(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[pii]\naction = "mask"\n[pii]\n', encoding="utf-8")
    with pytest.raises(LughaError) as e:
        load_rules(bad)
    assert str(e.value).startswith(f"{bad}:3: invalid TOML: ")


def test_bad_toml_is_one_line_exit_2(cli, tmp_path):
    src = tmp_path / "c.txt"
    src.write_text("Hii ni sentensi.\n", encoding="utf-8")
    bad = tmp_path / "c.toml"
    bad.write_text("[dedup]\nnum_perm = 1\nseed = \n", encoding="utf-8")
    r = cli("audit", src, "--lang", "sw", "--config", bad, "--out", tmp_path / "o")
    assert r.exit_code == 2 and r.stderr.strip() == f"lugha: error: {bad}:3: invalid TOML: Invalid value (column 8)"
