"""Executors: map a plain per-shard function over shards, locally or on a cluster.

Steps know nothing of executors; executors know nothing of steps beyond "call this picklable
function on each shard and hand me its (small, JSON-able) result". A shard function writes its
outputs itself, through `ShardOutput`, which makes every output atomic and marks the shard done, so
that a rerun skips finished shards whichever executor ran them.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, Sequence

from lugha.errors import LughaError
from lugha.records import file_kind

# Uncompressed text inputs larger than this are split into byte ranges on record boundaries.
DEFAULT_SHARD_BYTES = 64 * 1024 * 1024
MIN_SHARD_BYTES = 1 * 1024 * 1024


@dataclass(frozen=True)
class Shard:
    index: int  # position in the plan: outputs are concatenated in this order
    path: str  # input file, as the user named it (becomes the record's `source`)
    start: int = 0  # byte offset of the first record (0 for whole files)
    end: int = -1  # byte offset after the last record, -1 = to the end
    first_line: int = 1  # 1-based line number of the first record in the file
    first_index: int = 0  # 0-based record index of the first record (jsonl default ids)

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def _splittable(path: str) -> bool:
    return file_kind(path) in ("txt", "jsonl") and not str(path).lower().endswith((".gz", ".zst", ".zstd"))


def plan_shards(paths: Sequence[str | Path], workers: int = 1, max_bytes: int = DEFAULT_SHARD_BYTES) -> list[Shard]:
    """Whole files, or byte ranges of large uncompressed txt/jsonl files cut at newlines.

    Ranges are sized so each worker gets several shards (load balance) but none exceeds
    `max_bytes` (memory and redo cost). Counting newlines to know each range's first line is one
    fast pass over the bytes."""
    sizes = [os.path.getsize(p) for p in paths]
    total = sum(sizes)
    target = min(max_bytes, max(MIN_SHARD_BYTES, total // max(1, workers * 4) + 1))
    shards: list[Shard] = []
    for p, size in zip(paths, sizes):
        p = str(p)
        if size <= target or not _splittable(p):
            shards.append(Shard(len(shards), p))
            continue
        with open(p, "rb") as f:
            start, line = 0, 1
            while start < size:
                cut = min(size, start + target)
                if cut < size:
                    f.seek(cut)
                    rest = f.readline()  # finish the record the cut fell into
                    cut = f.tell() if rest else size
                f.seek(start)
                newlines = _count_newlines(f, cut - start)
                shards.append(Shard(len(shards), p, start, cut, line, line - 1))
                line += newlines
                start = cut
    return shards


def _count_newlines(f, n: int, bufsize: int = 1 << 22) -> int:
    count = 0
    while n > 0:
        b = f.read(min(bufsize, n))
        if not b:
            break
        count += b.count(b"\n")
        n -= len(b)
    return count


# ---- atomic shard outputs and completion markers -------------------------------------------------

class ShardOutput:
    """Where a shard writes: `<dir>/<stage>/<index>.<name>`. Files are written under a temporary
    name and renamed; the `.done.json` marker (with the shard's stats) is written last, so a shard
    is either complete or redone from scratch."""

    def __init__(self, root: str | Path, stage: str, shard: Shard, params_key: str = ""):
        self.dir = Path(root) / stage
        self.dir.mkdir(parents=True, exist_ok=True)
        self.shard = shard
        self.stem = f"{shard.index:05d}"
        self.marker = self.dir / f"{self.stem}.done.json"
        self.token = f"{shard.key}-{params_key}"

    def path(self, name: str) -> Path:
        return self.dir / f"{self.stem}.{name}"

    def tmp_path(self, name: str) -> Path:
        return self.dir / f".{self.stem}.{name}.{os.getpid()}.tmp"

    def commit(self, name: str, tmp: Path) -> Path:
        final = self.path(name)
        os.replace(tmp, final)
        return final

    def done(self) -> dict | None:
        """The stats of a finished shard written with the same shard spec and parameters."""
        try:
            data = json.loads(self.marker.read_text())
        except (OSError, ValueError):
            return None
        return data.get("stats") if data.get("token") == self.token else None

    def mark_done(self, stats: dict) -> None:
        tmp = self.tmp_path("done.json")
        tmp.write_text(json.dumps({"token": self.token, "stats": stats}, ensure_ascii=False))
        os.replace(tmp, self.marker)


# ---- executors --------------------------------------------------------------------------------

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
    (their markers are on disk), so only the lost shard's work is redone."""

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
                with ProcessPoolExecutor(max_workers=min(self.workers, len(pending)), mp_context=ctx) as pool:
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
            from lugha.engine.ray_executor import RayExecutor
        except ImportError as e:
            raise LughaError(f"--engine ray needs the ray extra: pip install 'lugha[ray]' ({e})") from e
        return RayExecutor(address=ray_address, workers=workers)
    raise LughaError(f"unknown engine {engine!r}; choose local or ray")


def iter_batches(items: Iterable, size: int):
    batch = []
    for it in items:
        batch.append(it)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
