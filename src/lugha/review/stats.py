"""Statistics for human review: Wilson intervals, Fleiss' kappa, Krippendorff's alpha, majorities.

Everything here is a pure function of label lists, so it is tested against textbook values and
reused by the results page, the CLI and the JSON export.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Hashable, Iterable, Sequence

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (Wilson 1927). Stays inside [0, 1] and behaves at
    k=0 or k=n, unlike the Wald interval. n may be an effective (non-integer) sample size."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa (1971) for items each rated by the same number of raters (>= 2).

    ``items`` is one list of category labels per item. Returns None when undefined (fewer than two
    items, raters differ in number, or every rating is the same category, so chance agreement is 1).
    """
    items = [list(x) for x in items]
    if len(items) < 1:
        return None
    m = len(items[0])
    if m < 2 or any(len(x) != m for x in items):
        return None
    cats = sorted({c for x in items for c in x}, key=str)
    n_items = len(items)
    counts = [Counter(x) for x in items]
    p_j = [sum(c[j] for c in counts) / (n_items * m) for j in cats]
    p_i = [(sum(v * v for v in c.values()) - m) / (m * (m - 1)) for c in counts]
    p_bar = sum(p_i) / n_items
    p_e = sum(p * p for p in p_j)
    if p_e >= 1.0:
        return None
    return (p_bar - p_e) / (1 - p_e)


def krippendorff_alpha(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Krippendorff's alpha, nominal level, for units with any number of ratings (missing allowed).

    Computed by the `krippendorff` package (Castro's implementation of Krippendorff 2011); units with
    fewer than two ratings carry no pairable values and are ignored by the coefficient itself.
    """
    import numpy as np
    import krippendorff

    units = [list(u) for u in units if len(u) >= 2]
    if not units:
        return None
    cats = sorted({c for u in units for c in u}, key=str)
    if len(cats) < 2:
        return None  # no variation at all: alpha is undefined (0/0)
    code = {c: i for i, c in enumerate(cats)}
    width = max(len(u) for u in units)
    # krippendorff wants a raters x units matrix; raters here are "slots" because which person gave
    # which answer does not matter for the nominal coefficient, only the values within each unit.
    data = np.full((width, len(units)), np.nan)
    for j, u in enumerate(units):
        for i, c in enumerate(u):
            data[i, j] = code[c]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal",
                                    value_domain=list(range(len(cats)))))


def majority(labels: Iterable[Hashable]) -> Hashable | None:
    """The strict plurality label, or None on a tie for first place (goes to adjudication)."""
    c = Counter(labels).most_common()
    if not c:
        return None
    if len(c) > 1 and c[0][1] == c[1][1]:
        return None
    return c[0][0]


def stratified_share(strata: dict[str, tuple[int, int, int]], z: float = Z95) -> dict:
    """Population share from a stratified sample: ``strata[name] = (k, n, N)`` where k of the n sampled
    items in a stratum of N documents carry the label.

    The point estimate weights each stratum by its population share W = N / sum(N). The interval is
    a Wilson interval on the Kish effective sample size n_eff = p(1-p) / Var(p), with
    Var(p) = sum W^2 p_h (1 - p_h) / n_h (Korn & Graubard 1998). With one stratum this is exactly the
    plain Wilson interval.
    """
    used = {h: v for h, v in strata.items() if v[1] > 0}
    total_n = sum(v[1] for v in used.values())
    pop = sum(v[2] for v in used.values())
    if total_n == 0 or pop == 0:
        return {"share": None, "low": None, "high": None, "n": 0, "n_eff": 0.0}
    p = sum((N / pop) * (k / n) for k, n, N in used.values())
    var = sum((N / pop) ** 2 * (k / n) * (1 - k / n) / n for k, n, N in used.values())
    if var <= 0 or p <= 0 or p >= 1:
        n_eff = float(total_n)
    else:
        n_eff = p * (1 - p) / var
    lo, hi = wilson(p * n_eff, n_eff, z)
    return {"share": p, "low": lo, "high": hi, "n": total_n, "n_eff": n_eff}
