"""`lugha lid train` and `lugha lid curve`: a compact identifier from a community's own labelled text.

The model is lugha.lid.naive_bayes.NaiveBayesLID (NumPy; always available). fastText supervised
training was measured on the same task and lost (macro-F1 0.70-0.82 vs 0.906 on news after training on
UDHR, at a third of the speed and 80-400x the file size; docs/lid.md), and its wheel shadows the
fasttext-predict module the ensemble reads GlotLID/OpenLID with, so it is not offered.

Next to MODEL.npz the trainer writes MODEL.train.json: what the model was built from (input files'
SHA-256, paragraphs and characters per language in train and dev), the dev-set per-language
precision/recall/F1, and the signature.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lugha.errors import LughaError
from lugha.lid.evaluate import metrics
from lugha.lid.labeled import LabeledText, read_labeled
from lugha.lid.naive_bayes import NaiveBayesLID
from lugha.records import hash_inputs, sha256_file, write_json
from lugha.signature import Signature


def split_dev(items: list[LabeledText], dev_fraction: float, seed: int = 0
              ) -> tuple[list[LabeledText], list[LabeledText]]:
    """Per-language shuffled split (seeded, so a rerun gives the same model): at least one training
    paragraph per language, and at least one dev paragraph where a language has two or more."""
    if not 0.0 <= dev_fraction < 1.0:
        raise LughaError(f"--dev-fraction must be in [0, 1), got {dev_fraction}")
    by_lang: dict[str, list[LabeledText]] = defaultdict(list)
    for it in items:
        by_lang[it.lang].append(it)
    rng = random.Random(seed)
    train, dev = [], []
    for lang in sorted(by_lang):
        group = by_lang[lang][:]
        rng.shuffle(group)
        n_dev = 0 if dev_fraction == 0 else min(len(group) - 1, max(1, round(len(group) * dev_fraction)))
        dev += group[:n_dev]
        train += group[n_dev:]
    return train, dev


def model_paths(out: str | Path) -> tuple[Path, Path]:
    out = Path(out)
    if out.suffix != ".npz":
        out = out.with_name(out.name + ".npz")
    return out, out.with_name(out.name[: -len(".npz")] + ".train.json")


@dataclass
class TrainResult:
    model_path: Path
    report_path: Path
    report: dict


def train_model(data: list[str | Path], out: str | Path, dev_fraction: float = 0.1, bits: int = 16,
                max_n: int = 5, alpha: float = 0.5, seed: int = 0) -> TrainResult:

    items = read_labeled(data)
    langs = sorted({it.lang for it in items})
    if len(langs) < 2:
        raise LughaError(f"training needs at least two languages, found {', '.join(langs)}", path=data[0])
    train, dev = split_dev(items, dev_fraction, seed)
    model = NaiveBayesLID.fit([t.text for t in train], [t.lang for t in train], bits=bits, max_n=max_n,
                              alpha=alpha)
    model.fit_temperature([t.text for t in dev], [t.lang for t in dev])
    model_path, report_path = model_paths(out)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(model_path)

    counts: dict[str, dict] = {lang: {"train_paragraphs": 0, "train_chars": 0, "dev_paragraphs": 0}
                               for lang in langs}
    for t in train:
        counts[t.lang]["train_paragraphs"] += 1
        counts[t.lang]["train_chars"] += len(t.text)
    for t in dev:
        counts[t.lang]["dev_paragraphs"] += 1
    dev_scores = metrics([t.lang for t in dev], [lab for lab, _ in model.predict([t.text for t in dev])],
                         can_emit=frozenset(langs)) if dev else None
    inputs = sorted({t.source for t in items})
    report = {
        "model": str(model_path),
        "model_sha256": sha256_file(model_path),
        "format": model.meta(),
        "languages": langs,
        "counts": counts,
        "dev": dev_scores,
        "signature": Signature.build(
            "lid-train", hash_inputs(inputs), backends={"backend": "lugha-nb"}, model=sha256_file(model_path),
            params={"dev_fraction": dev_fraction, "bits": bits, "max_n": max_n, "alpha": alpha, "seed": seed,
                    "temperature": model.temperature}).to_dict(),
    }
    write_json(report_path, report)
    return TrainResult(model_path, report_path, report)


def learning_curve(data: list[str | Path], sizes: tuple[int, ...] = (25, 50, 100, 200),
                   dev_fraction: float = 0.2, test: list[str | Path] | None = None, bits: int = 16,
                   max_n: int = 5, seed: int = 0) -> dict:
    """Per-language F1 as the training set grows: the first k shuffled training paragraphs of every
    language for each k in `sizes` (then all of them), scored on a fixed held-out set (the dev split,
    or `test` when given, e.g. news text while training on UDHR)."""
    items = read_labeled(data)
    if test:
        train, held = split_dev(items, 0.0, seed)[0], read_labeled(test)
    else:
        train, held = split_dev(items, dev_fraction, seed)
    if not held:
        raise LughaError("no held-out text to score on: raise --dev-fraction or pass --test")
    by_lang: dict[str, list[LabeledText]] = defaultdict(list)
    for t in train:
        by_lang[t.lang].append(t)
    largest = max(len(v) for v in by_lang.values())
    steps = sorted({k for k in sizes if k < largest} | {largest})
    gold = [t.lang for t in held]
    points = []
    for k in steps:
        sub = [t for lang in sorted(by_lang) for t in by_lang[lang][:k]]
        model = NaiveBayesLID.fit([t.text for t in sub], [t.lang for t in sub], bits=bits, max_n=max_n)
        pred = [lab for lab, _ in model.predict([t.text for t in held])]
        m = metrics(gold, pred, can_emit=frozenset(by_lang))
        points.append({"paragraphs_per_language": k,
                       "train_paragraphs": {lang: min(k, len(v)) for lang, v in by_lang.items()},
                       "f1": {lang: row["f1"] for lang, row in m["per_language"].items()},
                       "macro_f1": m["macro_f1"]})
    sources = sorted({t.source for t in items} | {t.source for t in held})
    sig = Signature.build("lid-curve", hash_inputs(sources), backends={"backend": "lugha-nb"}, params={
        "sizes": list(sizes), "dev_fraction": None if test else dev_fraction, "bits": bits, "max_n": max_n,
        "seed": seed})
    return {"languages": sorted(set(gold)), "held_out": len(held),
            "held_out_source": "test" if test else f"dev split ({dev_fraction:.0%})", "points": points,
            "signature": sig.to_dict()}
