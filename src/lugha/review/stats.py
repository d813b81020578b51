"""Statistics for human review: Wilson intervals, Fleiss' kappa, Krippendorff's alpha at every level
(with prevalence beside it), bootstrap intervals over items, HealthBench-style checklist scores, win
rates, and the per-criterion (never pooled) summary of rubric ratings.

Everything here is a pure function of label lists or long-format rows, so it is tested against
textbook values and reused by the results pages, the CLI, the JSON export and the evaluation card.
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


LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _alpha_matrix(units: Sequence[Sequence[Hashable]], level: str):
    """(raters-slots x units matrix, value_domain) for the `krippendorff` package, or None when the
    coefficient is undefined (no unit with two values, or a single value overall)."""
    import numpy as np

    units = [[v for v in u if v is not None] for u in units]
    units = [u for u in units if len(u) >= 2]
    if not units:
        return None
    values = {v for u in units for v in u}
    if len(values) < 2:
        return None  # no variation at all: alpha is undefined (0/0)
    if level == "nominal":
        code = {c: float(i) for i, c in enumerate(sorted(values, key=str))}
        domain = sorted(code.values())
    else:
        try:
            code = {c: float(c) for c in values}
        except (TypeError, ValueError):
            raise ValueError(f"{level} alpha needs numeric values, got {sorted(values, key=str)[:5]!r}") from None
        domain = sorted(code.values())
    width = max(len(u) for u in units)
    # Raters are "slots": which person gave which value does not enter the coefficient, only the
    # values paired within each unit.
    data = np.full((width, len(units)), np.nan)
    for j, u in enumerate(units):
        for i, c in enumerate(u):
            data[i, j] = code[c]
    return data, domain


def alpha(units: Sequence[Sequence[Hashable]], level: str = "nominal") -> float | None:
    """Krippendorff's alpha at ``level`` (nominal, ordinal, interval, ratio) for units with any
    number of values each (None = missing). Computed by the `krippendorff` package (Castro's
    implementation of Krippendorff 2011); units with fewer than two values are not pairable and do not
    enter the coefficient. Ordinal ranks come from the values seen (their frequencies, as Krippendorff
    defines the ordinal metric). Returns None when undefined."""
    import krippendorff

    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    m = _alpha_matrix(units, level)
    if m is None:
        return None
    data, domain = m
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=domain))


def krippendorff_alpha(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Nominal Krippendorff's alpha (kept for the corpus/output review pages)."""
    return alpha(units, "nominal")


def prevalence(units: Sequence[Sequence[Hashable]]) -> dict:
    """Share of each value among all values given (missing left out), most frequent first. Printed
    beside alpha: a criterion where 97% of ratings are "no harm" can show high raw agreement and a
    near-zero alpha, and the reader needs both to see why."""
    c = Counter(v for u in units for v in u if v is not None)
    n = sum(c.values())
    return {k: v / n for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))} if n else {}


def agreement(units: Sequence[Sequence[Hashable]], level: str = "nominal") -> dict:
    """Alpha with what is needed to read it: pairable units, values, observed (pairwise) agreement
    and the prevalence of each value."""
    pairable = [[v for v in u if v is not None] for u in units]
    pairable = [u for u in pairable if len(u) >= 2]
    agree = pairs = 0
    for u in pairable:
        for i in range(len(u)):
            for j in range(i + 1, len(u)):
                pairs += 1
                agree += u[i] == u[j]
    return {"alpha": alpha(units, level), "level": level, "units": len(pairable),
            "values": sum(len(u) for u in pairable),
            "observed_agreement": agree / pairs if pairs else None,
            "prevalence": prevalence(pairable)}


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


# ---- items, not ratings: bootstrap, checklist scores, win rates --------------------------------------

