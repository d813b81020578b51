"""Benchmark: tokenizer throughput and the cost of a whole tax report, on real NTREX-128 text.

    .venv/bin/python bench/tokens.py                 # needs the npm presets: lugha tokens presets --install

1. Tokens/s per tokenizer on 10,000 lines: NTREX lines taken round-robin over all 46 languages
   (so every script is in the mix), encoded in batches as `lugha tokens tax` does; load time apart.
2. The whole tax computation for 8 presets x 20 languages x 1,000 lines (tokenizer loading,
   counting, bootstrap intervals, Markdown + HTML rendering), wall-clock.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NTREX = REPO.parent / "shared" / "data" / "ntrex128"

LANGS20 = ["amh", "tir", "hau", "yor", "som", "wol", "kmr", "ckb", "ibo", "swa", "zul", "xho", "orm", "kin",
           "nya", "sna", "ewe", "uig", "pus", "fra"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--tax-lines", type=int, default=1000)
    args = ap.parse_args()

    from lugha.tokens import specs, tax

    par = tax.load_parallel(NTREX)
    mixed = list(itertools.islice(itertools.cycle(
        [par.lines[c][i] for i in range(par.n) for c in sorted(par.lines)]), args.lines))
    mb = sum(len(x.encode("utf-8")) for x in mixed) / 1e6
    print(f"cores: {os.cpu_count()}; {len(mixed):,} mixed-language lines, {mb:.2f} MB")
    print(f"| tokenizer | load s | encode s | tokens | tokens/s | MB/s |")
    print("|---|---|---|---|---|---|")
    names = list(specs.PRESETS) + ["bytes", "chars", "words"]
    for name in names:
        t0 = time.perf_counter()
        tok = specs.resolve(name)
        t1 = time.perf_counter()
        st = tax.count(tok, mixed)
        t2 = time.perf_counter()
        print(f"| {name} | {t1 - t0:.2f} | {t2 - t1:.2f} | {st.tokens:,} | {st.tokens / (t2 - t1):,.0f} | {mb / (t2 - t1):.2f} |")

    par.lines = {c: v[: args.tax_lines] for c, v in par.lines.items()}
    t0 = time.perf_counter()
    toks = [specs.resolve(n) for n in specs.PRESETS]
    result = tax.tax(par, toks, "eng", LANGS20, price=2.5)
    md = tax.markdown(result, "bench")
    html = tax.html(result, {"lugha": "bench"})
    dt = time.perf_counter() - t0
    print()
    print(f"whole tax report: {len(toks)} tokenizers x {len(LANGS20)} languages x {par.n:,} lines "
          f"(+ reference): {dt:.1f} s wall ({len(md):,} B Markdown, {len(html):,} B HTML)")


if __name__ == "__main__":
    main()
