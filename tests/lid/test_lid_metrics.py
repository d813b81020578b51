"""`lid eval` figures against a confusion matrix worked out by hand."""

from __future__ import annotations

import pytest

from lugha.lid.evaluate import confusion_words, metrics

# 10 texts. Confusion matrix (rows gold, columns predicted), by hand:
#          zul  xho  nbl  und
#   zul     3    1    1    0      (5 texts)
#   xho     1    2    0    0      (3 texts)
#   nbl     0    0    1    1      (2 texts)
GOLD = ["zul"] * 5 + ["xho"] * 3 + ["nbl"] * 2
PRED = ["zul", "zul", "zul", "xho", "nbl", "zul", "xho", "xho", "nbl", "und"]


def test_hand_computed_confusion_matrix():
    m = metrics(GOLD, PRED, can_emit=frozenset({"zul", "xho"}))
    assert m["confusion"] == {"zul": {"nbl": 1, "xho": 1, "zul": 3}, "xho": {"xho": 2, "zul": 1},
                              "nbl": {"nbl": 1, "und": 1}}
    zul, xho, nbl = (m["per_language"][k] for k in ("zul", "xho", "nbl"))
    # zul: tp 3, fp 1 (the xho text), fn 2 -> P 3/4, R 3/5, F1 2PR/(P+R) = 2/3; FPR 1/5
    assert (zul["tp"], zul["fp"], zul["fn"]) == (3, 1, 2)
    assert zul["precision"] == 0.75 and zul["recall"] == 0.6 and zul["f1"] == pytest.approx(0.6667, abs=1e-4)
    assert zul["fpr"] == 0.2
    # xho: tp 2, fp 1 (a zul text), fn 1 -> P 2/3, R 2/3, F1 2/3; FPR 1/7
    assert (xho["tp"], xho["fp"], xho["fn"]) == (2, 1, 1)
    assert xho["f1"] == pytest.approx(0.6667, abs=1e-4) and xho["fpr"] == pytest.approx(1 / 7, abs=1e-4)
    # nbl: tp 1, fp 1 (a zul text), fn 1 ('und' is a miss, not anyone's false positive) -> F1 1/2; FPR 1/8
    assert (nbl["tp"], nbl["fp"], nbl["fn"]) == (1, 1, 1)
    assert nbl["f1"] == 0.5 and nbl["fpr"] == 0.125
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 0.5) / 3, abs=1e-4)
    assert m["accuracy"] == 0.6
    assert m["cannot_emit"] == ["nbl"]
    # largest off-diagonal shares first: nbl -> und 1/2, xho -> zul 1/3, then zul -> nbl/xho 1/5
    assert [confusion_words(c) for c in m["top_confusions"]] == [
        "nbl → und 50%", "xho → zul 33%", "zul → nbl 20%", "zul → xho 20%"]


def test_same_language_counts_as_right_and_macrolanguage_is_canonicalised():
    m = metrics(["swh", "swh", "kmr"], ["swa", "swh", "swa"])
    assert m["per_language"]["swh"]["tp"] == 2  # swa (macrolanguage) on Swahili text is right
    assert m["confusion"]["kmr"] == {"swh": 1}  # a wrong macrolanguage label shows as its main member


def test_small_confusions_do_not_read_as_zero():
    m = metrics(["tir"] * 200, ["tir"] * 199 + ["amh"])
    assert [confusion_words(c) for c in m["top_confusions"]] == ["tir → amh 0.5%"]
