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
