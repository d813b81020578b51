import json
import re

import pytest

from lugha.errors import LughaError
from lugha.evaluate.mt import read_reported, score_mt


@pytest.fixture
def mt_files(shared_data, tmp_path):
    ref_lines = (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()[:50]
    ref = tmp_path / "ref.hau.txt"
    ref.write_text("\n".join(ref_lines) + "\n", encoding="utf-8")
    # a degraded system: every other segment loses its second half
    hyp_lines = [l if i % 2 else " ".join(l.split()[: len(l.split()) // 2]) for i, l in enumerate(ref_lines)]
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("\n".join(hyp_lines) + "\n", encoding="utf-8")
    return hyp, ref, hyp_lines, ref_lines


def test_mt_scores_equal_sacrebleu(mt_files):
    import sacrebleu

    hyp, ref, hyp_lines, ref_lines = mt_files
    r = score_mt(hyp, ref)
    assert r["lang"] == "hau" and r["segments"] == 50
    assert r["chrf++"] == pytest.approx(round(sacrebleu.corpus_chrf(hyp_lines, [ref_lines], word_order=2).score, 2))
    assert r["bleu"] == pytest.approx(round(sacrebleu.corpus_bleu(hyp_lines, [ref_lines]).score, 2))
    assert 0 < r["bleu"] < 100 and r["chrf_signature"].startswith("nrefs:1|")
    assert score_mt(ref, ref)["chrf++"] == 100.0


def test_mt_line_mismatch_and_reported_errors(mt_files, tmp_path):
    hyp, ref, _, _ = mt_files
    short = tmp_path / "short.txt"
    short.write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(LughaError, match=r"short.txt: hypothesis has 2 lines but the reference .* has 50"):
        score_mt(short, ref)
    bad = tmp_path / "reported.yaml"
    bad.write_text("- model: x\n  lang: hau\n  metric: rouge\n  value: 3\n", encoding="utf-8")
    with pytest.raises(LughaError, match=r"reported.yaml: entry 1: unknown metric 'rouge'"):
        read_reported(bad)
    bad.write_text("- model: x\n  lang: hau\n  metric: bleu\n   value: [\n", encoding="utf-8")
    with pytest.raises(LughaError, match=r"reported.yaml:\d+: not valid YAML"):
        read_reported(bad)


def test_compare_page_reads_all_result_kinds(cli, tmp_path, shared_data, mt_files):
    from lugha.models.ngram import KneserNeyLM

    lines = (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()
    small, big = tmp_path / "h3.lm", tmp_path / "h6 <b>.lm"  # a name with markup must come out escaped
    KneserNeyLM.train(lines[:300], order=3).save(small)
    KneserNeyLM.train(lines[:800], order=6).save(big)
    test = tmp_path / "held.hau.txt"
    test.write_text("\n".join(lines[900:960]) + "\n", encoding="utf-8")
    for m, out in ((small, "a.json"), (big, "b.json")):
        assert cli("eval", "bpb", "--model", f"ngram:{m}", test, "--json", tmp_path / out).exit_code == 0
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    # pretend the small one is a borrowed model to exercise the verdict
    a["model"] = "gguf:/models/borrowed.gguf"
    a["size_bytes"] = b["size_bytes"] * 500
    (tmp_path / "a.json").write_text(json.dumps(a))
    hyp, ref, _, _ = mt_files
    assert cli("eval", "mt", hyp, ref, "--model", "gguf:/models/borrowed.gguf",
               "--json", tmp_path / "mt.json").exit_code == 0
    (tmp_path / "tax.json").write_text(json.dumps({"premium": {"gemma3": {"hau": 1.8, "amh": 3.1}}, "tokens": {}}))
    rep = tmp_path / "reported.yaml"
    rep.write_text("- model: borrowed\n  lang: hau\n  metric: chrf++\n  value: 61.5\n  source: vendor card\n",
                   encoding="utf-8")
    out = tmp_path / "cmp"
    r = cli("compare", tmp_path / "a.json", tmp_path / "b.json", tmp_path / "mt.json", tmp_path / "tax.json", rep,
            "--out", out)
    assert r.exit_code == 0, r.output
    cmp = json.loads((out / "compare.json").read_text())
    gap = b["languages"]["hau"]["bpb"] - a["languages"]["hau"]["bpb"]
    v = cmp["verdicts"]["hau"]
    assert gap < 0  # the 6-gram on 800 lines beats the 3-gram on 300
    assert v.startswith(f"the local h6 <b> (ngram) beats borrowed (gguf) by {-gap:.2f} bpb at 1/500th of the size; ")
    mt = json.loads((tmp_path / "mt.json").read_text())
    rep_row = cmp["reported"][0]
    assert rep_row["measured"] == mt["chrf++"] and rep_row["delta"] == pytest.approx(mt["chrf++"] - 61.5)
    html = (out / "compare.html").read_text()
    assert "h6 &lt;b&gt;.lm" in html and "<b>.lm" not in html
    assert "<svg" in html and not re.search(r"""(src|href|url)\s*[=(]\s*["']?https?:""", html)
    md = (out / "compare.md").read_text()
    assert "| gemma3 | 3.1 | 1.8 |" in md.replace("3.100", "3.1").replace("1.800", "1.8")
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    r = cli("compare", bad, "--out", out)
    assert r.exit_code == 2 and "not a lugha result" in r.stderr
