"""Language-ID backends, each mapped to ISO 639-3, each knowing the full set of labels it can emit.

Bundled (models ship inside their wheels, offline): pycld2 (CLD2), heliport (HeLI-OTS), py3langid
(langid.py). Optional: a fastText model file (GlotLID v3, OpenLID, lid.176) read with
fasttext-predict. Scores are mapped to 0..1 per backend (see each class).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from lugha.langs import UNDETERMINED, to_iso3
from lugha.records import sha256_file
from lugha.signature import package_version

_LETTER = re.compile(r"[^\W\d_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


# Language ID reads at most this many characters of a document: longer documents are identified on
# LID_WINDOWS evenly spaced windows (first and last included) that add up to this length. Every
# backend sees the same sample (lugha.lid.Identifier applies it), so the memory and time language ID
# takes per document are bounded whatever the document's length (docs/lid.md).
LID_MAX_CHARS = 2048
LID_WINDOWS = 4
_SNAP = 32  # move a window edge up to this many characters to land on whitespace


def lid_sample(text: str, max_chars: int = LID_MAX_CHARS, windows: int = LID_WINDOWS) -> str:
    """The text language ID reads: the text itself up to `max_chars` characters, else `windows`
    evenly spaced windows of max_chars // windows characters (the first at the start, the last at
    the end), their edges moved to whitespace where one is near, joined with newlines."""
    n = len(text)
    if n <= max_chars:
        return text
    windows = max(1, windows)
    w = max(1, max_chars // windows)
    parts = []
    for i in range(windows):
        s = (n - w) * i // (windows - 1) if windows > 1 else 0
        e = s + w
        if s > 0 and not text[s - 1].isspace():
            cut = _first_space(text, s, min(e, s + _SNAP))
            if cut >= 0:
                s = cut + 1
        if e < n and not text[e].isspace():
            cut = _last_space(text, max(s, e - _SNAP), e)
            if cut > s:
                e = cut
        parts.append(text[s:e])
    return "\n".join(parts)


def _first_space(text: str, lo: int, hi: int) -> int:
    for j in range(lo, hi):
        if text[j].isspace():
            return j
    return -1


def _last_space(text: str, lo: int, hi: int) -> int:
    for j in range(hi - 1, lo - 1, -1):
        if text[j].isspace():
            return j
    return -1


@lru_cache(maxsize=4096)
def iso(label: str) -> str:
    """A backend label ('sw', 'swa', 'ti', 'tir_Ethi', 'un', 'xx-Qaai') -> ISO 639-3.

    Macrolanguages stay what the backend said ('sw' -> 'swa', 'ku' -> 'kur'): the ensemble counts
    a macrolanguage and its members as one language, and only folds a macrolanguage into its
    dominant member at the end when no other member was named (CLD2's 'ku' on Sorani text is not
    Kurmanji)."""
    lab = label.strip().lower().replace("__label__", "")
    if not lab or lab in ("un", "und", "xxx", "zxx") or lab.startswith("xx"):
        return UNDETERMINED
    lab = lab.split("_")[0].split("-")[0]
    return to_iso3(lab)


class Backend(Protocol):
    name: str
    labels: frozenset[str]  # ISO 639-3 codes it can emit (canonical)

    def predict(self, texts: list[str], candidates: frozenset[str] | None = None) -> list[tuple[str, float]]:
        """(iso639-3 or 'und', score 0..1) per text; restricted to candidates when given."""

    def version(self) -> str: ...


class Cld2Backend:
    """pycld2: score = share of the text CLD2 attributes to the language (its 'percent'),
    halved when CLD2 says the result is unreliable."""

    name = "pycld2"

    def __init__(self):
        import pycld2

        self._cld = pycld2
        by_name = dict(pycld2.LANGUAGES)
        # DETECTED_LANGUAGES names what CLD2 can really output; LANGUAGES also lists unsupported ones
        codes = {by_name[n] for n in pycld2.DETECTED_LANGUAGES if n in by_name}
        self.labels = frozenset(i for i in (iso(c) for c in codes) if i != UNDETERMINED)

    def version(self) -> str:
        return package_version("pycld2")

    def _one(self, text: str, candidates):
        try:
            reliable, _, details = self._cld.detect(text, bestEffort=True)
        except Exception:  # pycld2.error on bytes CLD2 rejects
            try:
                reliable, _, details = self._cld.detect(_CONTROL.sub(" ", text), bestEffort=True)
            except Exception:
                return UNDETERMINED, 0.0
        for _, code, percent, _score in details:
            lab = iso(code)
            if lab == UNDETERMINED:
                continue
            if candidates is not None and lab not in candidates:
                continue
            return lab, (percent / 100.0) * (1.0 if reliable else 0.5)
        return UNDETERMINED, 0.0

    def predict(self, texts, candidates=None):
        return [self._one(t, candidates) for t in texts]


class HeliportBackend:
    """heliport: its confidence c (calibrated per language by its authors, 'und' below the
    threshold) is mapped to 1 - exp(-c)."""

    name = "heliport"

    def __init__(self):
        import heliport

        self._h = heliport.Identifier()
        path = Path(heliport.__file__).parent / "confidenceThresholds"
        raw = [ln.split("\t")[0] for ln in path.read_text().splitlines() if ln.strip()]
        self._raw_labels = raw
        self.labels = frozenset(i for i in (iso(c) for c in raw) if i != UNDETERMINED)

    def version(self) -> str:
        return package_version("heliport")

    def predict(self, texts, candidates=None):
        out = []
        if candidates is None:
            # one thread: lugha parallelises over shards, one worker per core (heliport's own
            # par_identify would spread each worker over every core and oversubscribe them)
            for lab, conf in map(self._h.identify_with_score, texts):
                lab = iso(lab)
                out.append((lab, 1.0 - math.exp(-max(0.0, conf)) if lab != UNDETERMINED else 0.0))
            return out
        k = min(len(self._raw_labels), 30)
        for t in texts:
            best = (UNDETERMINED, 0.0)
            ranked = self._h.identify_topk_with_score(t, k)
            top_raw = ranked[0][1] if ranked else 0.0
            for lab, raw in ranked:
                lab = iso(lab)
                if lab in candidates:
                    # raw scores are mean negative log-probabilities (lower is better): map the gap
                    # to the overall best into a 0..1 confidence
                    best = (lab, math.exp(-(abs(raw - top_raw))))
                    break
            out.append(best)
        return out


# py3langid's DFA: its state after a byte is a function of the last DFA_DEPTH bytes (the depth of
# its deepest state, measured by breadth-first search from the start state; tests/lid checks it).
DFA_DEPTH = 6
_SEGMENT = 64  # bytes per segment of the lockstep walk


class LangidBackend:
    """py3langid (langid.py's model): normalised naive-Bayes probability of the best label.

    Scores a whole batch at once: the byte-level DFA that finds features is walked for all texts in
    lockstep with NumPy, and the naive-Bayes sums are one gather + segmented sum. The result equals
    py3langid's own `classify` (tested); only the loop moved from Python to arrays."""

    name = "py3langid"

    def __init__(self, candidates: frozenset[str] | None = None):
        import numpy as np
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._np = np
        self._id = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._raw = list(self._id.labels)
        self.labels = frozenset(i for i in (iso(c) for c in self._raw) if i != UNDETERMINED)
        self._nm = np.frombuffer(self._id.tk_nextmove, dtype=self._id.tk_nextmove.typecode)
        self._rowbase = np.asarray(self._id._rowbase, dtype=np.int64)
        self._out = np.asarray(self._id.tk_output, dtype=np.int64)
        self._restricted: frozenset[str] | None = None
        self._set_model()

    def _set_model(self):
        np = self._np
        self._ptc = self._id.nb_ptc.astype(np.float32)
        self._pc = np.asarray(self._id.nb_pc, dtype=np.float32)
        self._classes = list(self._id.nb_classes)
        self._alias = list(self._id._alias_pairs)

    def version(self) -> str:
        return package_version("py3langid")

    def _restrict(self, candidates):
        if candidates == self._restricted:
            return
        if candidates is None:
            self._id.set_languages(None)
        else:
            keep = [r for r in self._raw if iso(r) in candidates]
            self._id.set_languages(keep or None)
        self._restricted = candidates
        self._set_model()

    def _encode(self, text: str) -> bytes:
        return self._id._encode(text)

    def _features(self, encoded: list[bytes]):
        """(doc index, feature id) for every DFA output, as py3langid's own walk finds them.

        py3langid's tokenizer is an Aho-Corasick automaton: its state after a byte depends only on
        the last DFA_DEPTH bytes (its longest pattern; tested). So every text is cut into segments
        of _SEGMENT bytes, each walked from the start state over the DFA_DEPTH bytes before it
        (outputs there dropped), and all segments of all texts are walked in lockstep: _SEGMENT +
        DFA_DEPTH array steps per batch whatever the texts' lengths, on one byte per input byte."""
        np = self._np
        n = len(encoded)
        lens = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=n)
        buf = np.frombuffer(b"".join(encoded) + b"\0", dtype=np.uint8)
        offsets = np.zeros(n, dtype=np.int64)
        if n > 1:
            np.cumsum(lens[:-1], out=offsets[1:])
        nseg = (lens + _SEGMENT - 1) // _SEGMENT
        total = int(nseg.sum())
        if not total:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), lens
        seg_doc = np.repeat(np.arange(n), nseg)
        first = np.cumsum(nseg) - nseg
        seg_start = offsets[seg_doc] + (np.arange(total) - first[seg_doc]) * _SEGMENT
        seg_end = np.minimum(seg_start + _SEGMENT, (offsets + lens)[seg_doc])
        pos = np.maximum(seg_start - DFA_DEPTH, offsets[seg_doc])
        last = len(buf) - 1
        state = np.zeros(total, dtype=np.int64)
        docs, feats = [], []
        for _ in range(_SEGMENT + DFA_DEPTH):
            # past its segment's end a walk reads junk, but nothing it finds there is kept
            state = self._nm[self._rowbase[state] + buf[np.minimum(pos, last)]]
            f = self._out[state]
            hit = (f >= 0) & (pos >= seg_start) & (pos < seg_end)
            if hit.any():
                docs.append(seg_doc[hit])
                feats.append(f[hit])
            pos += 1
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), lens
        return np.concatenate(docs), np.concatenate(feats), lens

    def scores(self, texts: list[str]):
        """Normalised class probabilities, (texts x classes), as py3langid's _decide computes them."""
        np = self._np
        encoded = [self._encode(t) for t in texts]
        docs, feats, lens = self._features(encoded)
        n, k = len(texts), len(self._classes)
        out = np.zeros((n, k), dtype=np.float32)
        if len(docs):
            from scipy.sparse import csr_matrix  # a datasketch dependency

            # count each (text, feature) pair with one sort of a combined key: the rows come out in
            # CSR order, so the matrix is built as is (no COO conversion and per-row index sort;
            # the same entries in the same order, so the same sums bit for bit, tested)
            nf = self._ptc.shape[0]
            key = docs * nf + feats
            key.sort()
            first = np.flatnonzero(np.diff(key)) + 1
            starts = np.concatenate(([0], first))
            uniq = key[starts]
            counts = np.diff(np.append(starts, len(key))).astype(np.float32)
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(uniq // nf, minlength=n), out=indptr[1:])
            w = csr_matrix((np.log1p(counts), (uniq % nf).astype(np.int32), indptr), shape=(n, nf))
            out = np.asarray(w @ self._ptc, dtype=np.float32)
            has = np.diff(w.indptr) > 0
        else:
            has = np.zeros(n, dtype=bool)
        out[has] += self._pc
        out[~has] = 0.0  # no features: uniform, as py3langid
        scale = (1.0 / np.sqrt(np.maximum(lens, 1))).astype(np.float32)
        out *= scale[:, None]
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
        for i, j in self._alias:
            out[:, i] += out[:, j]
            out[:, j] = 0.0
        return out

    def predict(self, texts, candidates=None):
        self._restrict(candidates)
        if candidates is not None and not (self.labels & candidates):
            return [(UNDETERMINED, 0.0)] * len(texts)
        out: list[tuple[str, float]] = [(UNDETERMINED, 0.0)] * len(texts)
        # no letters (digits, symbols): nothing for a language model to go on
        idx = [i for i, t in enumerate(texts) if _LETTER.search(t)]
        # similar lengths together keep the lockstep walk short
        idx.sort(key=lambda i: len(texts[i]))
        for start in range(0, len(idx), 2048):
            part = idx[start:start + 2048]
            sc = self.scores([texts[i] for i in part])
            best = sc.argmax(axis=1)
            for i, b, row in zip(part, best, sc):
                out[i] = (iso(self._classes[int(b)]), float(row[b]))
        return out


class FastTextBackend:
    """A fastText supervised model file (GlotLID, OpenLID, lid.176) via fasttext-predict.
    Labels like __label__tir_Ethi or __label__en; score = the model's probability."""

    def __init__(self, path: str | Path, name: str = "model"):
        import fasttext

        self.path = Path(path)
        self.name = name
        self._m = fasttext.load_model(str(self.path))
        # fasttext-predict has no label list: asking for every label on any text returns them all
        raw, _ = self._m.predict("a", k=-1)
        self.labels = frozenset(i for i in (iso(c) for c in raw) if i != UNDETERMINED)
        self._sha = sha256_file(self.path)

    def version(self) -> str:
        return f"fasttext-{self._sha[:12]}"

    def predict(self, texts, candidates=None):
        k = 1 if candidates is None else -1
        out = []
        for t in texts:
            labs, ps = self._m.predict(t.replace("\n", " ").replace("\r", " "), k=k)
            best = (UNDETERMINED, 0.0)
            for lab, p in zip(labs, ps):
                i = iso(lab)
                if candidates is None or i in candidates:
                    best = (i, float(p))
                    break
            out.append(best)
        return out


BUNDLED = ("pycld2", "heliport", "py3langid")


def load_backend(name: str):
    if name == "pycld2":
        return Cld2Backend()
    if name == "heliport":
        return HeliportBackend()
    if name == "py3langid":
        return LangidBackend()
    raise ValueError(f"unknown LID backend {name!r}")
