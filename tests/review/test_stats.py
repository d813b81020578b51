"""Statistics against published, hand-checkable values."""

import math

import pytest

from lugha.review import stats


def test_wilson_zero_successes_matches_hand_computation():
    # 0/10: centre = half-width = (z^2/2n)/(1+z^2/n) = 0.19208/1.38415 = 0.13877 -> [0, 0.2775]
    lo, hi = stats.wilson(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(0.2775, abs=1e-4)


def test_wilson_newcombe_1998_example():
    # Newcombe (1998), Statistics in Medicine 17:857, method 3 for 81/263: 0.2553 to 0.3662.
    lo, hi = stats.wilson(81, 263)
    assert lo == pytest.approx(0.2553, abs=1e-4)
    assert hi == pytest.approx(0.3662, abs=1e-4)


def test_wilson_is_symmetric_and_bounded():
    lo, hi = stats.wilson(7, 7)
    assert hi == 1.0 and lo == pytest.approx(1 - stats.wilson(0, 7)[1])
    assert stats.wilson(0, 0) == (0.0, 1.0)


# Fleiss (1971) as worked in the Wikipedia article "Fleiss' kappa": 10 items, 14 raters, 5 categories;
# P-bar = 0.378, P-e = 0.213, kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_textbook_example():
    items = [[c for c, n in zip("ABCDE", row) for _ in range(n)] for row in FLEISS_TABLE]
    assert stats.fleiss_kappa(items) == pytest.approx(0.2099, abs=5e-4)


def test_fleiss_kappa_perfect_and_undefined():
    assert stats.fleiss_kappa([["CC", "CC"], ["WL", "WL"], ["NL", "NL"]]) == pytest.approx(1.0)
    assert stats.fleiss_kappa([["CC", "CC"], ["CC", "CC"]]) is None      # no variation: 0/0
    assert stats.fleiss_kappa([["CC", "CC"], ["CC", "WL", "WL"]]) is None  # unequal raters


def test_fleiss_kappa_two_raters_hand_computed():
    # 4 items x 2 raters: [a,a] [a,b] [b,b] [b,b]. P_i = 1,0,1,1 -> P-bar = .75;
    # p_a = 3/8, p_b = 5/8 -> P-e = 9/64 + 25/64 = 34/64; kappa = (.75 - .53125) / (1 - .53125) = 0.4667
    assert stats.fleiss_kappa([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]) == pytest.approx(0.21875 / 0.46875)


def test_krippendorff_alpha_nominal_textbook_with_missing_values():
    # Krippendorff (2011) "Computing Krippendorff's alpha-reliability", section C: 4 observers,
    # 12 units, missing values; nominal alpha = 0.743.
    A = [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None]
    B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3]
    C = [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None]
    D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]
    units = [[v for v in col if v is not None] for col in zip(A, B, C, D)]
    assert stats.krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_two_raters_hand_computed():
    # Same 4 items as the Fleiss test. Coincidences: o_aa = 2, o_bb = 4, o_ab = o_ba = 1; n = 8,
    # n_a = 3, n_b = 5. alpha = 1 - (n-1) * D_o / D_e = 1 - 7 * 2 / (2 * 3 * 5) = 0.5333
    assert stats.krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]) == pytest.approx(1 - 14 / 30)
    assert stats.krippendorff_alpha([["a", "a"], ["a"]]) is None


def test_majority_and_ties():
    assert stats.majority(["CC", "CC", "WL"]) == "CC"
    assert stats.majority(["CC", "WL"]) is None
    assert stats.majority([]) is None


def test_stratified_share_weights_strata_by_population():
    # Stratum A: 5/10 sampled of 900 documents; B: 10/10 of 100. p = .9 * .5 + .1 * 1 = .55;
    # Var = .81 * .25 / 10 = .02025 -> n_eff = .2475 / .02025 = 12.222
    r = stats.stratified_share({"A": (5, 10, 900), "B": (10, 10, 100)})
    assert r["share"] == pytest.approx(0.55)
    assert r["n_eff"] == pytest.approx(0.2475 / 0.02025)
    lo, hi = stats.wilson(0.55 * r["n_eff"], r["n_eff"])
    assert (r["low"], r["high"]) == (pytest.approx(lo), pytest.approx(hi))
    # The unweighted pooled share (15/20 = .75) would be wrong for the population.
    assert not math.isclose(r["share"], 0.75)


def test_stratified_share_with_one_stratum_is_plain_wilson():
    r = stats.stratified_share({"A": (3, 10, 100)})
    assert r["share"] == pytest.approx(0.3) and r["n_eff"] == pytest.approx(10)
    assert (r["low"], r["high"]) == (pytest.approx(stats.wilson(3, 10)[0]), pytest.approx(stats.wilson(3, 10)[1]))
