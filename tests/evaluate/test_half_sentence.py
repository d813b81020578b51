"""`lugha eval bpb --metric half-sentence`: Goldfish's bits of the second half of each line given the
first (split at len(line) // 2 characters), checked on a case computed by hand."""

import json
import math

import pytest

from lugha.evaluate.bpb import evaluate_bpb
from lugha.models.ngram import KneserNeyLM
from lugha.models.ngram_backend import NgramModel


def _hand_probs():
    """A bigram KN model trained on the one line "ab", by hand.

    Padded line: BOS a b EOS -> bigrams (BOS a), (a b), (b EOS), each seen once.
    Order 2: every context seen once with one type; n1 = 3, n2 = 0 -> D2 = 3/3 = 1, kept to 0.95.
    Order 1 (continuation counts): a, b, EOS once each; total 3, 3 types; D1 = 0.95 likewise.
    Vocabulary: a, b, EOS, UNK -> uniform 1/4.
    P1(w) = (1 - 0.95)/3 + 0.95 * 3/3 * 1/4 for w in {a, b}.
    P(b | a) = (1 - 0.95)/1 + 0.95 * 1/1 * P1(b);  P(a | b) = 0 + 0.95 * P1(a) ("ba" never seen)."""
    p1 = 0.05 / 3 + 0.95 / 4
    return {"b|a": 0.05 + 0.95 * p1, "a|b": 0.95 * p1}


@pytest.fixture
def bigram(tmp_path):
    path = tmp_path / "ab.lm"
    KneserNeyLM.train(["ab"], order=2).save(path)
    return NgramModel(path)


def test_half_sentence_by_hand(bigram, tmp_path):
    p = _hand_probs()
    # "abab": split after 2 characters -> second half "ab" given "ab": P(a | b) P(b | a)
    # "ababa": len 5 // 2 = 2 -> second half "aba": P(a | b) P(b | a) P(a | b)
    held = tmp_path / "held.xx.txt"
    held.write_text("abab\nababa\n", encoding="utf-8")
    res = evaluate_bpb(bigram, [held], langs={str(held): "hau"}, n_boot=50, metric="half-sentence")
    bits = [-math.log2(p["a|b"] * p["b|a"]), -math.log2(p["a|b"] * p["b|a"] * p["a|b"])]
    f = res["files"][0]
    assert f["documents_half_bits"] == pytest.approx(bits, abs=1e-12)
    h = res["languages"]["hau"]["half_sentence"]
    assert h["bits_per_line"] == pytest.approx(sum(bits) / 2, abs=1e-12)
    assert h["bytes"] == 2 + 3
    assert h["bpb"] == pytest.approx(sum(bits) / 5, abs=1e-12)
    assert h["lines"] == 2
    # the whole-line figure is still there and includes the first halves
    assert res["languages"]["hau"]["bpb"] > 0 and res["metric"] == "half-sentence"
    assert res["signature"]["params"]["metric"] == "half-sentence"


def test_half_sentence_cli(cli, bigram, tmp_path):
    held = tmp_path / "held.hau.txt"
    held.write_text("abab\n", encoding="utf-8")
    out = tmp_path / "r.json"
    r = cli("eval", "bpb", "--model", bigram.spec, str(held), "--metric", "half-sentence", "--json", str(out))
    assert r.exit_code == 0, r.output
    p = _hand_probs()
    want = -math.log2(p["a|b"] * p["b|a"])
    assert "second half of each line given the first" in r.stdout
    row = next(line for line in r.stdout.splitlines() if line.startswith("│ hau"))
    assert f"{want:.2f}" in row  # bits/line
    assert json.loads(out.read_text())["languages"]["hau"]["half_sentence"]["bits_per_line"] == pytest.approx(want)
    bad = cli("eval", "bpb", "--model", bigram.spec, str(held), "--metric", "halves")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "lugha: error: --metric must be one of bpb, half-sentence, got 'halves'"
