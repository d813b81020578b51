"""Benchmark: language-ID predictions per second per core, for each backend, the trained model and the
ensemble, on 5-word snippets and on full news sentences.

    RAYON_NUM_THREADS=1 .venv/bin/python bench/lid.py            # docs/benchmarks.md figures
    RAYON_NUM_THREADS=1 .venv/bin/python bench/lid.py --docs 5000 --repeat 1   # quick look

Input: every non-empty line of ../shared/data/ntrex128 (46 languages, real news sentences; mean
~150 characters), shuffled with a fixed seed, the first --docs of them; snippets are the first five
words of each. Models: trained with lugha.lid.train on UDHR (quality stage >= 4): the 11 official
South African languages, and the first 100 UDHR languages by code (speed grows with the number of
languages). Each figure is texts per CPU-second of this process, best of --repeat runs
(RAYON_NUM_THREADS=1 keeps heliport's Rust thread pool on one thread, so every figure is per core;
CPU time rather than wall time because the machine is shared). Cache and memory-bandwidth
contention from other processes still shows: expect tens of percent between runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "tests" / "lid"))  # the labelled-set helpers the tests use

SOUTH_AFRICA = ("afr", "eng", "nbl", "nso", "sot", "ssw", "tsn", "tso", "ven", "xho", "zul")


def sentences(n: int) -> list[str]:
    out = []
    for f in sorted((DATA / "ntrex128").glob("newstest2019-*.txt")):
        out += [" ".join(ln.split()) for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    random.Random(0).shuffle(out)
    return out[:n]


def udhr_languages(k: int) -> list[str]:
    with open(DATA / "udhr" / "index.tsv", encoding="utf-8") as f:
        codes = sorted({r["iso639_3"] for r in csv.DictReader(f, delimiter="\t") if int(r["stage"]) >= 4})
    return codes[:k]


def rate(fn, texts: list[str], repeat: int) -> float:
    """Texts per CPU-second of this process (best of `repeat`): on a shared machine, CPU time is what
    one core spent, where wall time would also count the other processes' turns."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn(texts)
        best = min(best, time.process_time() - t)
    return len(texts) / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from data import udhr_paragraphs, write_tsv

    from lugha.lid.backends import load_backend
    from lugha.lid.ensemble import Identifier
    from lugha.lid.naive_bayes import NaiveBayesBackend
    from lugha.lid.train import train_model

    full = sentences(args.docs)
    snippets = [" ".join(s.split()[:5]) for s in full]
    tmp = Path(tempfile.mkdtemp(prefix="lugha-bench-lid-"))
    models = {}
    for label, langs in (("model (11 langs)", SOUTH_AFRICA), ("model (100 langs)", tuple(udhr_languages(100)))):
        tsv = write_tsv(tmp / f"{len(langs)}.tsv", udhr_paragraphs(DATA, set(langs)))
        t = time.perf_counter()
        r = train_model([tsv], tmp / f"{len(langs)}.npz")
        secs = time.perf_counter() - t
        paras = sum(c["train_paragraphs"] + c["dev_paragraphs"] for c in r.report["counts"].values())
        print(f"trained {label}: {paras:,} paragraphs in {secs:.2f} s, "
              f"{r.model_path.stat().st_size / 1024:,.0f} KiB", flush=True)
        models[label] = r.model_path

    rows = []
    for name in ("pycld2", "heliport", "py3langid"):
        b = load_backend(name)
        rows.append((name, rate(b.predict, snippets, args.repeat), rate(b.predict, full, args.repeat)))
        print(rows[-1], flush=True)
    for label, path in models.items():
        b = NaiveBayesBackend(path)
        rows.append((label, rate(b.predict, snippets, args.repeat), rate(b.predict, full, args.repeat)))
        print(rows[-1], flush=True)
    ens = Identifier()
    rows.append(("ensemble (3 bundled)", rate(ens.identify, snippets, args.repeat), rate(ens.identify, full, args.repeat)))
    ens = Identifier(lid_model=models["model (11 langs)"])
    rows.append(("ensemble + model (11 langs)", rate(ens.identify, snippets, args.repeat),
                 rate(ens.identify, full, args.repeat)))

    mean_chars = sum(map(len, full)) / len(full)
    print(f"\n{len(full):,} NTREX-128 sentences (mean {mean_chars:.0f} chars) and their 5-word snippets; "
          f"texts per CPU-second, best of {args.repeat}; RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'unset')}\n")
    print("| backend | 5-word snippets/s per core | sentences/s per core |")
    print("|---|---:|---:|")
    for name, a, b in rows:
        print(f"| {name} | {a:,.0f} | {b:,.0f} |")


if __name__ == "__main__":
    main()
