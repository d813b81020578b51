"""Executors that run on this machine: inline (one process) and a forkserver process pool."""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Protocol, Sequence

from lugha.engine.lifeline import die_with
from lugha.engine.shards import Shard

OnDone = Callable[[Shard, Any], None]


class Executor(Protocol):
    name: str
    workers: int

    def map(self, fn: Callable[[Shard], Any], shards: Sequence[Shard], on_done: OnDone | None = None) -> list[Any]:
        """fn(shard) for every shard; results returned in shard order."""


class InlineExecutor:
    """Runs shards one after another in this process (1 worker, and for debugging)."""

    name = "inline"
    workers = 1

    def map(self, fn, shards, on_done=None):
        out = []
        for s in shards:
            r = fn(s)
            if on_done:
                on_done(s, r)
            out.append(r)
        return out


class LocalExecutor:
    """A process pool over shards. A worker that dies (OOM killer, kill -9) breaks the pool; the
    shards it had not finished are then re-run in a fresh pool: finished shards keep their outputs
    (their markers are on disk), so only the lost shard's work is redone. Workers exit when this
    process dies (`lifeline.die_with`), so a killed run leaves no pool behind."""

    name = "local"

    def __init__(self, workers: int | None = None, max_restarts: int = 3, preload: Sequence[str] = ()):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.max_restarts = max_restarts
        # modules the fork server imports before forking workers: what they load (models) is
        # shared copy-on-write by every worker instead of loaded once per worker
        self.preload = tuple(preload)

    def map(self, fn, shards, on_done=None):
        if self.workers == 1 or len(shards) <= 1:
            return InlineExecutor().map(fn, shards, on_done)
        import multiprocessing as mp
        from concurrent.futures.process import BrokenProcessPool

        results: dict[int, Any] = {}
        pending = list(shards)
        restarts = 0
        while pending:
            ctx = mp.get_context("forkserver")
            if self.preload:
                ctx.set_forkserver_preload(list(self.preload))
            try:
                with ProcessPoolExecutor(max_workers=min(self.workers, len(pending)), mp_context=ctx,
                                         initializer=die_with, initargs=(os.getpid(),)) as pool:
                    futs = {pool.submit(fn, s): s for s in pending}
                    while futs:
                        done, _ = wait(futs, return_when=FIRST_COMPLETED)
                        for f in done:
                            s = futs.pop(f)
                            r = f.result()
                            results[s.index] = r
                            if on_done:
                                on_done(s, r)
                pending = []
            except BrokenProcessPool:
                restarts += 1
                if restarts > self.max_restarts:
                    raise
                pending = [s for s in shards if s.index not in results]
        return [results[s.index] for s in shards]