def bootstrap_mean(values: Sequence[float], n_boot: int = 2000, seed: int = 0,
                   level: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high): the mean of per-item values and its percentile bootstrap interval,
    resampling items with replacement (Efron 1979). One value per item, so that several reviewers of
    one answer do not count as independent evidence. (None, None, None) for no items."""
    import numpy as np

    x = np.asarray([v for v in values if v is not None], dtype=float)
    if x.size == 0:
        return None, None, None
    mean = float(x.mean())
    if x.size == 1 or n_boot <= 0:
        return mean, mean, mean
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    a = (1 - level) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return mean, float(lo), float(hi)


def checklist_score(criteria: Iterable[tuple[float, bool]]) -> float | None:
    """HealthBench's score for one answer: points of the criteria met (negative points count when a
    bad behaviour is present) divided by the total of the positive points, clipped to [0, 1]
    (Arora et al. 2025). ``criteria`` is (points, met) per criterion. None without positive points."""
    crit = list(criteria)
    possible = sum(p for p, _ in crit if p > 0)
    if possible <= 0:
        return None
    earned = sum(p for p, met in crit if met)
    return min(1.0, max(0.0, earned / possible))


def win_rate(wins: int, losses: int, ties: int = 0, z: float = Z95) -> dict:
    """Share of comparisons won, a tie counting half, with a Wilson interval on n = all comparisons
    (ties as half a success each, so the interval is on the same scale as the point)."""
    n = wins + losses + ties
    k = wins + 0.5 * ties
    lo, hi = wilson(k, n, z) if n else (None, None)
    return {"wins": wins, "losses": losses, "ties": ties, "n": n,
            "rate": k / n if n else None, "low": lo, "high": hi}


def rate(k: int, n: int, z: float = Z95) -> dict:
    """A share with its Wilson interval (harm rates, referral rates, ...)."""
    lo, hi = wilson(k, n, z) if n else (None, None)
    return {"k": k, "n": n, "rate": k / n if n else None, "low": lo, "high": hi}


# ---- per criterion, never pooled --------------------------------------------------------------------

ROW_FIELDS = ("item", "reviewer", "criterion", "value", "model", "lang")


def _is_binary(values: Iterable) -> bool:
    vals = {v for v in values if v is not None}
    return bool(vals) and vals <= {0, 1, True, False}


def infer_level(values: Iterable) -> str:
    """nominal for yes/no and text labels, ordinal for other numbers (Likert points)."""
    vals = [v for v in values if v is not None]
    if not vals or _is_binary(vals):
        return "nominal"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return "ordinal"
    return "nominal"


def criterion_summary(rows: Iterable[dict], levels: dict[str, str] | None = None,
                      n_boot: int = 2000, seed: int = 0) -> list[dict]:
    """Long-format ratings -> one summary per (model, lang, criterion), never pooled across criteria.

    ``rows`` are dicts with item, reviewer, criterion, value, model, lang (value None = not rated).
    ``levels`` maps a criterion to its alpha level (default: ``infer_level``). Per group:

    - ``items`` (answers rated), ``ratings``, ``reviewers``;
    - ``mean`` of the per-item mean value with a bootstrap interval over items (items, not ratings,
      are the independent units);
    - for a yes/no criterion (e.g. possibility of harm): ``flagged`` = items that at least one
      reviewer flagged, with a Wilson interval over items, and ``majority_flagged``;
    - ``agreement``: Krippendorff's alpha at the level, observed agreement, prevalence of each value.

    Rows with a missing field raise ValueError naming the row (a silently dropped rating would change
    every figure)."""
    groups: dict[tuple, dict[str, list]] = {}
    for n, r in enumerate(rows):
        missing = [f for f in ROW_FIELDS if f not in r]
        if missing:
            raise ValueError(f"rating row {n}: missing {', '.join(missing)}")
        key = (str(r["model"]), str(r["lang"]), str(r["criterion"]))
        g = groups.setdefault(key, {})
        g.setdefault(str(r["item"]), []).append((str(r["reviewer"]), r["value"]))
    out = []
    for (model, lang, crit), items in sorted(groups.items()):
        units = [[v for _, v in ratings] for ratings in items.values()]
        all_vals = [v for u in units for v in u if v is not None]
        level = (levels or {}).get(crit) or infer_level(all_vals)
        binary = _is_binary(all_vals)
        per_item = {}
        for item, ratings in items.items():
            vals = [float(v) for _, v in ratings if v is not None and not isinstance(v, str)]
            if vals:
                per_item[item] = sum(vals) / len(vals)
        mean, lo, hi = bootstrap_mean(list(per_item.values()), n_boot=n_boot, seed=seed)
        s = {"model": model, "lang": lang, "criterion": crit, "level": level,
             "items": len(items), "ratings": len(all_vals),
             "reviewers": len({rv for ratings in items.values() for rv, v in ratings if v is not None}),
             "mean": mean, "mean_low": lo, "mean_high": hi,
             "agreement": agreement(units, level)}
        if binary:
            rated = [u for u in ([v for v in u if v is not None] for u in units) if u]
            anyf = sum(1 for u in rated if any(bool(v) for v in u))
            majf = sum(1 for u in rated if 2 * sum(bool(v) for v in u) > len(u))
            s["flagged"] = rate(anyf, len(rated))
            s["majority_flagged"] = rate(majf, len(rated))
        out.append(s)
    return out


def pooled_alpha(rows: Iterable[dict], level: str = "ordinal") -> dict:
    """Alpha with every criterion's ratings thrown into one pool, each (item, criterion) a unit: what
    a single headline agreement figure usually is. Shown only to contrast it with the per-criterion
    figures: differences *between* criteria (correctness ~4, harm ~0) count as agreement here, which
    is how AfriMed-QA's pooled 0.82 sits beside a harm kappa of 0.02."""
    units: dict[tuple, list] = {}
    for r in rows:
        units.setdefault((str(r["model"]), str(r["item"]), str(r["criterion"])), []).append(r["value"])
    return agreement(list(units.values()), level)


def worst_answers(rows: Iterable[dict], criterion: str, k: int = 10, higher_is_worse: bool = False,
                  texts: dict[str, dict] | None = None) -> list[dict]:
    """The k answers with the worst mean value on one criterion (ties: most reviewers first, then
    item id), each with its ratings, and its text fields from ``texts[item]`` when given (the caller
    escapes them when rendering)."""
    per: dict[tuple, list] = {}
    for r in rows:
        if str(r["criterion"]) == criterion and r["value"] is not None and not isinstance(r["value"], str):
            per.setdefault((str(r["model"]), str(r["lang"]), str(r["item"])), []).append(
                (str(r["reviewer"]), float(r["value"])))
    ranked = []
    for (model, lang, item), ratings in per.items():
        m = sum(v for _, v in ratings) / len(ratings)
        ranked.append({"item": item, "model": model, "lang": lang, "criterion": criterion, "mean": m,
                       "ratings": dict(ratings), **((texts or {}).get(item) or {})})
    sign = -1 if higher_is_worse else 1
    ranked.sort(key=lambda d: (sign * d["mean"], -len(d["ratings"]), d["item"]))
    return ranked[:k]
