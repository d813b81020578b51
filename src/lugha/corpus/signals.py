"""Per-document signals: script profile, length, character classes, repetition, boilerplate.

Pure functions over one text. Scripts come from the Unicode Script property via `regex`
(ISO 15924 codes from the IANA registry), precomputed once per process into a translate table so
that profiling a document is a single C-level pass.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import regex

# Characters class tokens in the translate table (letters map to private-use chars, one per script).
_DIGIT, _PUNCT, _SYMBOL, _SPACE, _MARK = "d", "p", "s", " ", "m"
_SCRIPT_BASE = 0xF0000  # supplementary private-use plane: never a real letter in the table's output

# Scripts written without spaces between words: a run of them is not one word.
_CJK = regex.compile(r"[\p{sc=Hani}\p{sc=Hira}\p{sc=Kana}]")
_UNSPACED = regex.compile(r"[\p{sc=Thai}\p{sc=Laoo}\p{sc=Khmr}\p{sc=Mymr}\p{sc=Tibt}]")
# Mean characters per word in Thai/Lao/Khmer/Myanmar text, used to estimate word counts there
# (no dictionary segmenter is bundled); documented in docs/audit.md.
UNSPACED_CHARS_PER_WORD = 4.0
_WORD = regex.compile(r"\w+(?:['’]\w+)*")


@lru_cache(maxsize=1)
def _script_table() -> tuple[dict[int, str], list[str]]:
    import langcodes

    path = Path(langcodes.__file__).parent / "data" / "language-subtag-registry.txt"
    codes = []
    for entry in path.read_text(encoding="utf-8").split("%%"):
        if "Type: script" in entry:
            for ln in entry.splitlines():
                if ln.startswith("Subtag: ") and ".." not in ln:
                    codes.append(ln[8:].strip())
    universe = "".join(chr(i) for i in range(0x30000) if not 0xD800 <= i < 0xE000)
    table: dict[int, str] = {}
    # classes first; script letters overwrite letter code points below
    for pattern, token in ((r"\p{N}", _DIGIT), (r"\p{P}", _PUNCT), (r"\p{S}", _SYMBOL),
                           (r"\s", _SPACE), (r"\p{M}", _MARK)):
        for m in regex.finditer(pattern + "+", universe):
            for ch in m.group():
                table[ord(ch)] = token
    names: list[str] = []
    for code in codes:
        if code in ("Zyyy", "Zinh", "Zzzz", "Zxxx", "Zmth", "Zsym", "Zsye"):
            continue
        try:
            pat = regex.compile(r"[\p{sc=%s}&&\p{L}]+" % code, regex.V1)
        except regex.error:
            continue  # an ISO code Unicode does not encode (e.g. Latf, Cyrs variants)
        tok = chr(_SCRIPT_BASE + len(names))
        hit = False
        for m in pat.finditer(universe):
            hit = True
            for ch in m.group():
                table[ord(ch)] = tok
        if hit:
            names.append(code)
    return table, names


def script_names() -> list[str]:
    return _script_table()[1]


@dataclass(slots=True)
class Profile:
    chars: int
    letters: int
    digits: int
    punct: int
    symbols: int
    spaces: int
    scripts: dict[str, int]  # letters per ISO 15924 script


def char_profile(text: str) -> Profile:
    table, names = _script_table()
    counts = Counter(text.translate(table))
    digits = counts.pop(_DIGIT, 0)
    punct = counts.pop(_PUNCT, 0)
    symbols = counts.pop(_SYMBOL, 0)
    spaces = counts.pop(_SPACE, 0)
    marks = counts.pop(_MARK, 0)
    scripts: dict[str, int] = {}
    other = 0
    for tok, n in counts.items():
        i = ord(tok) - _SCRIPT_BASE
        if 0 <= i < len(names):
            scripts[names[i]] = n
        else:
            other += n  # controls, unassigned, private use: neither letters nor punctuation
    letters = sum(scripts.values()) + marks
    return Profile(len(text), letters, digits, punct, symbols + other, spaces, scripts)


@lru_cache(maxsize=1)
def _class_array():
    """char_profile's translate table as one int16 class per code point: script i -> i, then digit,
    punctuation, symbol, space, mark, other (what the table leaves alone)."""
    import numpy as np

    table, names = _script_table()
    k = len(names)
    token_class = {_DIGIT: k, _PUNCT: k + 1, _SYMBOL: k + 2, _SPACE: k + 3, _MARK: k + 4}
    arr = np.full(sys.maxunicode + 1, k + 5, dtype=np.int16)
    for i in range(k):  # a character the table leaves alone that equals a script token counts as it
        arr[_SCRIPT_BASE + i] = i
    cps = np.fromiter(table.keys(), dtype=np.int64, count=len(table))
    cls = np.fromiter((token_class[v] if v in token_class else ord(v) - _SCRIPT_BASE for v in table.values()),
                      dtype=np.int16, count=len(table))
    arr[cps] = cls
    return arr, k


_PROFILE_CHARS = 1 << 20  # code points per char_profiles pass (its arrays take ~20 bytes per code point)


def in_bounded_groups(texts: list[str], limit: int, batch: Callable[[list[str]], list],
                      one: Callable[[str], object]) -> list:
    """batch() over consecutive groups of at most `limit` characters, one() on a text longer than
    that alone, results in input order: keeps a batch's code-point arrays bounded whatever the texts."""
    out: list = []
    group: list[str] = []
    size = 0
    for t in texts:
        if len(t) > limit:
            out += batch(group) + [one(t)]
            group, size = [], 0
            continue
        if size + len(t) > limit:
            out += batch(group)
            group, size = [], 0
        group.append(t)
        size += len(t)
    return out + batch(group)


