"""Test-set contamination: n-gram overlap between test documents and a training corpus.

Word 13-grams for space-delimited scripts and character 50-grams otherwise (both configurable),
after lower-casing and dropping punctuation (as in GPT-3's decontamination). The test set is
the small side, so its n-grams go into a hashed set (8-byte BLAKE2b keys) and the training corpus
streams through it once: memory is bounded by the test set, whatever the size of the corpus.
A test document is dirty when the share of its n-grams seen in training reaches ``threshold``
(default: any overlap). Documents shorter than n are compared whole, as a single n-gram.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import regex

from lugha.signature import Signature

UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]")
NON_WORD = regex.compile(r"[^\p{L}\p{M}\p{N}\s]+")


def normalise(text: str) -> str:
    return " ".join(NON_WORD.sub(" ", text.lower()).split())


def unit_of(text: str) -> str:
    """'word' for space-delimited text, 'char' for scripts written without spaces."""
    letters = regex.findall(r"\p{L}", text)
    if letters and sum(1 for c in letters if UNSPACED.match(c)) / len(letters) > 0.5:
        return "char"
    return "word"


def _key(s: str) -> bytes:
    return hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest()


def ngrams(norm: str, unit: str, n: int) -> list[str]:
    if unit == "word":
        toks = norm.split()
        if len(toks) < n:
            return [" ".join(toks)] if toks else []
        return [" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)]
    s = norm.replace(" ", "")
    if len(s) < n:
        return [s] if s else []
    return [s[i:i + n] for i in range(len(s) - n + 1)]


def contamination(test_files: list[str | Path], train_files: list[str | Path], word_n: int = 13,
                  char_n: int = 50, threshold: float = 0.0, progress=None) -> dict:
    from lugha.evaluate.texts import read_documents
    from lugha.records import Record, expand_inputs, hash_inputs, iter_inputs

    tests = []  # (file, id, line, unit, keys)
    wanted: dict[bytes, bool] = {}
    short: dict[str, set[bytes]] = {"word": set(), "char": set()}  # whole short docs, matched as substrings
    for f in test_files:
        for d in read_documents(f):
            norm = normalise(d.text)
            unit = unit_of(d.text)
            n = word_n if unit == "word" else char_n
            grams = ngrams(norm, unit, n)
            keys = [_key(unit[0] + g) for g in grams]
            is_short = (len(norm.split()) if unit == "word" else len(norm.replace(" ", ""))) < n
            for k in keys:
                wanted[k] = False
            tests.append({"file": str(f), "id": d.id, "line": d.line, "unit": unit, "keys": keys,
                          "short": is_short, "text": d.text})
    short_texts = {t["keys"][0]: (t["unit"], normalise(t["text"])) for t in tests if t["short"] and t["keys"]}
    # Stream the training corpus once.
    train_docs = train_bytes = 0
    for item in iter_inputs(train_files):
        if not isinstance(item, Record):
            continue
        train_docs += 1
        train_bytes += len(item.text.encode("utf-8"))
        norm = normalise(item.text)
        for unit, n in (("word", word_n), ("char", char_n)):
            for g in ngrams(norm, unit, n):
                k = _key(unit[0] + g)
                if k in wanted:
                    wanted[k] = True
        if short_texts:
            padded = f" {norm} "
            nospace = norm.replace(" ", "")
            for k, (unit, s) in short_texts.items():
                if not wanted[k] and ((f" {s} " in padded) if unit == "word" else (s in nospace)):
                    wanted[k] = True
        if progress and train_docs % 10000 == 0:
            progress(train_docs)
    docs = []
    dirty = 0
    for t in tests:
        hits = sum(wanted[k] for k in t["keys"])
        share = hits / len(t["keys"]) if t["keys"] else 0.0
        is_dirty = hits > 0 and share >= threshold
        dirty += is_dirty
        docs.append({"file": t["file"], "id": t["id"], "line": t["line"], "unit": t["unit"],
                     "ngrams": len(t["keys"]), "overlapping": hits, "overlap": share,
                     "dirty": is_dirty})
    train_paths = expand_inputs(train_files)
    sig = Signature.build("contamination", {**hash_inputs(test_files), **hash_inputs(train_paths)}, params={
        "word_n": word_n, "char_n": char_n, "threshold": threshold,
        "test_files": len(test_files), "train_files": len(train_paths)}).to_dict()
    return {"kind": "contamination", "test_documents": len(docs), "dirty": dirty,
            "contaminated_share": dirty / len(docs) if docs else 0.0,
            "train_documents": train_docs, "train_bytes": train_bytes,
            "documents": docs, "signature": sig}
