"""`lugha train ngram`: a character n-gram LM (interpolated Kneser-Ney, lugha.models.ngram), with a
``training.json`` beside the model file as `train lm` and `train lora` write one.

    info = train_ngram(["som.train.txt"], order=6, out="som6.lm")   # also writes som6.lm.training.json

The record: ``steps`` is None (counting, not optimising), ``tokens_seen`` = ``characters_seen`` (the
model's tokens are characters; each document's end counts as one more event, not as a character),
document counts that reconcile (``documents = trained_documents + empty_documents``; unreadable
records apart), seconds (wall and CPU), peak RSS, load average and the signature (inputs' SHA-256,
order, the model file's SHA-256).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Sequence


def training_json_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".training.json")


def train_ngram(corpus: Sequence[str | Path], order: int, out: str | Path) -> dict:
    from lugha.models.ngram import KneserNeyLM
    from lugha.records import expand_inputs, iter_texts, sha256_file, write_json
    from lugha.signature import Signature

    files = expand_inputs(list(corpus))
    counts: dict = {}
    seen = {"trained": 0, "empty": 0, "characters": 0}

    def texts():
        for t in iter_texts(files, counts=counts):
            if not t:  # KneserNeyLM.train skips empty documents; count them here
                seen["empty"] += 1
                continue
            seen["trained"] += 1
            seen["characters"] += len(t)
            yield t

    t0, cpu0 = time.perf_counter(), time.process_time()
    lm = KneserNeyLM.train(texts(), order=order)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    out = Path(out)
    lm.save(out)
    inputs = {str(f): sha256_file(f) for f in files}
    sig = Signature.build("train-ngram", inputs, params={"order": order, "smoothing": "interpolated-kneser-ney"},
                          backends={"train": "lugha.models.ngram"}, model=sha256_file(out)).to_dict()
    info = {
        "kind": "train-ngram", "model": f"ngram:{out}", "order": order, "steps": None,
        "tokens_seen": seen["characters"], "characters_seen": seen["characters"], "seconds": seconds,
        "ngrams": len(lm.ngram_counts), "symbols": len(lm.vocab),
        "data": {"inputs": inputs, "counts": {"documents": counts.get("documents", 0),
                                              "trained_documents": seen["trained"],
                                              "empty_documents": seen["empty"],
                                              "unreadable": counts.get("unreadable", 0)}},
        "compute": {"device": "cpu", "wall_seconds": seconds, "cpu_seconds": cpu,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "signature": sig,
    }
    write_json(training_json_path(out), info)
    return info
