"""`lugha train ngram` writes OUT.training.json as `train lm` writes DIR/training.json: counts that
reconcile with the input, characters seen, seconds and the signature (inputs, order, model file)."""

from __future__ import annotations

import json

from lugha.records import sha256_file


def test_train_ngram_writes_training_json(cli, shared_data, tmp_path):
    lines = (shared_data / "ntrex128" / "newstest2019-ref.som.txt").read_text(encoding="utf-8").splitlines()[:200]
    text = tmp_path / "train.som.txt"
    # two blank lines among real Somali news: read as documents, trained on as nothing, counted
    text.write_text("\n".join(lines[:100] + ["", ""] + lines[100:]) + "\n", encoding="utf-8")
    out = tmp_path / "som3.lm"
    r = cli("train", "ngram", text, "--order", "3", "--out", out)
    assert r.exit_code == 0, r.output
    info = json.loads((tmp_path / "som3.lm.training.json").read_text(encoding="utf-8"))
    assert info["kind"] == "train-ngram" and info["steps"] is None and info["order"] == 3
    c = info["data"]["counts"]
    assert c == {"documents": 202, "trained_documents": 200, "empty_documents": 2, "unreadable": 0}
    assert info["characters_seen"] == info["tokens_seen"] == sum(len(x) for x in lines)
    assert 0 < info["seconds"] == info["compute"]["wall_seconds"] and info["compute"]["cpu_seconds"] > 0
    sig = info["signature"]
    assert sig["task"] == "train-ngram" and sig["params"]["order"] == 3
    assert sig["inputs"] == {str(text): sha256_file(text)} and sig["model"] == sha256_file(out)
    assert f"{sum(len(x) for x in lines):,} characters" in r.stderr
