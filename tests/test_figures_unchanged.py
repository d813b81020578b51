"""Acceptance for the spine refactor (issue 16): a full audit + clean + tax + train/eval run on small real
inputs gives the same JSON figures, figure by figure, as the code before the refactor did.

The fixture tests/fixtures/figures_before_spine.json was written by this file's `_pipeline` run on the
main branch before any spine change (`python tests/test_figures_unchanged.py --write`). Signatures, paths,
timestamps, timings and the hash of the audit summary (which holds its signature) are left out (they are allowed to change); every count, share, rate, premium,
bits-per-byte figure and SHA-256 of an output shard stays in. A key the code adds later (a new
figure) is allowed; a figure missing or different is not.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "figures_before_spine.json"
# keys whose values are allowed to change: provenance, not figures
DROP = {"signature", "signatures", "created", "created_utc", "elapsed_s", "seconds", "wall_s", "timings",
        "docs_per_s", "bytes_per_second", "summary_sha256", "duration_s", "time", "started", "finished", "lugha", "lugha_version"}


def _inputs() -> dict[str, Path]:
    # relative to the data folder: clean's records carry the path as given, so an absolute one would
    # make the shard hashes depend on where the checkout lives (/work on one machine, /check/work on CI)
    return {"lacuna_hau": Path("lacuna_news_mono") / "hau.txt",
            "ntrex_hau": Path("ntrex128") / "newstest2019-ref.hau.txt",
            "ntrex_amh": Path("ntrex128") / "newstest2019-ref.amh.txt",
            "ntrex": Path("ntrex128")}


def _clean(obj, roots: dict[str, str]):
    """Drop provenance keys; write paths relative to named roots so that two runs compare."""
    if isinstance(obj, dict):
        return {_clean(k, roots): _clean(v, roots) for k, v in obj.items() if k not in DROP}
    if isinstance(obj, list):
        return [_clean(v, roots) for v in obj]
    if isinstance(obj, str):
        for name, root in roots.items():
            obj = obj.replace(root, f"<{name}>")
        return obj
    return obj


def _pipeline(shared: Path, work: Path, run) -> dict:
    with contextlib.chdir(shared):
        return _run_pipeline(shared, work, run)


def _run_pipeline(shared: Path, work: Path, run) -> dict:
    inp = _inputs()
    corpus = [inp["lacuna_hau"], inp["ntrex_hau"], inp["ntrex_amh"]]
    figures: dict = {}

    r = run("audit", *corpus, "--lang", "hau", "--out", work / "audit", "--workers", "1")
    assert r.exit_code == 0, r.output
    figures["audit"] = json.loads((work / "audit" / "summary.json").read_text(encoding="utf-8"))

    r = run("clean", *corpus, "--lang", "hau", "--out", work / "clean", "--audit", work / "audit", "--workers", "1")
    assert r.exit_code == 0, r.output
    figures["clean"] = json.loads((work / "clean" / "manifest.json").read_text(encoding="utf-8"))

    r = run("tokens", "tax", inp["ntrex"], "--lang", "hau,amh", "--ref", "eng", "-t", "gpt4-cl100k,bytes",
            "--max-lines", "300", "--json", work / "tax.json", "--md", work / "tax.md")
    assert r.exit_code == 0, r.output
    figures["tax"] = json.loads((work / "tax.json").read_text(encoding="utf-8"))

    model = work / "hau.ngram.gz"
    r = run("train", "ngram", inp["lacuna_hau"], "--order", "4", "--out", model)
    assert r.exit_code == 0, r.output
    r = run("eval", "bpb", "--model", f"ngram:{model}", inp["ntrex_hau"], inp["ntrex_amh"], "--limit", "120",
            "--bootstrap", "200", "--json", work / "bpb.json")
    assert r.exit_code == 0, r.output
    figures["bpb"] = json.loads((work / "bpb.json").read_text(encoding="utf-8"))
    return _clean(figures, {"work": str(work), "shared": str(shared)})


def _diff(a, b, where="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                continue  # a figure added since is not a figure changed
            elif k not in b:
                out.append(f"{where}/{k}: missing")
            else:
                out += _diff(a[k], b[k], f"{where}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items before, {len(b)} now"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{where}: {a!r} before, {b!r} now"]
    return [] if a == b else [f"{where}: {a!r} before, {b!r} now"]


def test_every_figure_of_audit_clean_tax_bpb_unchanged(shared_data, tmp_path, cli):
    before = json.loads(FIXTURE.read_text(encoding="utf-8"))
    now = _pipeline(shared_data, tmp_path, cli)
    diffs = _diff(before, now)
    assert not diffs, f"{len(diffs)} figures differ:\n" + "\n".join(diffs[:40])


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    from typer.testing import CliRunner

    from lugha.cli import app

    def _run(*args):
        return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)

    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    with tempfile.TemporaryDirectory() as d:
        figs = _pipeline(shared, Path(d), _run)
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(figs, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size:,} bytes)")
