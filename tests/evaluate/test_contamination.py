import json

import pytest

from lugha.evaluate.contamination import contamination, unit_of


@pytest.fixture(scope="module")
def ntrex_hau(shared_data):
    return (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()


def test_finds_every_planted_overlap_and_nothing_in_disjoint_text(ntrex_hau, shared_data, tmp_path):
    test_lines = [l for l in ntrex_hau[900:1000] if len(l.split()) >= 15]
    test = tmp_path / "test.hau.txt"
    test.write_text("\n".join(test_lines) + "\n", encoding="utf-8")
    planted_idx = [0, 7, 19, 33, 41]
    train_lines = list(ntrex_hau[:400])
    for k, i in enumerate(planted_idx):
        words = test_lines[i].split()
        # a 13-word window only, upper-cased and with different punctuation, inside other text
        window = " ".join(words[1:14]).upper().replace(",", " ;")
        train_lines.insert(50 * k + 3, f"{train_lines[50 * k]} {window} — karin bayani")
    train = tmp_path / "train.txt"
    train.write_text("\n".join(train_lines) + "\n", encoding="utf-8")
    res = contamination([test], [train])
    dirty = [d["line"] for d in res["documents"] if d["dirty"]]
    assert dirty == [i + 1 for i in planted_idx]
    assert res["dirty"] == 5 and res["contaminated_share"] == pytest.approx(5 / len(test_lines))
    for d in res["documents"]:
        if d["dirty"]:
            assert d["overlapping"] >= 1 and 0 < d["overlap"] < 1
    # disjoint: the training corpus without the planted lines
    clean = tmp_path / "clean.txt"
    clean.write_text("\n".join(ntrex_hau[:400]) + "\n", encoding="utf-8")
    assert contamination([test], [clean])["dirty"] == 0
    # another language's translation of the same news is not an overlap
    assert contamination([test], [shared_data / "ntrex128" / "newstest2019-ref.swa.txt"])["dirty"] == 0


def test_character_ngrams_for_unspaced_text(tmp_path, shared_data):
    zho = (shared_data / "ntrex128" / "newstest2019-ref.zho-CN.txt").read_text(encoding="utf-8").splitlines()
    assert unit_of(zho[5]) == "char" and unit_of("Sannu da zuwa") == "word"
    test = tmp_path / "t.txt"
    test.write_text("\n".join(zho[900:920]) + "\n", encoding="utf-8")
    train = tmp_path / "train.txt"
    planted = zho[905][:60] if len(zho[905]) >= 60 else zho[905]
    train.write_text("\n".join(zho[:300] + [planted]) + "\n", encoding="utf-8")
    res = contamination([test], [train], char_n=50)
    assert [d["line"] for d in res["documents"] if d["dirty"]] == [6]


def test_cli_json_and_threshold(cli, tmp_path, ntrex_hau):
    test = tmp_path / "t.hau.txt"
    test.write_text("\n".join(ntrex_hau[900:910]) + "\n", encoding="utf-8")
    train = tmp_path / "tr.txt"
    train.write_text(ntrex_hau[902] + "\n" + " ".join(ntrex_hau[904].split()[:14]) + "\n", encoding="utf-8")
    out = tmp_path / "c.json"
    r = cli("eval", "contamination", "--train", train, "--test", test, "--json", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["dirty"] == 2 and "2 of 10 test documents are dirty (20.0%)" in r.stdout
    by_line = {d["line"]: d for d in doc["documents"]}
    assert by_line[3]["overlap"] == 1.0
    assert by_line[5]["overlapping"] == 2 and by_line[5]["overlap"] == pytest.approx(2 / (31 - 12))
    r = cli("eval", "contamination", "--train", train, "--test", test, "--threshold", "0.5", "--json", out)
    assert json.loads(out.read_text())["dirty"] == 1
