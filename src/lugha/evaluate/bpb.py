"""Bits per byte of held-out text: -sum(log-likelihood) / sum(UTF-8 bytes) / ln 2, the definition
lm-evaluation-harness uses for ``bits_per_byte``, so a figure here equals its figure on the same
text and windows. Pooled per file and per language (sums, not means of ratios), with a bootstrap
95% interval that resamples documents."""

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


def evaluate_bpb(model, files: list[str | Path], langs: dict[str, str] | None = None,
                 context: int | None = None, stride: int | None = None, limit: int | None = None,
                 n_boot: int = 1000, seed: int = 0, progress=None) -> dict:
    """Score every file with ``model`` (lugha.models interface). ``langs`` maps a file to a
    language tag (default: from the file name). Returns the JSON-ready result."""
    per_file = []
    by_lang: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    total_seconds = 0.0
    for f in files:
        docs = read_documents(f, limit=limit)
        lang = language_of(f, (langs or {}).get(str(f)))
        texts = [d.text for d in docs]
        t0 = time.perf_counter()
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
        if progress:
            progress(f)
    per_lang = {}
    for lang, parts in by_lang.items():
        nats = np.concatenate([p[0] for p in parts])
        nbytes = np.concatenate([p[1] for p in parts])
        lo, hi = bootstrap_ci(nats, nbytes, n_boot, seed)
        per_lang[lang] = {"bpb": bpb_of(float(nats.sum()), int(nbytes.sum())), "ci95": [lo, hi],
                          "documents": int(len(nats)), "bytes": int(nbytes.sum())}
    msig = model.signature()
    sig = Signature.build("bpb", files, model_info=msig, params={
        "model": model.spec, "context": context or "max", "stride": stride or "context", "limit": limit,
        "bootstrap": n_boot, "seed": seed})
    total_bytes = sum(r["bytes"] for r in per_file)
    return {
        "kind": "bpb", "model": model.spec,
        "size_bytes": msig.get("size_bytes"), "n_params": msig.get("n_params"),
        "files": per_file, "languages": per_lang,
        "bytes_per_second": total_bytes / total_seconds if total_seconds > 0 else None,
        "signature": sig.to_dict(),
    }
