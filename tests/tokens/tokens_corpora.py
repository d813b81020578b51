"""Training text for the local-tokenizer tests, built from ../shared/data (never copied into the repo):
every Amharic (or Hausa) text there except NTREX, minus any line that also occurs in NTREX."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

csv.field_size_limit(sys.maxsize)  # MasakhaNEWS article bodies are long


def _tsv_column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return [row[column] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if row.get(column)]


def training_lines(data: Path, lang: str) -> list[str]:
    """MasakhaNEWS headlines and articles, AfriSenti tweets, MAFAND-MT target sides, Lacuna news."""
    out: list[str] = []
    news = data / "masakhanews" / f"{lang}.dev.tsv"
    if news.is_file():
        for col in ("headline", "text"):
            out += _tsv_column(news, col)
    tweets = data / "afrisenti" / f"{lang}.test.tsv"
    if tweets.is_file():
        out += _tsv_column(tweets, "tweet")
    mt = data / "mafand_mt" / f"en-{lang}.test.tsv"
    if mt.is_file():
        out += _tsv_column(mt, lang)
    lacuna = data / "lacuna_news_mono" / f"{lang}.txt"
    if lacuna.is_file():
        out += lacuna.read_text(encoding="utf-8").splitlines()
    lines = []
    for t in out:
        lines += [ln.strip() for ln in t.splitlines() if ln.strip()]
    return lines


def write_training_text(data: Path, lang: str, held_out: list[str], dest: Path) -> tuple[Path, int]:
    """Write the training text without any held-out line; returns (path, lines dropped)."""
    held = {h.strip() for h in held_out if h.strip()}
    lines = training_lines(data, lang)
    kept = [ln for ln in lines if ln not in held]
    dest.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return dest, len(lines) - len(kept)
