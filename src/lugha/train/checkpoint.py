"""Checkpoints: one file, written atomically (temp file + fsync + rename), so a run killed at any
moment (kill -9 included) leaves either the previous checkpoint or the new one, never half of one.

Loaded with ``torch.load(weights_only=True)``: a checkpoint holds tensors and plain values only, so
loading one from someone else cannot run code. RNG states are converted to that form here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lugha.records import atomic_open


def _to_safe(state: dict) -> dict:
    s = dict(state)
    rng = dict(s["rng"])
    name, keys, pos, has_gauss, gauss = rng["numpy"]
    rng["numpy"] = {"name": name, "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
                    "has_gauss": int(has_gauss), "gauss": float(gauss)}
    version, internal, g = rng["python"]
    rng["python"] = {"version": version, "state": list(internal), "gauss": g}
    s["rng"] = rng
    return s


def _from_safe(state: dict) -> dict:
    rng = dict(state["rng"])
    n = rng["numpy"]
    rng["numpy"] = (n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    p = rng["python"]
    rng["python"] = (p["version"], tuple(p["state"]), p["gauss"])
    return {**state, "rng": rng}


def save(path: str | Path, state: dict) -> Path:
    # atomic, fsynced, with the umask's permissions (records.atomic_open)
    with atomic_open(path, "wb", fsync=True) as f:
        torch.save(_to_safe(state), f)
    return Path(path)


def load(path: str | Path) -> dict:
    return _from_safe(torch.load(path, map_location="cpu", weights_only=True))
