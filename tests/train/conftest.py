"""Real Somali news text (MasakhaNEWS articles) for the training tests, as one-article-per-line text
files in a temp folder (the shared TSV's `text` column; the data itself stays in ../shared/data)."""

from __future__ import annotations

import csv
import math
from collections import Counter

import pytest

# a model small enough to train for a few seconds in a test
MICRO = ["--set", "layers=2", "--set", "width=64", "--set", "heads=2", "--set", "ffn=192",
         "--set", "context=64", "--set", "batch_size=8", "--set", "warmup_steps=5"]


def articles(path, limit=None) -> list[str]:
    csv.field_size_limit(1 << 30)
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            t = " ".join(row["text"].split())
            if t:
                out.append(t)
            if limit and len(out) >= limit:
                break
    return out


@pytest.fixture(scope="session")
def som(shared_data, tmp_path_factory):
    """(train.txt: 120 articles, heldout.txt: 20 dev articles)."""
    pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("som")
    (d / "train.txt").write_text("\n".join(articles(shared_data / "masakhanews_lm" / "som.train.tsv", 120)) + "\n",
                                 encoding="utf-8")
    (d / "heldout.txt").write_text("\n".join(articles(shared_data / "masakhanews" / "som.dev.tsv", 20)) + "\n",
                                   encoding="utf-8")
    return d / "train.txt", d / "heldout.txt"


def char_unigram_bpb(train: list[str], test: list[str]) -> float:
    """Bits/byte of a character unigram (add-one smoothed over the train characters + one unseen)."""
    counts = Counter("".join(train))
    total = sum(counts.values()) + len(counts) + 1
    bits = 0.0
    for t in test:
        for ch in t:
            bits -= math.log2((counts.get(ch, 0) + 1) / total)
    return bits / sum(len(t.encode("utf-8")) for t in test)
