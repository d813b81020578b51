"""Text normalisation shared by `lugha lid train` and prediction, so a model sees the same kind of
string at both times: Unicode NFC, case folded, Ge'ez word separators and every other character that
is not a letter or a combining mark turned into a space, runs of spaces collapsed."""

from __future__ import annotations

import unicodedata

import regex

# Anything that is not a letter or a mark: punctuation, digits, symbols, Ge'ez separators (፡ ። ፣ ...,
# which are punctuation in Unicode), whitespace. Digits and URLs say nothing about the language.
_NON_LETTER = regex.compile(r"[^\p{L}\p{M}]+")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return _NON_LETTER.sub(" ", text).strip()


_NON_LETTER_KEEP_NUL = regex.compile(r"[^\p{L}\p{M}\x00]+")


def normalize_batch(texts: list[str]) -> list[str]:
    """normalize() of every text, done on one joined string (NUL-separated) so that NFC, case
    folding and the substitution each run once per batch, not once per text. NUL is a Unicode
    starter that composes with nothing, so the result equals normalize() text by text."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:  # a text holds NUL itself: it is not a letter anyway
        joined = "\x00".join(t.replace("\x00", " ") for t in texts)
    joined = _NON_LETTER_KEEP_NUL.sub(" ", unicodedata.normalize("NFC", joined).casefold())
    return [p.strip() for p in joined.split("\x00")] if texts else []
