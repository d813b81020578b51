"""LPR/WPR against values computed by hand on generations built from real NTREX lines."""

import json

import pytest

from lugha.errors import LughaError
from lugha.evaluate.fidelity import lid_identifier, read_generations, score_generations


def _ntrex(shared_data, lang, i):
    return (shared_data / "ntrex128" / f"newstest2019-ref.{lang}.txt").read_text(encoding="utf-8").splitlines()[i]


@pytest.fixture(scope="module")
def amharic_generations(shared_data):
    amh = [_ntrex(shared_data, "amh", i) for i in (10, 20, 30, 40, 50, 60)]
    eng = (shared_data / "ntrex128" / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()[12]
    return [
        # 1: two Amharic lines: line pass, word pass
        {"prompt": "p1", "completion": f"{amh[0]}\n{amh[1]}", "language": "amh"},
        # 2: Amharic then a full English line: line fail
        {"prompt": "p2", "completion": f"{amh[2]}\n{eng}", "language": "amh"},
        # 3: Amharic + a short English line (< 5 tokens, not judged): line pass, word fail
        {"prompt": "p3", "completion": f"{amh[3]}\nOK, thank you", "language": "amh"},
        # 4: an English word inside an Amharic line: line pass, word fail
        {"prompt": "p4", "completion": amh[4].replace(" ", " computer ", 1), "language": "amh"},
        # 5: only short lines: unjudged
        {"prompt": "p5", "completion": "ሰላም ነው\nአዎ", "language": "amh"},
    ]


def test_lpr_wpr_hand_computed_with_lugha_lid(amharic_generations):
    res = score_generations(amharic_generations, lid_identifier())
    m = res["languages"]["amh"]
    assert (m["responses"], m["judged"], m["unjudged"]) == (5, 4, 1)
    assert m["lpr"] == pytest.approx(3 / 4)  # responses 1, 3, 4 pass; 2 fails
    assert m["wpr"] == pytest.approx(1 / 3)  # of 1, 3, 4 only 1 has no English word
    # judged lines: 2 + 2 + 1 + 1 = 6, one of them English
    assert m["lines_judged"] == 6
    assert m["line_share"]["eng"] == pytest.approx(1 / 6)
    assert m["line_share"]["amh"] == pytest.approx(5 / 6)
    gens = res["generations"]
    assert [g["line_pass"] for g in gens] == [True, False, True, True, None]
    assert gens[3]["english_words"] == ["computer"]
    assert gens[1]["lines"][1]["lang"] == "eng"


def test_latin_script_target_has_no_wpr(shared_data):
    hau = [_ntrex(shared_data, "hau", i) for i in (5, 6)]
    rows = [{"completion": hau[0], "language": "hau"}, {"completion": hau[1], "language": "ha"}]
    m = score_generations(rows, lid_identifier())["languages"]["hau"]
    assert m["lpr"] == 1.0 and m["wpr"] is None


def test_arithmetic_with_a_fixed_identifier():
    # identifier: a line is 'eng' when it contains 'the', else the target
    ident = lambda texts, target: ["eng" if " the " in f" {t} " else target for t in texts]  # noqa: E731
    rows = [
        {"completion": "one two three four five\nsix seven eight nine ten", "language": "tir"},
        {"completion": "one two three four five\nthe cat sat on the mat", "language": "tir"},
        {"completion": "a b c\nd e", "language": "tir"},
        {"completion": "ሰላም ከመይ ኣለኻ ጽቡቕ እየ", "language": "tir"},
    ]
    m = score_generations(rows, ident)["languages"]["tir"]
    assert m["lpr"] == pytest.approx(2 / 3)
    assert m["wpr"] == pytest.approx(1 / 2)  # Latin words count as English for a Ge'ez target
    assert m["unjudged"] == 1


def test_cli_scores_existing_generations(cli, tmp_path, amharic_generations):
    f = tmp_path / "gens.jsonl"
    f.write_text("\n".join(json.dumps(g, ensure_ascii=False) for g in amharic_generations), encoding="utf-8")
    out = tmp_path / "fid.json"
    r = cli("eval", "fidelity", "--lang", "amh", "--generations", f, "--json", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["languages"]["amh"]["lpr"] == pytest.approx(0.75)
    assert doc["languages"]["amh"]["wpr"] == pytest.approx(1 / 3)
    assert len(doc["generations"]) == 5 and doc["signature"]["task"] == "fidelity"
    assert "75.0%" in r.stdout


def test_generations_csv_and_errors(cli, tmp_path):
    csv = tmp_path / "g.csv"
    csv.write_text("prompt,completion,language\nx,\"The cat sat on the mat today.\",eng\n", encoding="utf-8")
    rows = read_generations(csv)
    assert rows[0]["completion"].startswith("The cat") and rows[0]["language"] == "eng"
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,text\nx,y\n", encoding="utf-8")
    with pytest.raises(LughaError, match=r"bad.csv:2: missing the `completion` column"):
        read_generations(bad)
    empty = tmp_path / "prompts.txt"
    empty.write_text("\n\n", encoding="utf-8")
    r = cli("eval", "fidelity", "--lang", "hau", "--model", "ngram:/nonexistent.lm", empty)
    assert r.exit_code == 2
    assert r.stderr.strip() == f"lugha: error: {empty}: prompt file has no prompts (it is empty or only blank lines)"


def test_saved_generations_rescore_and_import_into_review(cli, tmp_path, amharic_generations):
    f = tmp_path / "gens.jsonl"
    f.write_text("\n".join(json.dumps(g, ensure_ascii=False) for g in amharic_generations), encoding="utf-8")
    saved = tmp_path / "saved.jsonl"
    r = cli("eval", "fidelity", "--lang", "amh", "--generations", f, "--model", "api:some-model",
            "--save-generations", saved)
    assert r.exit_code == 0, r.output
    rows = [json.loads(l) for l in saved.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5 and rows[1]["line_pass"] is False and rows[0]["model"] == "api:some-model"
    # the saved file scores the same when read back
    out = tmp_path / "again.json"
    assert cli("eval", "fidelity", "--lang", "amh", "--generations", saved, "--json", out).exit_code == 0
    assert json.loads(out.read_text())["languages"]["amh"]["lpr"] == pytest.approx(0.75)
    from lugha.review.sampling import import_generations

    batch = import_generations(saved)
    assert [it["text"] for it in batch.items] == [g["completion"] for g in amharic_generations]


def test_decoding_loops_are_repetition_not_drift():
    from lugha.evaluate.fidelity import is_repetition

    assert is_repetition("ta ta ta ta ta ta ta ta ta ta") and is_repetition("su da su da su da su da su da su da")
    assert not is_repetition("Gwamnati ta ce za ta gina sababbin makarantu")
    seen = []

    def ident(texts, target):
        seen.extend(texts)
        return ["eng"] * len(texts)

    rows = [{"completion": "da da da da da da da da\nThe cat sat on the mat today", "language": "hau"}]
    m = score_generations(rows, ident)["languages"]["hau"]
    assert seen == ["The cat sat on the mat today"]  # the loop never reaches language ID
    assert m["line_share"] == {"repetition": 0.5, "eng": 0.5} and m["lpr"] == 0.0
