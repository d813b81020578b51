"""Issue 3 acceptance on real text: a model trained only on UDHR translations, scored on news.

Floors sit a little under the measured figures (docs/lid.md has the full table), so a regression in
the model, the normaliser or the voting rule shows up here."""

from __future__ import annotations

import pytest

from lugha.lid.evaluate import evaluate
from lugha.lid.train import train_model

from .data import SOUTH_AFRICA, masakhanews, ntrex, south_africa_news, udhr_paragraphs, write_tsv

pytestmark = pytest.mark.slow

# measured 2026-11-28 (12,535 news texts): model alone afr .988 eng .951 ssw .901 tsn .969 ven .993
# xho .798 zul .739
MODEL_FLOOR = {"afr": 0.97, "eng": 0.93, "ssw": 0.88, "tsn": 0.95, "ven": 0.98, "xho": 0.76, "zul": 0.70}
# measured: ensemble with the model afr .992 eng .936 ssw .958 tsn .983 ven .995 xho .931 zul .893
ENSEMBLE_FLOOR = {"afr": 0.98, "eng": 0.92, "ssw": 0.94, "tsn": 0.97, "ven": 0.99, "xho": 0.91, "zul": 0.87}


@pytest.fixture(scope="module")
def south_africa(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("sa")
    train = write_tsv(d / "udhr_sa.tsv", udhr_paragraphs(shared_data, SOUTH_AFRICA))
    news = write_tsv(d / "news_sa.tsv", south_africa_news(shared_data))
    r = train_model([train], d / "sa.npz")
    return r, news


def test_udhr_trained_model_on_south_african_news(south_africa):
    r, news = south_africa
    assert r.report["languages"] == sorted(SOUTH_AFRICA)
    assert all(r.report["counts"][lang]["train_paragraphs"] >= 75 for lang in SOUTH_AFRICA)
    assert r.report["dev"]["macro_f1"] >= 0.95
    res = evaluate([news], lid_model=r.model_path, langs=list(SOUTH_AFRICA))
    model = res["backends"]["model"]["per_language"]
    ens = res["ensemble"]["per_language"]
    for lang, floor in MODEL_FLOOR.items():
        assert model[lang]["f1"] >= floor, (lang, model[lang])
    for lang, floor in ENSEMBLE_FLOOR.items():
        assert ens[lang]["f1"] >= floor, (lang, ens[lang])
    # the ensemble with the model beats every bundled backend alone
    for name in ("pycld2", "heliport", "py3langid"):
        assert res["ensemble"]["macro_f1"] > res["backends"][name]["macro_f1"], name
    # coverage is reported: heliport has no Xhosa, Swati, Tswana or Venda label
    assert res["backends"]["heliport"]["cannot_emit"] == ["ssw", "tsn", "ven", "xho"]
    # counts reconcile: every news text is in exactly one confusion cell
    assert sum(sum(row.values()) for row in res["ensemble"]["confusion"].values()) == res["n"]


def test_tigrinya_and_amharic_trained_on_udhr(shared_data, tmp_path):
    train = write_tsv(tmp_path / "udhr_ti_am.tsv", udhr_paragraphs(shared_data, ("tir", "amh")))
    news = write_tsv(tmp_path / "news_ti_am.tsv",
                     [(lang, t) for lang in ("tir", "amh") for t in ntrex(shared_data, lang) + masakhanews(shared_data, lang)])
    r = train_model([train], tmp_path / "ti_am.npz")
    res = evaluate([news], lid_model=r.model_path, langs=["tir", "amh"])
    ens = res["ensemble"]["per_language"]
    assert ens["tir"]["support"] > 1200 and ens["amh"]["support"] > 1200
    # measured .999 each; the issue asks for >= 0.95
    assert ens["tir"]["f1"] >= 0.99 and ens["amh"]["f1"] >= 0.99
    assert res["backends"]["model"]["per_language"]["tir"]["f1"] >= 0.98
    # py3langid has no Tigrinya label: it calls Tigrinya Amharic, alone it scores 0 on tir
    assert res["backends"]["py3langid"]["per_language"]["tir"]["f1"] == 0.0
    assert res["backends"]["py3langid"]["cannot_emit"] == ["tir"]


def test_trained_model_in_the_audit_identifier(shared_data, tmp_path):
    """The audit builds Identifier(target, lid_model=...): the trained model votes, and a backend
    without a Tigrinya label that says Amharic abstains."""
    from lugha.lid import Identifier

    train = write_tsv(tmp_path / "t.tsv", udhr_paragraphs(shared_data, ("tir", "amh", "eng")))
    r = train_model([train], tmp_path / "m.npz")
    ident = Identifier(target="tir", lid_model=r.model_path)
    assert ident.backend_names == ["pycld2", "heliport", "py3langid", "model"]
    assert ident.signature()["model"] == "lugha-nb-" + r.report["model_sha256"][:12]
    preds = ident.identify(ntrex(shared_data, "tir", 100))
    assert sum(p.lang == "tir" for p in preds) >= 98
    assert all(p.votes["model"][0] in ("tir", "amh", "eng") for p in preds)
    assert sum("py3langid" in p.abstained for p in preds) >= 95  # it says amh: not a vote against tir
