"""Text normalisation shared by `lugha lid train` and prediction, so a model sees the same kind of
string at both times: Unicode NFC, case folded, Ge'ez word separators and every other character that
is not a letter or a combining mark turned into a space, runs of spaces collapsed, ends stripped.

It runs on a whole batch at once: the texts are joined (NUL-separated; NUL is a Unicode starter that
composes with nothing, so NFC and case folding of the join equal those of each text), then the
letter test and the space collapsing are NumPy operations over the code points. `normalize(t)` is
`normalize_batch([t])[0]`, so there is one definition.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache

import numpy as np
import regex

# What counts as a letter: \p{L} or \p{M} as the `regex` module defines them. Punctuation, digits,
# symbols, Ge'ez separators (፡ ። ፣, punctuation in Unicode) and whitespace become spaces: digits and
# URLs say nothing about the language.
_LETTER = regex.compile(r"[\p{L}\p{M}]+")
_SPACE = np.uint32(32)


@lru_cache(maxsize=1)
def letter_table() -> np.ndarray:
    """bool per code point (0..0x10FFFF): letter or mark. Built once per process (~0.1 s) from the
    regex above, so the vectorised path and the definition cannot drift apart."""
    every = np.arange(sys.maxunicode + 1, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    letters = "".join(_LETTER.findall(every))
    table = np.zeros(sys.maxunicode + 1, dtype=bool)
    table[np.frombuffer(letters.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)] = True
    return table


def _join(texts: list[str]) -> str:
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:  # a text holds NUL itself: it is not a letter anyway
        joined = "\x00".join(t.replace("\x00", " ") for t in texts)
    return unicodedata.normalize("NFC", joined).casefold()


def padded_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised texts as code points, each as " " + normalize(text) + " ", concatenated.

    Returns (codes uint32, starts int64 with len(texts) + 1 entries): text d occupies
    codes[starts[d]:starts[d + 1]]."""
    if not texts:
        return np.zeros(0, dtype=np.uint32), np.zeros(1, dtype=np.int64)
    c = np.frombuffer(_join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    sep = c == 0
    letter = letter_table()[c]
    # keep letters, separators, and the first non-letter after a letter (as one space)
    prev_letter = np.zeros_like(letter)
    prev_letter[1:] = letter[:-1]
    keep = letter | sep | prev_letter
    c = np.where(letter | sep, c, _SPACE)[keep]
    # drop a space that ends a text (before a separator or at the very end)
    trailing = np.zeros(c.shape[0], dtype=bool)
    trailing[:-1] = (c[:-1] == _SPACE) & (c[1:] == 0)
    if c.shape[0]:
        trailing[-1] = c[-1] == _SPACE
    c = c[~trailing]
    # lay out " " + core + " " per text, without the separators
    is_sep = c == 0
    doc = np.cumsum(is_sep)
    core_idx = np.flatnonzero(~is_sep)
    core_len = np.bincount(doc[core_idx], minlength=len(texts)) if core_idx.size else np.zeros(len(texts), np.int64)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(core_len + 2, out=starts[1:])
    out = np.full(int(starts[-1]), _SPACE, dtype=np.uint32)
    # a core character moves right by 1 (its text's leading space) + 1 per earlier text (the
    # previous texts' trailing spaces replace their separators)
    out[core_idx + doc[core_idx] + 1] = c[core_idx]
    return out, starts


def normalize_batch(texts: list[str]) -> list[str]:
    codes, starts = padded_codes(texts)
    raw = codes.tobytes().decode("utf-32-le", "surrogatepass")
    return [raw[starts[d] + 1:starts[d + 1] - 1] for d in range(len(texts))]


def normalize(text: str) -> str:
    return normalize_batch([text])[0]
