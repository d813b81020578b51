"""Test-only wrappers around a shard function (never used by production code).

`slowed_shard` records which process ran which shard (a pid file per execution) and sleeps before
doing the real work, so a test can find a worker mid-shard and kill it by pid. It is a plain
module-level function, so both forkserver pool workers and Ray workers can unpickle it by reference
(the tests put this folder on PYTHONPATH before any worker starts)."""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path


def slowed_shard(shard, fn, pid_dir: str, delay: float):
    Path(pid_dir, f"{shard.index:05d}.{os.getpid()}.{time.monotonic_ns()}").touch()
    time.sleep(delay)
    return fn(shard)


def executions(pid_dir: str | Path) -> dict[int, list[int]]:
    """shard index -> pids of the processes that started it, in start order."""
    runs: dict[int, list[tuple[int, int]]] = {}
    for p in Path(pid_dir).iterdir():
        idx, pid, t = p.name.split(".")
        runs.setdefault(int(idx), []).append((int(t), int(pid)))
    return {k: [pid for _, pid in sorted(v)] for k, v in runs.items()}


class SlowedExecutor:
    """Wraps a real executor: same workers and map contract, with every shard slowed and logged."""

    def __init__(self, inner, pid_dir: str | Path, delay: float):
        self.inner = inner
        self.name = inner.name
        self.workers = inner.workers
        self.pid_dir = str(pid_dir)
        self.delay = delay

    def map(self, fn, shards, on_done=None):
        return self.inner.map(partial(slowed_shard, fn=fn, pid_dir=self.pid_dir, delay=self.delay), shards, on_done)


def index_and_pid(shard, sleep_for_index: dict[int, float] | None = None):
    """A trivial shard function for executor contract tests: later shards can finish first."""
    time.sleep((sleep_for_index or {}).get(shard.index, 0.0))
    return {"index": shard.index, "pid": os.getpid()}


def fail_on(shard, bad_index: int):
    from lugha.errors import LughaError

    if shard.index == bad_index:
        raise LughaError("record is not valid UTF-8", path=shard.path, line=shard.first_line)
    return shard.index


def models_at_start(shard):
    """What a worker holds when its first shard starts: whether the bundled LID backends are already
    loaded, and its resident and private memory (MB), from /proc/self/smaps_rollup."""
    from lugha.lid import ensemble
    from lugha.lid.backends import BUNDLED

    loaded = all(n in ensemble._BACKEND_CACHE for n in BUNDLED)
    mem = {}
    for ln in open("/proc/self/smaps_rollup").read().splitlines()[1:]:
        key, value = ln.split(":", 1)
        mem[key] = int(value.split()[0]) // 1024
    time.sleep(0.5)  # keep both workers busy, so each gets a shard
    return {"pid": os.getpid(), "loaded": loaded, "rss": mem["Rss"],
            "private": mem["Private_Clean"] + mem["Private_Dirty"]}
