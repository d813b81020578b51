"""Duplicates: exact (hash of normalised text) and near (MinHash + banded LSH, with datasketch).

Two stages, as datatrove's multi-stage MinHash: per shard, each document gets an exact-hash and
`bands` band hashes (no state kept between documents); then a cluster step groups equal band hashes
one band at a time across all shards (a sort per band: memory is 16 bytes x documents, never the
signatures themselves) and joins matches with union-find. Every duplicate points at the first
document of its cluster in input order.
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex

_FOLD = regex.compile(r"[\p{P}\p{S}\p{N}\s]+")


@dataclass(frozen=True)
class DedupParams:
    shingle_chars: int = 5
    num_perm: int = 112
    bands: int = 14
    seed: int = 1
    min_chars: int = 20

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def threshold(self) -> float:
        """Jaccard similarity at which a pair has a 50% chance of sharing a band: (1/b)^(1/r)."""
        return (1 / self.bands) ** (1 / self.rows)


def normalise(text: str) -> str:
    """NFKC, casefold, and fold punctuation, symbols, digits and whitespace to one space."""
    return _FOLD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def exact_hash(norm: str) -> int:
    """64-bit signed hash of normalised text (fits Arrow int64)."""
    return struct.unpack("<q", hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest())[0]


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int):
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed).permutations


def _crc32(b: bytes) -> int:
    return zlib.crc32(b)


def band_hashes(norm: str, params: DedupParams) -> list[int] | None:
    """One 64-bit hash per LSH band of the MinHash signature of character shingles; None when the
    text is too short to take part in near-duplicate detection."""
    if len(norm) < params.min_chars:
        return None
    from datasketch import MinHash

    k = params.shingle_chars
    shingles = {norm[i:i + k] for i in range(len(norm) - k + 1)}
    m = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=_crc32, scheme="affine32",
                permutations=_permutations(params.num_perm, params.seed))
    m.update_batch([s.encode("utf-8") for s in shingles])
    hv = m.hashvalues.astype(np.uint64)
    r = params.rows
    out = []
    for b in range(params.bands):
        digest = hashlib.blake2b(hv[b * r:(b + 1) * r].tobytes(), digest_size=8,
                                 person=b"lugha-b" + bytes([b])).digest()
        out.append(struct.unpack("<q", digest)[0])
    return out


class UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, x: int) -> int:
        p = self.parent
        root = x
        while p[root] != root:
            root = p[root]
        while p[x] != root:
            p[x], x = root, p[x]
        return int(root)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # the smaller index (earlier in input order) stays the root
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def _union_equal_runs(uf: UnionFind, keys: np.ndarray, idx: np.ndarray) -> None:
    """Union every run of equal keys (ignoring missing ones) into one set."""
    if len(keys) < 2:
        return
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    i = idx[order]
    same = np.nonzero(k[1:] == k[:-1])[0]
    for j in same:
        uf.union(int(i[j]), int(i[j + 1]))


def cluster(n: int, exact: np.ndarray, bands_iter) -> tuple[np.ndarray, np.ndarray]:
    """Global cluster step.

    n: documents (global index = input order); exact: int64 exact hashes (0 = not applicable);
    bands_iter: yields, per band, (indices, hashes) arrays for documents that have band hashes.
    Returns (root, kind): root[i] = index of the first document of i's cluster (i itself if
    unique or first); kind[i] = 0 none/first, 1 exact duplicate of its root, 2 near duplicate."""
    uf = UnionFind(n)
    has = exact != 0
    idx_all = np.arange(n, dtype=np.int64)
    _union_equal_runs(uf, exact[has], idx_all[has])
    for idx, hashes in bands_iter:
        _union_equal_runs(uf, np.asarray(hashes, dtype=np.int64), np.asarray(idx, dtype=np.int64))
    root = np.array([uf.find(i) for i in range(n)], dtype=np.int64)
    kind = np.zeros(n, dtype=np.int8)
    dup = root != idx_all
    kind[dup] = np.where(exact[dup] == exact[root[dup]], 1, 2)
    return root, kind
