"""The audit gives the same outputs on the local pool and on Ray, survives a worker killed by pid on
either, and resumes from completion markers after the whole run is killed.

Input: real Hausa news sentences (lacuna_news_mono) with real English lines (NTREX) mixed in, split
over four files, plus planted exact duplicates whose originals sit in another file and shard."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

from lugha.corpus import audit as audit_mod
from lugha.corpus.audit import run_audit
from lugha.engine import get_executor

HOOKS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(HOOKS_DIR))
import shard_hooks  # noqa: E402  (test-only wrappers; workers import them through PYTHONPATH)

SHARD_BYTES = 20_000
WORKERS = 2
TIMING = ("seconds",)


@pytest.fixture(autouse=True)
def hooks_on_worker_path(monkeypatch):
    # Pool workers (forkserver) and Ray workers (started by a raylet spawned from this process)
    # inherit the environment, so they can unpickle shard_hooks' functions by reference.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HOOKS_DIR), os.environ.get("PYTHONPATH")])))


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory):
    """A directory of 4 files; returns (dir, planted) with planted = [(copy_file, copy_line,
    original_file, original_line)]."""
    hau = [ln for ln in (shared_data / "lacuna_news_mono" / "hau.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    eng = [ln for ln in (shared_data / "ntrex128" / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
           if ln.strip()][:120]
    docs = hau + eng
    random.Random(6).shuffle(docs)
    quarter = len(docs) // 4
    files = [docs[i * quarter:(i + 1) * quarter] if i < 3 else docs[3 * quarter:] for i in range(4)]
    rng = random.Random(7)
    planted = []
    # 30 exact copies of lines of files 0-1 appended to files 2-3 (case and spacing differ).
    for k in range(30):
        src_f = k % 2
        i = rng.randrange(len(files[src_f]))
        while len(files[src_f][i].split()) < 8:
            i = rng.randrange(len(files[src_f]))
        dst_f = 2 + k % 2
        files[dst_f].append(files[src_f][i].upper() + "  ")
        planted.append((dst_f, len(files[dst_f]), src_f, i + 1))
    d = tmp_path_factory.mktemp("scale") / "hausa"
    d.mkdir()
    for n, lines in enumerate(files):
        (d / f"part{n}.txt").write_text("".join(ln + "\n" for ln in lines), encoding="utf-8")
    return d, planted


def part(d: Path, n: int) -> str:
    return str(d / f"part{n}.txt")


def table(out: Path):
    return pq.read_table(out / "annotations.parquet").sort_by([("source", "ascending"), ("doc_id", "ascending")])


def summary_wo_timing(res) -> dict:
    return {k: v for k, v in res.summary.items() if k not in TIMING}


def assert_same(res, ref, *, same_plan: bool = True):
    a, b = table(res.out_dir), table(ref.out_dir)
    assert a.num_rows == b.num_rows
    assert a.equals(b), "annotations.parquet differs"
    # the unsorted files too: same records in the same order
    assert pq.read_table(res.annotations).equals(pq.read_table(ref.annotations))
    sa, sb = summary_wo_timing(res), summary_wo_timing(ref)
    if not same_plan:
        sa.pop("shards"), sb.pop("shards")
    assert sa == sb


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    """One process, one shard per file: the run every other run must reproduce."""
    d, _ = corpus
    return run_audit([d], "ha", tmp_path_factory.mktemp("ref") / "out", workers=1)


@pytest.fixture(scope="module")
def local_run(corpus, tmp_path_factory):
    d, _ = corpus
    return run_audit([d], "ha", tmp_path_factory.mktemp("local") / "out", workers=WORKERS,
                     engine="local", shard_bytes=SHARD_BYTES)


def test_reference_finds_the_planted_cross_file_duplicates(corpus, reference):
    d, planted = corpus
    rows = {(r["source"], r["doc_id"]): r for r in pq.read_table(reference.annotations).to_pylist()}
    for dst_f, dst_line, src_f, src_line in planted:
        r = rows[(part(d, dst_f), str(dst_line))]
        assert (r["dup_kind"], r["dup_of_source"], r["dup_of"]) == ("exact", part(d, src_f), str(src_line))
    s = reference.summary
    assert s["counts"]["total"] == len(rows) and s["reconciled"]
    assert s["duplicates"]["exact"] >= len(planted)
    assert s["counts"]["WL"] >= 100  # the English lines


def test_local_pool_on_byte_range_shards_equals_the_reference(local_run, reference):
    assert local_run.shards >= 8  # four files cut into byte ranges
    assert_same(local_run, reference, same_plan=False)


@pytest.mark.slow
def test_ray_engine_gives_identical_outputs(corpus, local_run, tmp_path):
    import ray

    d, _ = corpus
    seen = []
    res = run_audit([d], "ha", tmp_path / "out", workers=WORKERS, engine="ray", shard_bytes=SHARD_BYTES,
                    progress=lambda b, tb, docs: seen.append((b, tb, docs)))
    assert res.shards == local_run.shards
    assert_same(res, local_run)
    # on_done ran in the driver once per shard, as shards finished
    assert len(seen) == res.shards + 1 and seen[-1][0] == seen[-1][1]
    assert seen[-1][2] == res.summary["counts"]["total"]
    assert not ray.is_initialized()  # the Ray it started itself is shut down


class Killer(threading.Thread):
    """Waits until a worker starts shard `victim`, then SIGKILLs that worker by its pid."""

    def __init__(self, pid_dir: Path, victim: int, after: float = 0.3):
        super().__init__(daemon=True)
        self.pid_dir, self.victim, self.after = pid_dir, victim, after
        self.killed: int | None = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            pids = shard_hooks.executions(self.pid_dir).get(self.victim)
            if pids:
                time.sleep(self.after)  # the worker is now inside the shard (sleeping in the hook)
                os.kill(pids[0], signal.SIGKILL)
                self.killed = pids[0]
                return
            time.sleep(0.02)


def run_with_kill(engine: str, corpus, tmp_path, monkeypatch):
    d, _ = corpus
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    real = audit_mod.get_executor
    monkeypatch.setattr(audit_mod, "get_executor",
                        lambda *a, **k: shard_hooks.SlowedExecutor(real(*a, **k), pid_dir, delay=1.0))
    victim = 3
    killer = Killer(pid_dir, victim)
    killer.start()
    try:
        res = run_audit([d], "ha", tmp_path / "out", workers=WORKERS, engine=engine, shard_bytes=SHARD_BYTES)
    finally:
        killer.stop.set()
        killer.join()
    runs = shard_hooks.executions(pid_dir)
    assert killer.killed is not None, "the worker was never killed"
    assert runs[victim][0] == killer.killed
    assert len(runs[victim]) >= 2 and killer.killed not in runs[victim][1:]  # redone by another process
    return res, runs


@pytest.mark.slow
def test_ray_worker_killed_mid_shard_gives_identical_outputs(corpus, local_run, tmp_path, monkeypatch):
    res, runs = run_with_kill("ray", corpus, tmp_path, monkeypatch)
    # Ray retries only the lost task: every other shard ran exactly once
    assert all(len(p) == 1 for i, p in runs.items() if i != 3), runs
    assert sorted(runs) == list(range(res.shards))
    assert_same(res, local_run)


def test_pool_process_killed_mid_shard_gives_identical_outputs(corpus, local_run, tmp_path, monkeypatch):
    res, runs = run_with_kill("local", corpus, tmp_path, monkeypatch)
    assert sorted(runs) == list(range(res.shards))
    assert_same(res, local_run)


def test_killed_audit_resumes_from_completion_markers(corpus, reference, tmp_path, cli):
    d, _ = corpus
    out = tmp_path / "out"
    args = ["audit", str(d), "--lang", "ha", "--out", str(out), "--workers", "1", "--keep-work"]
    lugha = Path(sys.executable).with_name("lugha")
    proc = subprocess.Popen([str(lugha), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    markers = out / ".work" / "shards"
    deadline = time.monotonic() + 120
    try:
        while len(list(markers.glob("*.done.json"))) < 2:
            assert proc.poll() is None, "audit ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in markers.glob("*.done.json")}
    finished_outputs = {n.replace(".done.json", ".parquet"): (markers / n.replace(".done.json", ".parquet")).stat().st_mtime_ns
                        for n in finished}
    assert 2 <= len(finished) < 4, finished  # interrupted: some shards done, not all
    assert not (out / "annotations.parquet").exists()

    r = cli(*args)
    assert r.exit_code == 0, r.output
    after = {p.name: p.stat().st_mtime_ns for p in markers.glob("*.done.json")}
    assert len(after) == 4
    # finished shards were skipped: their markers and outputs were not rewritten
    assert {k: after[k] for k in finished} == finished
    assert {k: (markers / k).stat().st_mtime_ns for k in finished_outputs} == finished_outputs

    rerun = SimpleNamespace(out_dir=out, annotations=out / "annotations.parquet",
                            summary=json.loads((out / "summary.json").read_text(encoding="utf-8")))
    assert_same(rerun, reference)


@pytest.mark.slow
def test_ray_executor_contract(tmp_path):
    """Results in shard order even when later shards finish first; on_done once per shard; a shard
    function's own error reaches the caller unchanged (not retried); a Ray the caller started is
    left running."""
    pytest.importorskip("ray")
    import ray
    from functools import partial

    from lugha.engine import Shard
    from lugha.errors import LughaError

    shards = [Shard(i, f"f{i}.txt", first_line=10 * i + 1) for i in range(5)]
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 1024 * 1024,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS_DIR), os.environ.get("PYTHONPATH")]))}})
    try:
        ex = get_executor("ray", workers=2)
        done = []
        got = ex.map(partial(shard_hooks.index_and_pid, sleep_for_index={0: 3.0}), shards,
                     on_done=lambda s, r: done.append(s.index))
        assert [g["index"] for g in got] == [0, 1, 2, 3, 4]
        assert sorted(done) == [0, 1, 2, 3, 4] and done[-1] == 0  # shard 0 slept, finished last
        assert all(g["pid"] != os.getpid() for g in got)  # ran in Ray workers
        with pytest.raises(LughaError) as e:
            ex.map(partial(shard_hooks.fail_on, bad_index=2), shards)
        assert str(e.value) == "f2.txt:21: record is not valid UTF-8"
        assert ray.is_initialized()
    finally:
        ray.shutdown()


def test_ray_engine_without_the_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    monkeypatch.delitem(sys.modules, "lugha.engine.ray", raising=False)
    from lugha.errors import LughaError

    with pytest.raises(LughaError, match=r"^--engine ray needs the ray extra: pip install 'lugha\[ray\]'"):
        get_executor("ray", workers=2)
