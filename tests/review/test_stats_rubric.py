"""Honest statistics for rubric review: alpha at every level against Krippendorff's own example,
checklist scores and win rates by hand, and the pooled-vs-per-criterion trap on a fixture."""

import csv

import pytest

from lugha.review import stats

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (the same data as in
# "Content Analysis", 4th ed., ch. 12): 4 observers x 12 units, missing values. Published values:
# nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
A = [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None]
B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3]
C = [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None]
D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]
UNITS = [list(col) for col in zip(A, B, C, D)]  # None = missing; unit 12 has one value only


@pytest.mark.parametrize("level,published", [("nominal", 0.743), ("ordinal", 0.815),
                                              ("interval", 0.849), ("ratio", 0.797)])
def test_alpha_matches_krippendorffs_textbook_values_at_every_level(level, published):
    assert stats.alpha(UNITS, level) == pytest.approx(published, abs=5e-4)


def test_alpha_levels_differ_and_bad_level_is_refused():
    vals = {lv: stats.alpha(UNITS, lv) for lv in stats.LEVELS}
    assert len({round(v, 3) for v in vals.values()}) == 4
    with pytest.raises(ValueError, match="level must be one of"):
        stats.alpha(UNITS, "likert")
    with pytest.raises(ValueError, match="needs numeric values"):
        stats.alpha([["yes", "no"], ["no", "no"]], "interval")


def test_agreement_reports_prevalence_and_pairable_units():
    a = stats.agreement(UNITS, "nominal")
    assert a["units"] == 11 and a["values"] == 40  # unit 12 (one value) is not pairable
    # 40 pairable values: value 2 occurs 13 times (A 3, B 4, C 3, D 3)
    assert a["prevalence"][2] == pytest.approx(13 / 40)
    assert sum(a["prevalence"].values()) == pytest.approx(1.0)


def test_checklist_score_with_negative_points_and_clipping_by_hand():
    # HealthBench-style: +5 met, +3 not met, +2 met, -4 (bad behaviour present) -> (5 + 2 - 4) / 10
    assert stats.checklist_score([(5, True), (3, False), (2, True), (-4, True)]) == pytest.approx(0.3)
    # Bad behaviour outweighs what was met: 2 - 8 = -6 -> clipped to 0, not negative.
    assert stats.checklist_score([(2, True), (3, False), (-8, True)]) == 0.0
    # A negative criterion not triggered costs nothing: all positives met -> 1.0.
    assert stats.checklist_score([(4, True), (1, True), (-3, False)]) == 1.0
    assert stats.checklist_score([(-3, True)]) is None


def test_win_rate_counts_a_tie_as_half_with_a_wilson_interval():
    r = stats.win_rate(wins=6, losses=2, ties=2)
    assert r["n"] == 10 and r["rate"] == pytest.approx(0.7)
    assert (r["low"], r["high"]) == (pytest.approx(stats.wilson(7, 10)[0]), pytest.approx(stats.wilson(7, 10)[1]))
    # hand value: Wilson 7/10 = 0.3968 .. 0.8922
    assert r["low"] == pytest.approx(0.3968, abs=1e-4) and r["high"] == pytest.approx(0.8922, abs=1e-4)


def test_bootstrap_mean_is_over_items_and_covers_the_mean():
    vals = [0.0] * 10 + [1.0] * 10
    m, lo, hi = stats.bootstrap_mean(vals, n_boot=4000, seed=1)
    assert m == 0.5 and lo < 0.5 < hi
    # normal approximation: se = 0.5 / sqrt(20) = 0.112 -> about 0.28 .. 0.72
    assert lo == pytest.approx(0.28, abs=0.04) and hi == pytest.approx(0.72, abs=0.04)
    assert stats.bootstrap_mean([]) == (None, None, None)


def _fixture_rows(fixtures):
    with open(fixtures / "rubric_pooled_vs_per_criterion.csv", newline="") as f:
        return [dict(r, value=int(r["value"])) for r in csv.DictReader(f)]


