"""Executors: map a plain per-shard function over shards, locally or on a cluster.

Steps know nothing of executors; executors know nothing of steps beyond "call this picklable
function on each shard and hand me its (small, JSON-able) result". A shard function writes its
outputs itself, through `ShardOutput`, which makes every output atomic and marks the shard done, so
that a rerun skips finished shards whichever executor ran them.

- `shards`: `Shard`, `plan_shards` (whole files or byte ranges cut at record boundaries), `iter_batches`
- `outputs`: `Marker` (the one completion-marker mechanism), `ShardOutput`, `clear_tmp`
- `counts`: `merge_counts` / `add_counts` (the one way per-shard counts are summed)
- `local`: `InlineExecutor`, `LocalExecutor` (forkserver pool); `lifeline`: workers die with the run
- `ray`: `RayExecutor` (`--engine ray`, the ray extra)
"""

from __future__ import annotations

from typing import Sequence

from lugha.engine.counts import add_counts, merge_counts
from lugha.engine.local import Executor, InlineExecutor, LocalExecutor, OnDone
from lugha.engine.outputs import Marker, ShardOutput, clear_tmp
from lugha.engine.shards import DEFAULT_SHARD_BYTES, MIN_SHARD_BYTES, Shard, iter_batches, plan_shards
from lugha.errors import LughaError

__all__ = ["DEFAULT_SHARD_BYTES", "MIN_SHARD_BYTES", "Executor", "InlineExecutor", "LocalExecutor", "Marker",
           "OnDone", "Shard", "ShardOutput", "add_counts", "clear_tmp", "get_executor", "iter_batches",
           "merge_counts", "plan_shards"]


def get_executor(engine: str = "local", workers: int | None = None, ray_address: str | None = None,
                 preload: Sequence[str] = ()) -> Executor:
    """preload: modules a local pool's workers should share after import (LocalExecutor)."""
    engine = (engine or "local").lower()
    if engine == "local":
        return LocalExecutor(workers, preload=preload)
    if engine == "inline":
        return InlineExecutor()
    if engine == "ray":
        try:
            from lugha.engine.ray import RayExecutor
        except ImportError as e:
            raise LughaError(f"--engine ray needs the ray extra: pip install 'lugha[ray]' ({e})") from e
        return RayExecutor(address=ray_address, workers=workers)
    raise LughaError(f"unknown engine {engine!r}; choose local or ray")
