"""Benchmark: `lugha quickstart` on the issue's sizes, wall time per stage and in total.

    .venv/bin/python bench/quickstart.py --out /tmp/qsbench [--budget-minutes 20] [--stage NAME ...]

Inputs (built once under OUT/inputs/ from ../shared/data, deterministic):
- reference: NTREX-128 Somali lines 1-500, with their English source (`--reference-english`);
- crawl: 20,000 documents, JSONL: every MasakhaNEWS Somali article cut into pieces of about 300
  characters at sentence ends (the claimed language), then pieces of MasakhaNEWS Hausa, Swahili,
  Oromo and Nigerian Pidgin articles, round-robin, up to 20,000 in all.

The run is the library's `run_quickstart` (what the CLI calls), so it resumes: `--stage` runs some
stages and keeps the others' results, which lets a long run be measured in parts of under 10
minutes each. Every stage's seconds come from its OUT/<stage>/stage.json; the load average is read
before and after.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
OTHERS = ["hau.test.tsv", "swa.test.tsv", "orm.train.tsv", "pcm.train.tsv"]


def pieces(path: Path, size: int = 300) -> list[str]:
    csv.field_size_limit(10**9)
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            cur = ""
            for sent in re.split(r"(?<=[.!?])\s+", row["text"].replace("\n", " ").strip()):
                cur = f"{cur} {sent}".strip()
                if len(cur) >= size:
                    out.append(cur)
                    cur = ""
            if len(cur) > 40:
                out.append(cur)
    return out


def build_inputs(d: Path, n_ref: int = 500, n_crawl: int = 20_000) -> dict:
    d.mkdir(parents=True, exist_ok=True)
    som = (DATA / "ntrex128" / "newstest2019-ref.som.txt").read_text(encoding="utf-8").splitlines()[:n_ref]
    eng = (DATA / "ntrex128" / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()[:n_ref]
    (d / "ref.som.txt").write_text("\n".join(som) + "\n", encoding="utf-8")
    (d / "ref.eng.txt").write_text("\n".join(eng) + "\n", encoding="utf-8")
    docs = [("som", t) for t in pieces(DATA / "masakhanews_lm" / "som.train.tsv")][:n_crawl]
    others = [[(f.split(".")[0], t) for t in pieces(DATA / "masakhanews_lm" / f)] for f in OTHERS]
    i = 0
    while len(docs) < n_crawl and any(others):
        src = others[i % len(others)]
        if src:
            docs.append(src.pop(0))
        i += 1
    with (d / "crawl.jsonl").open("w", encoding="utf-8") as fh:
        for j, (lang, t) in enumerate(docs):
            fh.write(json.dumps({"id": f"d{j}", "text": t}, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for lang, _ in docs:
        kinds[lang] = kinds.get(lang, 0) + 1
    return {"reference": len(som), "crawl": len(docs), "kinds": kinds,
            "crawl_mb": (d / "crawl.jsonl").stat().st_size / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--budget-minutes", type=float, default=60.0)
    ap.add_argument("--stage", action="append", default=[])
    ap.add_argument("--no-borrowed", action="store_true")
    args = ap.parse_args()

    from lugha.quickstart import STAGES, Settings, run_quickstart

    inp = args.out / "inputs"
    if not (inp / "crawl.jsonl").is_file():
        print("inputs:", build_inputs(inp))
    s = Settings(lang="so", reference=inp / "ref.som.txt", crawl=[inp / "crawl.jsonl"], out=args.out / "run",
                 reference_english=inp / "ref.eng.txt", budget_minutes=args.budget_minutes,
                 models=[] if args.no_borrowed else None, stages=tuple(args.stage) or STAGES)
    load0 = Path("/proc/loadavg").read_text().split()[:3]
    t0 = time.monotonic()
    r = run_quickstart(s, on_stage=lambda run, el, left: print(
        f"[{run.name}] {run.status} {run.seconds:.1f} s (elapsed {el / 60:.1f} min){' - ' + run.error if run.error else ''}",
        flush=True))
    wall = time.monotonic() - t0
    load1 = Path("/proc/loadavg").read_text().split()[:3]
    print(f"this invocation: {wall:.1f} s; load average before {' '.join(load0)}, after {' '.join(load1)}")
    print("| stage | status | seconds |\n|---|---|---|")
    total = 0.0
    for name in STAGES:
        m = json.loads((s.out / name / "stage.json").read_text()) if (s.out / name / "stage.json").is_file() else {}
        secs = m.get("seconds")
        total += secs or 0
        print(f"| {name} | {m.get('status', r.stages[name].status)} | {secs if secs is not None else '-'} |")
    print(f"| total | | {total:.1f} |")
    for v in r.summary["verdicts"]:
        print("-", v["text"])


if __name__ == "__main__":
    main()
