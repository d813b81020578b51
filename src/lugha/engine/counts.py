"""One way to merge per-shard counts: statistics are plain nested dicts of numbers, and the total of
any split into shards is their element-wise sum, so figures do not depend on how work was split."""

from __future__ import annotations

from typing import Any, Iterable


def add_counts(total: dict, part: dict, skip: Iterable[str] = ()) -> dict:
    """Add `part` into `total` in place: numbers are summed, dicts merged recursively (a key absent
    from `total` starts at 0), lists of numbers summed element-wise (fixed bins). Keys in `skip`
    are left to the caller (e.g. example lists that are capped, not summed)."""
    skip = frozenset(skip)
    for k, v in part.items():
        if k in skip:
            continue
        total[k] = _add(total.get(k), v)
    return total


def _add(a: Any, b: Any) -> Any:
    if isinstance(b, dict):
        out = a if isinstance(a, dict) else {}
        for k, v in b.items():
            out[k] = _add(out.get(k), v)
        return out
    if isinstance(b, list):
        if a is None:
            return list(b)
        if len(a) != len(b):
            raise ValueError(f"cannot add count lists of different lengths ({len(a)} and {len(b)})")
        return [x + y for x, y in zip(a, b)]
    if isinstance(b, bool) or not isinstance(b, (int, float)):
        raise TypeError(f"not a count: {b!r}")
    return (a or 0) + b


def merge_counts(parts: Iterable[dict], start: dict | None = None, skip: Iterable[str] = ()) -> dict:
    """The sum of per-shard counts, in shard order, onto `start` (e.g. a zeroed template)."""
    total = start if start is not None else {}
    for p in parts:
        add_counts(total, p, skip)
    return total
