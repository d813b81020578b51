"""Bits per byte of held-out text: -sum(log-likelihood) / sum(UTF-8 bytes) / ln 2, the definition
lm-evaluation-harness uses for ``bits_per_byte``, so a figure here equals its figure on the same
text and windows. Pooled per file and per language (sums, not means of ratios), with a bootstrap
95% interval that resamples documents.

``metric="half-sentence"`` also scores Goldfish's measure (Chang et al. 2024; tylerachang/goldfish,
eval_code/flores_eval_goldfish.py, ``ONLY_SECOND_HALF``): each line is split at half its length in
characters (``line[:len(line) // 2]``) and the bits of the second half given the first are summed
per line. Goldfish's FLORES table reports the mean of those sums over lines (bits per line); we give
that and the second halves' bits per byte, from the same pass as the whole-line figures."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from lugha.evaluate.texts import language_of, read_documents
from lugha.signature import Signature

LN2 = math.log(2)


def bpb_of(nats: float, nbytes: int) -> float:
    return -nats / nbytes / LN2 if nbytes else float("nan")


def bootstrap_ci(nats: np.ndarray, nbytes: np.ndarray, n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the pooled bpb over documents resampled with replacement."""
    if len(nats) < 2:
        v = bpb_of(float(nats.sum()), int(nbytes.sum()))
        return v, v
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(nats), size=(n_boot, len(nats)))
    vals = -nats[idx].sum(axis=1) / nbytes[idx].sum(axis=1) / LN2
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


METRICS = ("bpb", "half-sentence")


def half_sentence_figures(nats: np.ndarray, nbytes: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict:
    """Goldfish's per-line figure from the second halves' log-likelihoods (nats) and byte counts."""
    bits = -nats / LN2
    if len(bits) >= 2:
        rng = np.random.default_rng(seed)
        means = bits[rng.integers(0, len(bits), size=(n_boot, len(bits)))].mean(axis=1)
        lo, hi = (float(x) for x in np.percentile(means, [2.5, 97.5]))
    else:
        lo = hi = float(bits.mean()) if len(bits) else float("nan")
    blo, bhi = bootstrap_ci(nats, nbytes, n_boot, seed)
    return {"bits_per_line": float(bits.mean()) if len(bits) else float("nan"), "bits_per_line_ci95": [lo, hi],
            "bpb": bpb_of(float(nats.sum()), int(nbytes.sum())), "ci95": [blo, bhi],
            "lines": int(len(bits)), "bytes": int(nbytes.sum())}


def evaluate_bpb(model, files: list[str | Path], langs: dict[str, str] | None = None,
                 context: int | None = None, stride: int | None = None, limit: int | None = None,
                 n_boot: int = 1000, seed: int = 0, progress=None, metric: str = "bpb") -> dict:
    """Score every file with ``model`` (lugha.models interface). ``langs`` maps a file to a
    language tag (default: from the file name). Returns the JSON-ready result."""
    from lugha.errors import LughaError

    if metric not in METRICS:
        raise LughaError(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    per_file = []
    by_lang: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    half_by_lang: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    total_seconds = 0.0
    for f in files:
        docs = read_documents(f, limit=limit)
        lang = language_of(f, (langs or {}).get(str(f)))
        texts = [d.text for d in docs]
        t0 = time.perf_counter()
        halves = None
        if metric == "half-sentence":
            scores, halves = model.loglik_split(texts, [len(t) // 2 for t in texts], context=context, stride=stride)
        else:
            scores = model.loglik(texts, context=context, stride=stride)
        secs = time.perf_counter() - t0
        total_seconds += secs
        nats = np.array([s[0] for s in scores], dtype=np.float64)
        nbytes = np.array([s[1] for s in scores], dtype=np.int64)
        lo, hi = bootstrap_ci(nats, nbytes, n_boot, seed)
        per_file.append({
            "file": str(f), "lang": lang, "documents": len(docs), "bytes": int(nbytes.sum()),
            "nats": float(nats.sum()), "bpb": bpb_of(float(nats.sum()), int(nbytes.sum())),
            "ci95": [lo, hi], "seconds": secs,
            "bytes_per_second": float(nbytes.sum()) / secs if secs > 0 else None,
            "documents_bpb": [bpb_of(a, int(b)) for a, b in zip(nats, nbytes)],
            "ids": [d.id for d in docs],
        })
        by_lang.setdefault(lang, []).append((nats, nbytes))
        if halves is not None:
            hn = np.array([h[0] for h in halves], dtype=np.float64)
            hb = np.array([h[1] for h in halves], dtype=np.int64)
            per_file[-1]["half_sentence"] = half_sentence_figures(hn, hb, n_boot, seed)
            per_file[-1]["documents_half_bits"] = [float(-x / LN2) for x in hn]
            half_by_lang.setdefault(lang, []).append((hn, hb))
        if progress:
            progress(f)
    per_lang = {}
    for lang, parts in by_lang.items():
        nats = np.concatenate([p[0] for p in parts])
        nbytes = np.concatenate([p[1] for p in parts])
        lo, hi = bootstrap_ci(nats, nbytes, n_boot, seed)
        per_lang[lang] = {"bpb": bpb_of(float(nats.sum()), int(nbytes.sum())), "ci95": [lo, hi],
                          "documents": int(len(nats)), "bytes": int(nbytes.sum())}
        if lang in half_by_lang:
            per_lang[lang]["half_sentence"] = half_sentence_figures(
                np.concatenate([p[0] for p in half_by_lang[lang]]),
                np.concatenate([p[1] for p in half_by_lang[lang]]), n_boot, seed)
    msig = model.signature()
    sig = Signature.build("bpb", files, model_info=msig, params={
        "model": model.spec, "context": context or "max", "stride": stride or "context", "limit": limit,
        "bootstrap": n_boot, "seed": seed, **({"metric": metric} if metric != "bpb" else {})})
    total_bytes = sum(r["bytes"] for r in per_file)
    return {
        "kind": "bpb", "model": model.spec, "metric": metric,
        "size_bytes": msig.get("size_bytes"), "n_params": msig.get("n_params"),
        "files": per_file, "languages": per_lang,
        "bytes_per_second": total_bytes / total_seconds if total_seconds > 0 else None,
        "signature": sig.to_dict(),
    }
