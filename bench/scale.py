"""Benchmark: the audit's throughput on the local process pool vs Ray, 1 and 2 workers, same input.

    .venv/bin/python bench/scale.py --docs 60000                 # full table (about 15 min on 2 cores)
    .venv/bin/python bench/scale.py --docs 3000 --workers 1 2    # smoke run

Input: every real sentence of ../shared/data/lacuna_news_mono (20 African languages, 1000 news
sentences each) repeated with a counter suffix up to --docs lines (repeats are near duplicates, so
the global MinHash step has real clusters to find), audited as Hausa. Each configuration runs in a
fresh Python process, so every run pays its own model loading and executor start-up, as a user's
`lugha audit` would. Reported per run: wall time, docs/s, and the split between the shard phase
(executor.map over shards: LID, signals, MinHash) and the driver-side global step (LSH clustering
and writing annotations.parquet). Fixed costs: an executor's map of a no-op over one shard.
Scaling efficiency = docs/s with N workers / (N x docs/s with 1 worker) for the same engine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def build_input(path: Path, n: int) -> int:
    base: list[str] = []
    for f in sorted((DATA / "lacuna_news_mono").glob("*.txt")):
        base += [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            t = base[i % len(base)]
            if i >= len(base):
                t = f"{t} {i // len(base)}"
            out.write(t + "\n")
    return path.stat().st_size


def _noop(shard):
    return shard.index


def one_run(engine: str, workers: int, src: str, out: str) -> dict:
    """Runs in a child process: one audit, with the shard phase and the global step timed apart."""
    import lugha.corpus.audit as audit_mod

    phases: dict[str, float] = {}
    real_get, real_dedup = audit_mod.get_executor, audit_mod._deduplicate

    class Timed:
        def __init__(self, inner):
            self.inner, self.name, self.workers = inner, inner.name, inner.workers

        def map(self, fn, shards, on_done=None):
            t = time.perf_counter()
            try:
                return self.inner.map(fn, shards, on_done)
            finally:
                phases["shard_phase_s"] = time.perf_counter() - t

    def dedup(*a, **k):
        t = time.perf_counter()
        try:
            return real_dedup(*a, **k)
        finally:
            phases["global_step_s"] = time.perf_counter() - t

    audit_mod.get_executor = lambda *a, **k: Timed(real_get(*a, **k))
    audit_mod._deduplicate = dedup
    t = time.perf_counter()
    res = audit_mod.run_audit([src], "ha", out, workers=workers, engine=engine, keep_work=True)
    wall = time.perf_counter() - t
    import pyarrow.parquet as pq

    # Bytes of band hashes each document sends to the global step (compressed, as stored).
    band_bytes = 0
    for f in (Path(out) / ".work" / "shards").glob("*.parquet"):
        md = pq.ParquetFile(f).metadata
        for rg in range(md.num_row_groups):
            for c in range(md.num_columns):
                col = md.row_group(rg).column(c)
                if col.path_in_schema.startswith(audit_mod.BAND_PREFIX):
                    band_bytes += col.total_compressed_size
    docs = res.summary["counts"]["total"]
    return {"engine": engine, "workers": workers, "docs": docs, "shards": res.shards, "wall_s": wall,
            "docs_per_s": docs / wall, **phases, "band_bytes_per_doc": band_bytes / docs,
            "near": res.summary["duplicates"]["near"], "exact": res.summary["duplicates"]["exact"]}


def fixed_cost(engine: str, workers: int) -> dict:
    """Wall time of mapping a no-op over one shard per worker: pool or Ray start-up and shutdown."""
    from lugha.engine import Shard, get_executor

    shards = [Shard(i, "x") for i in range(workers)]
    t = time.perf_counter()
    ex = get_executor(engine, workers)
    ex.map(_noop, shards)
    return {"engine": engine, "workers": workers, "startup_s": time.perf_counter() - t}


def child(args: list[str]) -> dict:
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=REPO)
    if r.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=60000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--engines", nargs="+", default=["local", "ray"])
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--_one", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--_fixed", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._one:
        engine, workers, src, out = a._one
        print(json.dumps(one_run(engine, int(workers), src, out)))
        return
    if a._fixed:
        print(json.dumps(fixed_cost(a._fixed[0], int(a._fixed[1]))))
        return

    with tempfile.TemporaryDirectory(prefix="lugha-scale-") as tmp:
        src = Path(tmp) / "input.txt"
        size = build_input(src, a.docs)
        print(f"input: {a.docs:,} docs, {size / 1e6:.1f} MB ({src.name}); machine: 2 shared cores, timings noisy")
        fixed = [child(["--_fixed", e, str(w)]) for e in a.engines for w in a.workers]
        runs = [child(["--_one", e, str(w), str(src), str(Path(tmp) / f"out-{e}-{w}")])
                for e in a.engines for w in a.workers]
    base = {r["engine"]: r["docs_per_s"] for r in runs if r["workers"] == 1}
    start = {(f["engine"], f["workers"]): f["startup_s"] for f in fixed}
    print("\n| engine | workers | shards | wall s | docs/s | shard phase s | global step s | start-up s | efficiency |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        eff = r["docs_per_s"] / (r["workers"] * base[r["engine"]]) if r["engine"] in base else float("nan")
        print(f"| {r['engine']} | {r['workers']} | {r['shards']} | {r['wall_s']:.1f} | {r['docs_per_s']:,.0f} | "
              f"{r['shard_phase_s']:.1f} | {r['global_step_s']:.1f} | {start[(r['engine'], r['workers'])]:.1f} | "
              f"{eff:.2f} |")
    r0 = runs[0]
    print(f"\nband hashes per document (zstd Parquet, as read by the global step): {r0['band_bytes_per_doc']:.0f} B; "
          f"duplicates found: {r0['exact']:,} exact, {r0['near']:,} near (identical in every run: "
          f"{len({(r['exact'], r['near']) for r in runs}) == 1})")
    if a.json:
        a.json.write_text(json.dumps({"fixed": fixed, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
