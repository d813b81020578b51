"""kill -9 in the middle of `lugha clean`, rerun with the same arguments: the output equals that of an
uninterrupted run, with no record lost or written twice."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lugha.corpus.clean import read_shard


def make_corpus(shared_data: Path, d: Path) -> list[Path]:
    with open(shared_data / "afrisenti" / "yor.test.tsv", encoding="utf-8", newline="") as f:
        tweets = [r["tweet"].replace("\n", " ") for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    txt = d / "yor_tweets.txt"
    txt.write_text("".join(t + "\n" for t in tweets[:2500]), encoding="utf-8")
    with open(shared_data / "masakhanews" / "yor.dev.tsv", encoding="utf-8", newline="") as f:
        news = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    jl = d / "yor_news.jsonl"
    jl.write_text("".join(json.dumps({"id": f"yor-{i}", "text": r["text"], "url": r["url"]}, ensure_ascii=False) + "\n"
                          for i, r in enumerate(news)), encoding="utf-8")
    return [txt, jl]


def command(inputs: list[Path], out: Path) -> list[str]:
    return [sys.executable, "-m", "lugha.cli", "clean", *map(str, inputs), "--lang", "yor", "--out", str(out),
            "--shard-records", "100", "--workers", "1"]


def start(inputs, out, cwd) -> subprocess.Popen:
    # Its own process group, so the kill reaches any worker it started too.
    return subprocess.Popen(command(inputs, out), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def kill9(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def finish(inputs, out, cwd) -> str:
    r = subprocess.run(command(inputs, out), cwd=cwd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def snapshot(out: Path) -> dict:
    """Every output shard's bytes, and the manifest without its run-specific paths."""
    files = {str(p.relative_to(out)): p.read_bytes() for part in ("kept", "removed") for p in sorted((out / part).iterdir())}
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    m.pop("audit")
    return {"files": files, "manifest": m}


@pytest.fixture(scope="module")
def reference(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    inputs = make_corpus(shared_data, d)
    t0 = time.perf_counter()
    finish(inputs, d / "ref", d)
    return {"dir": d, "inputs": inputs, "seconds": time.perf_counter() - t0, "snap": snapshot(d / "ref")}


@pytest.mark.slow
def test_kill_9_at_a_random_point_then_rerun_gives_the_uninterrupted_output(reference):
    d, inputs = reference["dir"], reference["inputs"]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    out = d / "killed"
    chunks = len(list((d / "ref" / ".clean").glob("*.json")))
    # The random point is chosen in progress, not in seconds, so a busy or an idle machine both
    # land it inside the run: during the audit (a random delay far below the audit's duration), or
    # after a random number of finished chunks plus a random few milliseconds (mid-chunk).
    early = rng.random() < 0.3
    target = rng.randrange(1, max(2, chunks))
    proc = start(inputs, out, d)
    if early:
        time.sleep(rng.uniform(0.05, 0.25) * reference["seconds"])
    else:
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            if len(list((out / ".clean").glob("*.json"))) >= target:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
    assert proc.poll() is None, f"the run finished before the kill (seed {seed})"
    kill9(proc)
    assert not (out / "manifest.json").exists(), f"seed {seed}"
    finish(inputs, out, d)
    snap = snapshot(out)
    assert snap["files"].keys() == reference["snap"]["files"].keys(), f"seed {seed}"
    assert snap == reference["snap"], f"seed {seed}"


@pytest.mark.slow
def test_kill_9_while_writing_shards_resumes_from_finished_chunks(reference):
    d, inputs = reference["dir"], reference["inputs"]
    out = d / "killed_mid_shards"
    proc = start(inputs, out, d)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if len(list((out / ".clean").glob("*.json"))) >= 5:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed"
    kill9(proc)
    assert not (out / "manifest.json").exists()
    done_before = len(list((out / ".clean").glob("*.json")))
    stdout = finish(inputs, out, d)
    assert f"already done {done_before}" in stdout
    snap = snapshot(out)
    assert snap == reference["snap"]
    # and the records: every input line exactly once across kept + removed
    lines: dict[str, list[int]] = {}
    for name in snap["files"]:
        for r in read_shard(out / name):
            lines.setdefault(r["source"], []).append(r["line"])
    assert sorted(lines[str(inputs[0])]) == list(range(1, 2501))
    n_news = len(inputs[1].read_text(encoding="utf-8").splitlines())
    assert sorted(lines[str(inputs[1])]) == list(range(1, n_news + 1))