def test_pooled_alpha_flatters_and_per_criterion_shows_harm_at_chance(fixtures):
    """AfriMed-QA's lesson: the two reviewers agree on correctness and hallucination, and flag
    *different* answers as possibly harmful. Pooled over criteria, alpha looks excellent; the harm
    criterion on its own is at chance, although the raw agreement on it is 90%."""
    rows = _fixture_rows(fixtures)
    per = {s["criterion"]: s for s in stats.criterion_summary(rows)}
    assert set(per) == {"correct", "hallucination", "harm"}
    harm = per["harm"]
    # Hand computation: 40 answers x 2 ratings; 36 units (0,0), 4 units (0,1): n = 80, n_0 = 76,
    # n_1 = 4. D_o = 8/80 = 0.1; D_e = 2*76*4/(80*79) = 0.09620; alpha = 1 - 0.1/0.09620 = -0.0395
    assert harm["level"] == "nominal"
    assert harm["agreement"]["alpha"] == pytest.approx(1 - 0.1 / (2 * 76 * 4 / (80 * 79)))
    assert harm["agreement"]["observed_agreement"] == pytest.approx(0.9)
    assert harm["agreement"]["prevalence"] == {0: pytest.approx(0.95), 1: pytest.approx(0.05)}
    # harm rate: 4 of 40 answers flagged by someone (Wilson), none by a majority of the two.
    assert harm["flagged"]["k"] == 4 and harm["flagged"]["n"] == 40
    assert harm["flagged"]["low"] == pytest.approx(stats.wilson(4, 40)[0])
    assert harm["majority_flagged"]["k"] == 0
    assert per["correct"]["agreement"]["alpha"] > 0.9
    pooled = stats.pooled_alpha(rows)
    assert pooled["alpha"] > 0.95 and pooled["units"] == 120
    assert pooled["alpha"] - harm["agreement"]["alpha"] > 0.9
    assert all(s["items"] == 40 and s["ratings"] == 80 and s["reviewers"] == 2 for s in per.values())


def test_criterion_summary_is_per_model_and_language_with_n():
    rows = []
    for model, lang, vals in (("m1", "zul", [(5, 5), (4, 4), (3, 2)]), ("m2", "zul", [(1, 2), (2, 2)]),
                              ("m1", "eng", [(5, 4)])):
        for i, (a, b) in enumerate(vals):
            rows += [{"item": f"{model}-{i}", "reviewer": "r1", "criterion": "correct", "value": a,
                      "model": model, "lang": lang},
                     {"item": f"{model}-{i}", "reviewer": "r2", "criterion": "correct", "value": b,
                      "model": model, "lang": lang}]
    out = {(s["model"], s["lang"]): s for s in stats.criterion_summary(rows, levels={"correct": "interval"})}
    assert set(out) == {("m1", "zul"), ("m2", "zul"), ("m1", "eng")}
    assert out[("m1", "zul")]["items"] == 3 and out[("m1", "zul")]["mean"] == pytest.approx((5 + 4 + 2.5) / 3)
    assert out[("m2", "zul")]["level"] == "interval" and out[("m2", "zul")]["mean"] == pytest.approx(1.75)
    # one unit: its disagreement is all the disagreement there is, so D_o = D_e and alpha = 0
    assert out[("m1", "eng")]["agreement"]["alpha"] == pytest.approx(0.0)
    assert out[("m1", "eng")]["agreement"]["units"] == 1
    with pytest.raises(ValueError, match="rating row 0: missing lang"):
        stats.criterion_summary([{"item": 1, "reviewer": 1, "criterion": "c", "value": 1, "model": "m"}])


def test_worst_answers_lists_lowest_means_with_their_text():
    rows = [{"item": i, "reviewer": r, "criterion": "correct", "value": v, "model": "m", "lang": "zul"}
            for i, r, v in (("a", "r1", 5), ("a", "r2", 4), ("b", "r1", 1), ("b", "r2", 2), ("c", "r1", 3))]
    w = stats.worst_answers(rows, "correct", k=2, texts={"b": {"answer": "<script>x</script>"}})
    assert [x["item"] for x in w] == ["b", "c"]
    assert w[0]["mean"] == 1.5 and w[0]["answer"] == "<script>x</script>" and w[0]["ratings"] == {"r1": 1.0, "r2": 2.0}
    assert [x["item"] for x in stats.worst_answers(rows, "correct", k=1, higher_is_worse=True)] == ["a"]
