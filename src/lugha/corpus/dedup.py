"""Duplicates: exact (hash of normalised text) and near (MinHash + banded LSH, with datasketch).

Two stages, as datatrove's multi-stage MinHash: per shard, each document gets an exact-hash and
`bands` band hashes (no state kept between documents); then a cluster step groups equal band hashes
one band at a time across all shards (a sort per band: memory is 16 bytes x documents, never the
signatures themselves) and joins matches as connected components. Every duplicate points at the first
document of its cluster in input order.
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
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


# Code points per normalise_batch pass (its arrays take ~14 bytes per code point).
_NORM_CHARS = 1 << 20


@lru_cache(maxsize=1)
def _fold_mask() -> np.ndarray:
    r"""One bool per code point: True where _FOLD's class [\p{P}\p{S}\p{N}\s] matches. Read from the
    signals' class table (digits, punctuation, symbols and spaces are exactly those Unicode classes
    there); tests/corpus checks it against _FOLD itself on every code point."""
    from lugha.corpus.signals import _class_array

    arr, k = _class_array()  # classes k..k+3: digit, punctuation, symbol, space
    return (arr >= k) & (arr <= k + 3)


def normalise_batch(texts: list[str]) -> list[str]:
    """[normalise(t) for t in texts], with the punctuation/space folding done for the whole batch in
    array operations over its code points instead of one regex substitution per text (same values,
    tested: the regex was most of the time normalisation took)."""
    from lugha.corpus.signals import in_bounded_groups

    # bound the arrays: a very long text alone, the regex way
    return in_bounded_groups(texts, _NORM_CHARS, _normalise_group, normalise)


def _normalise_group(texts: list[str]) -> list[str]:
    if not texts:
        return []
    cf = [unicodedata.normalize("NFKC", t).casefold() for t in texts]
    lens = np.fromiter(map(len, cf), dtype=np.int64, count=len(cf))
    ends = np.cumsum(lens)
    starts = ends - lens
    codes = np.frombuffer("".join(cf).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(codes):
        return [""] * len(texts)
    fold = _fold_mask()[codes]
    # a folded code point is dropped when the one before it in the same text was folded too: each
    # run of them becomes the single space the regex writes for it
    prev = np.empty_like(fold)
    prev[0] = False
    prev[1:] = fold[:-1]
    prev[starts[lens > 0]] = False
    keep = ~(fold & prev)
    folded = np.where(fold, np.uint32(32), codes)[keep]
    kept = np.concatenate(([0], np.cumsum(keep)))
    k_start, k_end = kept[starts].tolist(), kept[ends].tolist()
    joined = folded.tobytes().decode("utf-32-le", "surrogatepass")
    return [joined[a:b].strip() for a, b in zip(k_start, k_end)]


def exact_hash(norm: str) -> int:
    """64-bit signed hash of normalised text (fits Arrow int64)."""
    return struct.unpack("<q", hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest())[0]


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own affine32 permutation parameters (a odd, b) for this seed."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


# Polynomial rolling hash of a k-character shingle over Unicode code points, mod 2^32.
_SHINGLE_BASE = np.uint32(0x01000193)


def shingle_hash(shingle: str) -> int:
    """The 32-bit hash lugha gives one shingle (the scalar form of `_shingle_hashes`); use it as
    datasketch's `hashfunc` to reproduce lugha's signatures with datasketch.MinHash."""
    h = 0
    for ch in shingle:
        h = (h * int(_SHINGLE_BASE) + ord(ch)) & 0xFFFFFFFF
    return h


def _shingle_hashes(codes: np.ndarray, k: int) -> np.ndarray:
    """Hash of every k-window of a code-point array (wrapping uint32 arithmetic)."""
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _SHINGLE_BASE + codes[j:j + n]
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    from datasketch.minhash import _fmix

    return _fmix(h, 32)


# A long text is hashed in pieces of at most this many characters (overlapping by k - 1, so every
# shingle is in exactly one piece): memory per text stays bounded whatever its length.
_PIECE_CHARS = 1 << 16
# Shingles permuted at a time: a (num_perm x block) uint32 matrix of 3.5 MB stays in the CPU cache.
_BLOCK = 8192


def _pieces(norms: list[str], keep: list[int], k: int):
    """(owner index, text) pieces covering every k-shingle of every kept text exactly once."""
    step = _PIECE_CHARS - k + 1
    for i in keep:
        t = norms[i]
        if len(t) <= _PIECE_CHARS:
            yield i, t
            continue
        for s in range(0, len(t) - k + 1, step):
            yield i, t[s:s + _PIECE_CHARS]


def minhash_signatures(norms: list[str], params: DedupParams) -> list[np.ndarray | None]:
    """MinHash signatures (uint32[num_perm]) of many normalised texts at once.

    Equal, value for value, to datasketch.MinHash(num_perm, seed, scheme="affine32",
    hashfunc=shingle_hash) updated with the set of character shingles (tested), but computed with
    array operations over a whole batch instead of one Python call per shingle: texts are joined
    (up to _PIECE_CHARS characters at a time) and hashed in one rolling pass, windows that straddle
    two texts are dropped, and the permutations run over blocks of _BLOCK shingles laid out
    permutation-major, so each block's minima are one contiguous `reduceat` per permutation."""
    k = params.shingle_chars
    a, b = _permutations(params.num_perm, params.seed)
    a_col, b_col = a[:, None], b[:, None]
    out: list[np.ndarray | None] = [None] * len(norms)
    keep = [i for i, t in enumerate(norms) if len(t) >= max(params.min_chars, k)]
    sig = {i: None for i in keep}
    chunk: list[tuple[int, str]] = []
    size = 0

    def flush():
        owners = [i for i, _ in chunk]
        texts = [t for _, t in chunk]
        lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        h = _shingle_hashes(codes, k)  # every window of the joined text, straddling ones too
        offsets = np.concatenate(([0], np.cumsum(lens)[:-1]))
        windows = lens - k + 1  # per piece, >= 1 since len >= k
        starts = np.concatenate(([0], np.cumsum(windows)[:-1]))
        total = int(windows.sum())
        take = np.repeat(offsets - starts, windows) + np.arange(total)
        hv = _fmix32(h[take])
        mins = np.full((len(texts), len(a)), 0xFFFFFFFF, dtype=np.uint32)
        with np.errstate(over="ignore"):
            for lo in range(0, total, _BLOCK):
                hi = min(total, lo + _BLOCK)
                phv = a_col * hv[None, lo:hi]
                phv += b_col
                first = int(np.searchsorted(starts, lo, side="right")) - 1  # piece holding shingle lo
                last = int(np.searchsorted(starts, hi, side="left"))  # pieces starting before hi
                cuts = starts[first:last] - lo
                cuts[0] = 0
                np.minimum(mins[first:last], np.minimum.reduceat(phv, cuts, axis=1).T, out=mins[first:last])
        for i, row in zip(owners, mins):
            prev = sig[i]
            sig[i] = row if prev is None else np.minimum(prev, row)

    for owner, piece in _pieces(norms, keep, k):
        chunk.append((owner, piece))
        size += len(piece)
        if size >= _PIECE_CHARS:
            flush()
            chunk, size = [], 0
    if chunk:
        flush()
    for i, row in sig.items():
        out[i] = row
    return out