def char_profiles(texts: list[str]) -> list[Profile]:
    """char_profile of many texts in one pass over their code points (same values: a class per
    code point looked up in an array, counted per text with one bincount)."""
    import numpy as np

    if not texts:
        return []
    if sum(map(len, texts)) > _PROFILE_CHARS:  # bound the arrays: groups of texts, long ones alone
        return in_bounded_groups(texts, _PROFILE_CHARS, char_profiles, char_profile)
    arr, k = _class_array()
    width = k + 6
    names = script_names()
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lens)
    counts = np.bincount(doc * width + arr[codes], minlength=len(texts) * width).reshape(len(texts), width)
    rows, cols = np.nonzero(counts[:, :k])
    vals = counts[rows, cols]
    scripts: list[dict[str, int]] = [{} for _ in texts]
    for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
        scripts[r][names[c]] = v
    tail = counts[:, k:].tolist()
    out = []
    for i, (digits, punct, symbols, spaces, marks, other) in enumerate(tail):
        sc = scripts[i]
        out.append(Profile(int(lens[i]), sum(sc.values()) + marks, digits, punct, symbols + other, spaces, sc))
    return out


def dominant_script(scripts: dict[str, int]) -> str:
    if not scripts:
        return "Zyyy"  # no letters at all: "Common"
    return max(scripts.items(), key=lambda kv: (kv[1], kv[0]))[0]


def words(text: str) -> list[str]:
    """Words for counting and n-grams. Works for Ge'ez (፡ separates words: it is punctuation, so it
    splits like a space) and for scripts without spaces: each Han/kana character counts as a word,
    and Thai/Lao/Khmer/Myanmar runs count len/4 words (an estimate, no segmenter bundled)."""
    return _WORD.findall(text)


_UNSPACED_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})


def word_count(text: str, tokens: list[str] | None = None, scripts: dict[str, int] | None = None) -> int:
    toks = tokens if tokens is not None else words(text)
    if scripts is not None and not _UNSPACED_SCRIPTS.intersection(scripts):
        return len(toks)  # the common case, without a per-word script check
    n = 0
    for w in toks:
        if _CJK.search(w):
            n += len(_CJK.findall(w)) + (1 if _CJK.sub("", w) else 0)
        elif _UNSPACED.search(w):
            n += max(1, math.ceil(len(w) / UNSPACED_CHARS_PER_WORD))
        else:
            n += 1
    return n


def repetition(text: str, toks: list[str]) -> dict[str, float]:
    """Gopher-style repetition (Rae et al. 2021): share of duplicate lines, share of characters in
    the most frequent word 2-gram, and share of characters in duplicated word 5-grams."""
    dup_line = top2 = dup5 = 0.0
    if "\n" in text:
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        if len(lines) > 1 and len(set(lines)) < len(lines):
            c = Counter(lines)
            dup_line = sum(n - 1 for n in c.values()) / len(lines)
    if len(toks) >= 4:
        c2 = Counter(zip(toks, toks[1:]))  # one counting pass (no separate set to look for repeats)
        if len(c2) < len(toks) - 1:  # most sentences repeat no bigram: nothing more to count
            total = sum(map(len, toks))
            (a, b), n = c2.most_common(1)[0]
            top2 = min(1.0, n * (len(a) + len(b)) / total) if total else 0.0
            if len(toks) >= 10:
                c5 = Counter(zip(toks, toks[1:], toks[2:], toks[3:], toks[4:]))
                if len(c5) < len(toks) - 4:  # most documents repeat no 5-gram: nothing is covered
                    covered = bytearray(len(toks))
                    rep = {g for g, k in c5.items() if k > 1}
                    for i, g in enumerate(zip(toks, toks[1:], toks[2:], toks[3:], toks[4:])):
                        if g in rep:
                            covered[i:i + 5] = b"\x01\x01\x01\x01\x01"
                    dup5 = sum(len(w) for w, cov in zip(toks, covered) if cov) / total if total else 0.0
    return {"dup_line_frac": dup_line, "top_2gram_frac": top2, "dup_5gram_frac": dup5}


class Boilerplate:
    """Web debris phrases (cookie banners, 'all rights reserved', navigation) per language.

    The score is the share of a document's non-empty lines that contain a listed phrase; a phrase
    list is per language (the claimed language's list plus the shared English/French one), so a
    community can add its own debris in the config file."""

    def __init__(self, phrases: list[str]):
        self.phrases = sorted({p.casefold().strip() for p in phrases if p.strip()})
        if self.phrases:
            alt = "|".join(regex.escape(p) for p in sorted(self.phrases, key=len, reverse=True))
            self._re = regex.compile(r"(?<!\w)(?:" + alt + r")(?!\w)")
        else:
            self._re = None

    def score(self, text: str) -> float:
        if self._re is None:
            return 0.0
        low = text.casefold()
        # a match needs one of the phrases as a substring: a few fast substring scans settle most
        # documents without running the (slow) alternation regex line by line
        if not any(p in low for p in self.phrases):
            return 0.0
        lines = [ln for ln in low.split("\n") if ln.strip()]
        if not lines:
            return 0.0
        hit = sum(1 for ln in lines if self._re.search(ln))
        return hit / len(lines)
