"""Atomic outputs and completion markers: how any step (audit shards, clean chunks) makes a unit of
work either finished, with its results on disk, or redone from scratch.

A unit writes its files under temporary names and renames them into place; its marker (a small
JSON file holding a token for the inputs and parameters, and the unit's statistics) is written last,
also by rename. A rerun asks the marker: with the same token, the unit is finished and its
statistics are read back; otherwise it is redone. A run killed at any moment (kill -9) therefore
resumes with the same outputs an uninterrupted run writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lugha.engine.shards import Shard

MARKER_SUFFIX = ".done.json"


class Marker:
    """`<dir>/<stem>.done.json`: the completion marker of one unit of work, plus temporary names
    for that unit's files (`.<stem>.<name>.<pid>.tmp`, swept by `clear_tmp` after a kill)."""

    def __init__(self, directory: str | Path, stem: str, token: str):
        self.dir = Path(directory)
        self.stem = stem
        self.token = token
        self.path = self.dir / f"{stem}{MARKER_SUFFIX}"

    def tmp_path(self, name: str) -> Path:
        return self.dir / f".{self.stem}.{name}.{os.getpid()}.tmp"

    def read(self) -> dict | None:
        """What `write` stored, when the marker exists and carries this token; else None."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("token") != self.token:
            return None
        return data.get("value")

    def write(self, value: Any) -> None:
        """Mark the unit finished (call last, after its files are in place)."""
        from lugha.records import write_text  # the one atomic writer (umask modes, OS errors -> LughaError)

        write_text(self.path, json.dumps({"token": self.token, "value": value}, ensure_ascii=False))


def clear_tmp(directory: str | Path) -> None:
    """Remove the temporary files a killed run left half-written in `directory`."""
    d = Path(directory)
    if d.is_dir():
        for tmp in d.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def commit(tmp: Path, final: Path) -> Path:
    """Move a finished temporary file into place (atomic on one filesystem)."""
    os.replace(tmp, final)
    return final


class ShardOutput:
    """Where a shard writes: `<dir>/<stage>/<index>.<name>`, finished by its `Marker`, whose token is
    the shard's own key plus the step's parameters key, so a changed plan or parameter redoes it."""

    def __init__(self, root: str | Path, stage: str, shard: Shard, params_key: str = ""):
        self.dir = Path(root) / stage
        self.dir.mkdir(parents=True, exist_ok=True)
        self.shard = shard
        self.stem = f"{shard.index:05d}"
        self._marker = Marker(self.dir, self.stem, f"{shard.key}-{params_key}")
        self.marker = self._marker.path
        self.token = self._marker.token

    def path(self, name: str) -> Path:
        return self.dir / f"{self.stem}.{name}"

    def tmp_path(self, name: str) -> Path:
        return self._marker.tmp_path(name)

    def commit(self, name: str, tmp: Path) -> Path:
        return commit(tmp, self.path(name))

    def done(self) -> dict | None:
        """The stats of a finished shard written with the same shard spec and parameters."""
        return self._marker.read()

    def mark_done(self, stats: dict) -> None:
        self._marker.write(stats)