_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def bands_of(sig: np.ndarray, params: DedupParams) -> list[int]:
    """One signed 64-bit hash per LSH band (rows of the signature folded, then avalanched)."""
    r = params.rows
    m = sig[:params.bands * r].astype(np.uint64).reshape(params.bands, r)
    h = np.arange(1, params.bands + 1, dtype=np.uint64) * _BAND_MIX
    with np.errstate(over="ignore"):
        for j in range(r):
            h = (h ^ m[:, j]) * np.uint64(0x100000001B3)
        from datasketch.minhash import _fmix

        h = _fmix(h, 64)
    return h.view(np.int64).tolist()


def batch_bands(sigs: list[np.ndarray | None], params: DedupParams) -> list[list[int] | None]:
    """bands_of for a whole batch in one array pass (same values)."""
    have = [i for i, s in enumerate(sigs) if s is not None]
    out: list[list[int] | None] = [None] * len(sigs)
    if not have:
        return out
    r = params.rows
    m = np.stack([sigs[i][:params.bands * r] for i in have]).astype(np.uint64).reshape(len(have), params.bands, r)
    h = np.broadcast_to(np.arange(1, params.bands + 1, dtype=np.uint64) * _BAND_MIX, (len(have), params.bands)).copy()
    from datasketch.minhash import _fmix

    with np.errstate(over="ignore"):
        for j in range(r):
            h = (h ^ m[:, :, j]) * np.uint64(0x100000001B3)
        h = _fmix(h, 64)
    for i, row in zip(have, h.view(np.int64).tolist()):
        out[i] = row
    return out


def band_hashes(norm: str, params: DedupParams) -> list[int] | None:
    """Band hashes of one text; None when it is too short for near-duplicate detection."""
    sig = minhash_signatures([norm], params)[0]
    return None if sig is None else bands_of(sig, params)


def _equal_run_pairs(keys: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) index pairs joining neighbours in every run of equal keys (a chain per run)."""
    if len(keys) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    i = idx[order]
    same = np.nonzero(k[1:] == k[:-1])[0]
    return i[same], i[same + 1]


def _merge_components(label: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Join the components of a and b; every document's label is the smallest index of its
    component (what union-find gives when the earlier document stays the root)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    la, lb = label[a], label[b]
    diff = la != lb
    if not diff.any():
        return label
    n = len(label)
    la, lb = la[diff], lb[diff]
    graph = coo_matrix((np.ones(len(la), dtype=np.int8), (la, lb)), shape=(n, n)).tocsr()
    _, comp = connected_components(graph, directed=False)
    smallest = np.full(comp.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, comp, np.arange(n, dtype=np.int64))
    return smallest[comp[label]]


def cluster(n: int, exact: np.ndarray, bands_iter) -> tuple[np.ndarray, np.ndarray]:
    """Global cluster step.

    n: documents (global index = input order); exact: int64 exact hashes (0 = not applicable);
    bands_iter: yields, per band, (indices, hashes) arrays for documents that have band hashes.
    Returns (root, kind): root[i] = index of the first document of i's cluster (i itself if
    unique or first); kind[i] = 0 none/first, 1 exact duplicate of its root, 2 near duplicate.

    Connected components over the pairs that share a key, one band at a time (array operations in
    scipy, no Python loop per pair): memory stays a few arrays of n integers."""
    idx_all = np.arange(n, dtype=np.int64)
    root = idx_all.copy()
    has = exact != 0
    root = _merge_components(root, *_equal_run_pairs(exact[has], idx_all[has]))
    for idx, hashes in bands_iter:
        pairs = _equal_run_pairs(np.asarray(hashes, dtype=np.int64), np.asarray(idx, dtype=np.int64))
        root = _merge_components(root, *pairs)
    kind = np.zeros(n, dtype=np.int8)
    dup = root != idx_all
    kind[dup] = np.where(exact[dup] == exact[root[dup]], 1, 2)
    return root, kind
