"""The evaluation card from real pieces: eval mcq on the MMLU-clinical files, imported answers
with fidelity, review results in the review app's shape (per criterion, from review/stats), ratings
for the worst answers, an export with reviewers' comments. Untrusted text is escaped."""

import csv
import json

import pytest

from lugha.domains.card import BLANKS, build_card, write_card
from lugha.review import stats


class AlwaysD:
    spec = "always:D"

    def choice_logliks(self, requests, progress=None):
        return [[(0.0 if c == " D" else -1.0, None) for c in conts] for _, conts in requests]

    def signature(self):
        return {"backend": "test", "model_sha256": "ab" * 32}


@pytest.fixture
def inputs(tmp_path, shared_data, fixtures):
    from lugha.evaluate.generate import generate_answers
    from lugha.evaluate.mcq import evaluate_mcq
    from lugha.records import write_json

    d = shared_data / "mmlu_clinical_afr"
    mcq = tmp_path / "mcq.json"
    write_json(mcq, evaluate_mcq(AlwaysD(), [d / "virology_val.csv", d / "virology_val_zu.csv"], n_boot=200))
    imp = tmp_path / "clin.jsonl"
    hau = (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()
    imp.write_text("".join(json.dumps({"prompt_id": p, "answer": a}, ensure_ascii=False) + "\n" for p, a in [
        ("h1", hau[-1]), ("h2", "<img src=x onerror=alert(2)> give aspirin"), ("s1", "Call someone now."),
        ("e1", "Fever and chills; go to a clinic today.")]), encoding="utf-8")
    gen = generate_answers([], fixtures / "prompts_health.jsonl", tmp_path / "gen", imports={"clinician": imp})
    with open(fixtures / "rubric_pooled_vs_per_criterion.csv", newline="") as f:
        rows = [dict(r, value=int(r["value"])) for r in csv.DictReader(f)]
    crit = {}
    for cid in ("correct", "hallucination", "harm"):
        crit[cid] = {"question": cid, "groups": stats.criterion_summary([r for r in rows if r["criterion"] == cid])}
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"counts": {}, "kinds": {"rubric": {
        "criteria": crit, "pooled_alpha": stats.pooled_alpha(rows)["alpha"]}}}), encoding="utf-8")
    ratings = tmp_path / "ratings.json"
    ratings.write_text(json.dumps({"ratings": [
        {"item": "i1", "reviewer": "r1", "criterion": "correct", "value": 4, "model": "clinician", "lang": "hau", "prompt_id": "h1"},
        {"item": "i2", "reviewer": "r1", "criterion": "correct", "value": 1, "model": "clinician", "lang": "hau", "prompt_id": "h2"},
        {"item": "i2", "reviewer": "r2", "criterion": "correct", "value": 2, "model": "clinician", "lang": "hau", "prompt_id": "h2"},
    ]}), encoding="utf-8")
    export = tmp_path / "labels.csv"
    export.write_text('item_id,model,lang,comment\ni2,clinician,hau,"aspirin is wrong for a child <script>alert(3)</script>"\ni1,clinician,hau,\n',
                      encoding="utf-8")
    return [mcq, tmp_path / "gen" / "generate.json", tmp_path / "gen" / "answers.jsonl", review, ratings, export]


def test_card_content(inputs):
    card = build_card(inputs, title="Health, Hausa and Zulu")
    assert {m["model"] for m in card["models"]} == {"always:D", "clinician"}
    assert {"eng", "zul", "hau", "swh"} <= set(card["languages"])
    zu = next(r for r in card["mcq"] if r["lang"] == "zul")
    assert zu["n"] == 18 and zu["accuracy"] == pytest.approx(3 / 18) and zu["gap"]["gap"] == 0.0
    fid = {(f["model"], f["lang"]): f for f in card["fidelity"]}
    assert fid[("clinician", "hau")]["lpr"]["k"] == 1  # the Hausa line passes, the English one does not
    harm = card["harm"]
    assert len(harm) == 1 and harm[0]["flagged"]["k"] == 4 and harm[0]["flagged"]["n"] == 40
    assert harm[0]["agreement"]["alpha"] == pytest.approx(-0.0395, abs=1e-4)
    assert card["pooled_alpha"][0]["alpha"] > 0.95
    assert [w["item"] for w in card["worst"]] == ["i2", "i1"] and card["worst"][0]["answer"].startswith("<img")
    assert card["comments"] == [{"comment": "aspirin is wrong for a child <script>alert(3)</script>",
                                 "model": "clinician", "lang": "hau", "item": "i2"}]
    assert [b["field"] for b in card["blanks"]] == [f for f, _ in BLANKS]
    assert len(card["signature"]["inputs"]) == 6


def test_card_renders_escaped_html_and_markdown(inputs, tmp_path, cli):
    res = cli("domains", "card", *inputs, "--out", tmp_path / "card", "--title", "Health <b>card</b>")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "card" / "card.html").read_text(encoding="utf-8")
    for raw in ("<script>alert(3)", "<img src=x", "<b>card</b>", "<script>alert(1)"):
        assert raw not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html and "&lt;img src=x" in html
    assert "10.0% [4.0%–23.1%]" in html  # harm: 4 of 40 answers flagged, Wilson interval
    assert "-0.039" in html and "The model must not be used for" in html and "Who reviewed" in html
    md = (tmp_path / "card" / "card.md").read_text(encoding="utf-8")
    assert "16.7% \\[5.8%–39.2%\\]" in md  # Zulu virology: 3 of 18, Wilson
    assert "<script>" not in md and "What reviewers wrote" in md
    assert json.loads((tmp_path / "card" / "card.json").read_text())["kind"] == "card"


def test_card_refuses_unknown_inputs(tmp_path, cli):
    f = tmp_path / "x.json"
    f.write_text('{"kind": "bpb"}', encoding="utf-8")
    res = cli("domains", "card", f, "--out", tmp_path / "o")
    assert res.exit_code == 2 and "not an eval mcq / eval generate / review results file" in res.output


def test_domains_check_lists_every_problem(tmp_path, cli, fixtures):
    ok = cli("domains", "check", fixtures / "prompts_health.jsonl")
    assert ok.exit_code == 0 and "4 prompts, 3 language(s); risk: crisis 1, high 1, low 1, medium 1" in ok.stdout
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"id": "a"}\n{"id": "b", "lang": "hau", "domain": "d", "risk": "x", "prompt": "p"}\n')
    res = cli("domains", "check", bad)
    assert res.exit_code == 2
    assert f"{bad}:1: missing field 'lang'" in res.output and f"{bad}:2: risk 'x' is not one of" in res.output
