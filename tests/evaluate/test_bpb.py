import json
import math

import numpy as np
import pytest

from lugha.evaluate.bpb import bootstrap_ci, bpb_of
from lugha.records import sha256_file
from lugha.models.ngram import KneserNeyLM


@pytest.fixture(scope="module")
def hau_split(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("hau")
    lines = (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()
    (d / "train.txt").write_text("\n".join(lines[:800]) + "\n", encoding="utf-8")
    return d, shared_data / "ntrex128" / "newstest2019-ref.hau.txt", lines[800:]


def test_cli_bpb_per_file_and_language_reconcile(cli, hau_split, shared_data, tmp_path):
    d, _, _ = hau_split
    model = tmp_path / "hau.lm"
    assert cli("train", "ngram", d / "train.txt", "--order", "5", "--out", model).exit_code == 0
    amh = shared_data / "ntrex128" / "newstest2019-ref.amh.txt"
    test = tmp_path / "held.hau.txt"
    lines = hau_split[2]
    test.write_text("\n".join(lines[:100]) + "\n", encoding="utf-8")
    test2 = tmp_path / "more.hau.txt"
    test2.write_text("\n".join(lines[100:]) + "\n", encoding="utf-8")
    out = tmp_path / "r.json"
    r = cli("eval", "bpb", "--model", f"ngram:{model}", test, test2, amh, "--limit", "150", "--json", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    files = {f["file"]: f for f in doc["files"]}
    assert files[str(test)]["documents"] == 100 and files[str(amh)]["documents"] == 150
    # per-language figure pools the two Hausa files: sums, not a mean of ratios
    nats = files[str(test)]["nats"] + files[str(test2)]["nats"]
    nbytes = files[str(test)]["bytes"] + files[str(test2)]["bytes"]
    assert doc["languages"]["hau"]["bpb"] == pytest.approx(-nats / nbytes / math.log(2))
    assert doc["languages"]["hau"]["bytes"] == sum(len(l.encode()) for l in lines if l.strip())
    # independent recomputation with the library
    lm = KneserNeyLM.load(model)
    direct = sum(lm.text_logprob(l) for l in lines[:100] if l.strip())
    assert files[str(test)]["nats"] == pytest.approx(direct, rel=1e-12)
    lo, hi = doc["languages"]["hau"]["ci95"]
    assert lo < doc["languages"]["hau"]["bpb"] < hi
    # a Hausa model on Amharic text: far worse than on Hausa
    assert doc["languages"]["amh"]["bpb"] > doc["languages"]["hau"]["bpb"] + 1
    sig = doc["signature"]
    assert sig["model"] == sha256_file(model) and sig["inputs"][str(amh)] == sha256_file(amh) and sig["task"] == "bpb"
    assert "lugha:" in r.stdout and f"model_sha256:{sig['model'][:12]}" in r.stdout


def test_bootstrap_interval_brackets_and_degenerates():
    rng = np.random.default_rng(1)
    nbytes = rng.integers(50, 200, size=300)
    nats = -nbytes * rng.uniform(1.0, 2.5, size=300)
    lo, hi = bootstrap_ci(nats, nbytes)
    point = bpb_of(nats.sum(), nbytes.sum())
    assert lo < point < hi and hi - lo < 0.2
    assert bootstrap_ci(nats[:1], nbytes[:1]) == (bpb_of(nats[0], nbytes[0]),) * 2


def test_text_in_another_encoding_is_one_line_error(cli, tmp_path, hau_split):
    d, _, _ = hau_split
    model = tmp_path / "m.lm"
    KneserNeyLM.train(["sannu da zuwa"], order=3).save(model)
    latin1 = tmp_path / "old.txt"
    latin1.write_bytes("Sannu\nGwamnatin Najeriya ta ce \u00e6ble\n".encode("latin-1"))
    r = cli("eval", "bpb", "--model", f"ngram:{model}", latin1)
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"lugha: error: {latin1}:2: invalid UTF-8 at byte 25: "
                                "the file is not UTF-8 text (convert it, e.g. iconv -t UTF-8)")


def test_unreadable_model_is_one_line_error(cli, tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"\x00" * 64)
    text = tmp_path / "t.txt"
    text.write_text("hello\n", encoding="utf-8")
    r = cli("eval", "bpb", "--model", f"gguf:{junk}", text)
    assert r.exit_code == 2
    assert r.stderr.strip() == f"lugha: error: {junk}: not a GGUF file (missing the GGUF magic bytes)"
    r = cli("eval", "bpb", "--model", f"ngram:{junk}", text)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert f"lugha: error: {junk}: not a lugha n-gram model" in r.stderr


@pytest.mark.parametrize("name, code", [("som.dev.txt", "som"), ("newstest2019-ref.hau.txt", "hau"),
                                        ("train.yor.src.txt", "yor"), ("held.val.amh.jsonl", "amh"),
                                        ("notes.txt", "und")])
def test_language_from_file_name_skips_split_words(name, code):
    # dev, val and src are also ISO 639-3 codes (Domung, Vehes, Logudorese Sardinian)
    from lugha.evaluate.texts import language_of

    assert language_of(name) == code
