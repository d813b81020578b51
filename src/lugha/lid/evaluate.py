"""`lugha lid eval`: how well each backend and the ensemble do on the user's labelled text.

Figures, per backend and for the ensemble (see docs/lid.md):
- per language L (every language in the gold labels): tp, fp, fn; precision = tp/(tp+fp), recall =
  tp/(tp+fn), F1 = their harmonic mean (0 where undefined); false-positive rate = fp / (texts whose
  gold label is not L);
- macro-F1 = the unweighted mean F1 over the gold languages; accuracy = share of texts right;
- coverage: the gold languages the backend cannot emit at all (no such label in its model);
- a confusion matrix gold -> predicted, and its largest off-diagonal cells in words ("nbl → zul 41%":
  41% of the nbl texts were labelled zul).
A prediction that is the same language as the gold label (a macrolanguage and its member: swa for
swh) counts as right; 'und' counts as wrong (it is a missed text, not a false positive of any language).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from lugha.langs import UNDETERMINED, canonical, same_language
from lugha.lid.ensemble import Identifier
from lugha.lid.labeled import read_labeled
from lugha.records import hash_inputs, sha256_file
from lugha.signature import Signature


def _align(gold: str, pred: str) -> str:
    if pred == UNDETERMINED or not pred:
        return UNDETERMINED
    return gold if same_language(pred, gold) else canonical(pred)


def metrics(gold: list[str], pred: list[str], can_emit: frozenset[str] | None = None, top: int = 10) -> dict:
    if len(gold) != len(pred):
        raise ValueError("gold and predictions differ in length")
    pred = [_align(g, p) for g, p in zip(gold, pred)]
    langs = sorted(set(gold))
    n = len(gold)
    confusion: dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold, pred):
        confusion[g][p] += 1
    predicted = Counter(pred)
    per_language = {}
    for lang in langs:
        support = sum(confusion[lang].values())
        tp = confusion[lang][lang]
        fn = support - tp
        fp = predicted[lang] - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        negatives = n - support
        per_language[lang] = {"support": support, "tp": tp, "fp": fp, "fn": fn,
                              "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                              "fpr": round(fp / negatives, 4) if negatives else 0.0}
    macro = sum(r["f1"] for r in per_language.values()) / len(langs) if langs else 0.0
    confusions = []
    for g in langs:
        support = sum(confusion[g].values())
        for p, c in confusion[g].items():
            if p != g:
                confusions.append({"gold": g, "predicted": p, "count": c, "share": round(c / support, 4)})
    confusions.sort(key=lambda c: (-c["share"], -c["count"], c["gold"], c["predicted"]))
    return {
        "n": n,
        "accuracy": round(sum(g == p for g, p in zip(gold, pred)) / n, 4) if n else 0.0,
        "macro_f1": round(macro, 4),
        "per_language": per_language,
        "cannot_emit": sorted(lang for lang in langs if can_emit is not None and not _emits(can_emit, lang)),
        "confusion": {g: dict(sorted(confusion[g].items())) for g in langs},
        "top_confusions": confusions[:top],
    }


def _emits(labels: frozenset[str], lang: str) -> bool:
    return lang in labels or any(same_language(lang, lab) for lab in labels)


def confusion_words(c: dict) -> str:
    """'nbl → zul 41%' (one decimal under 1%, so 1 text in 200 does not read as 0%)."""
    share = f"{c['share']:.0%}" if c["share"] >= 0.01 else f"{c['share']:.1%}"
    return f"{c['gold']} → {c['predicted']} {share}"


def evaluate(labeled: list[str | Path], lid_model: str | Path | None = None, langs: list[str] | None = None,
             backends: list[str] | None = None, progress=None) -> dict:
    """Score every backend and the ensemble on labelled files. Returns the `--json` document."""
    items = read_labeled(labeled)
    ident = Identifier(candidates=langs, lid_model=lid_model, backends=backends)
    gold = [it.lang for it in items]
    preds = []
    step = 512
    for lo in range(0, len(items), step):
        preds += ident.identify([it.text for it in items[lo:lo + step]])
        if progress:
            progress(min(lo + step, len(items)), len(items))
    out_backends = {}
    for b in ident.backends:
        out_backends[b.name] = metrics(gold, [p.votes[b.name][0] for p in preds], can_emit=b.labels)
    ensemble_labels = frozenset().union(*(b.labels for b in ident.backends))
    ensemble = metrics(gold, [p.lang for p in preds], can_emit=ensemble_labels)
    files = sorted({it.source for it in items})
    return {
        "n": len(items),
        "languages": sorted(set(gold)),
        "candidates": sorted(ident.candidates) if ident.candidates else None,
        "backends": out_backends,
        "ensemble": ensemble,
        "signature": Signature.build(
            "lid-eval", hash_inputs(files), backends={"lid": ident.signature()},
            params={"langs": ",".join(sorted(ident.candidates)) if ident.candidates else None},
            model=sha256_file(lid_model) if lid_model else None).to_dict(),
    }
