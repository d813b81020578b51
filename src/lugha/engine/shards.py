"""Shards: whole files, or byte ranges of large uncompressed txt/jsonl files cut on record boundaries."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

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


def iter_batches(items: Iterable, size: int):
    batch = []
    for it in items:
        batch.append(it)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
