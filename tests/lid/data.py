"""Labelled sets built from ../shared/data for the lid tests and bench/lid.py (written to a temporary
folder as TSV, never into the repo)."""

from __future__ import annotations

import csv
from pathlib import Path

SOUTH_AFRICA = ("afr", "eng", "nbl", "nso", "sot", "ssw", "tsn", "tso", "ven", "xho", "zul")
# NTREX-128 has news for these South African languages. Its 'nso' file is left out: it reads as
# Southern Sotho (hore/ho, not Sepedi's gore/go), and every backend and model call it sot.
NTREX_SA = ("afr", "ssw", "tsn", "ven", "xho", "zul")


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def udhr_paragraphs(data: Path, langs) -> list[tuple[str, str]]:
    """(lang, paragraph) for every UDHR translation of `langs` at quality stage >= 4."""
    out = []
    with open(data / "udhr" / "index.tsv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["iso639_3"] in langs and int(r["stage"]) >= 4:
                with open(data / "udhr" / "text" / f"{r['file']}.tsv", encoding="utf-8") as g:
                    out += [(r["iso639_3"], _clean(row["text"])) for row in csv.DictReader(g, delimiter="\t")
                            if row["text"].strip()]
    return out


def ntrex(data: Path, stem: str, n: int | None = None) -> list[str]:
    name = "newstest2019-src.eng.txt" if stem == "eng" else f"newstest2019-ref.{stem}.txt"
    lines = [_clean(ln) for ln in (data / "ntrex128" / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines[:n]


def mafand(data: Path, lang: str) -> list[str]:
    with open(data / "mafand_mt" / f"en-{lang}.test.tsv", encoding="utf-8") as f:
        return [_clean(r[lang]) for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if (r.get(lang) or "").strip()]


def lacuna(data: Path, lang: str) -> list[str]:
    return [_clean(ln) for ln in (data / "lacuna_news_mono" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
            if ln.strip()]


def masakhanews(data: Path, lang: str) -> list[str]:
    """Headlines and the first 300 characters of each article."""
    with open(data / "masakhanews" / f"{lang}.dev.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [_clean(r["headline"]) for r in rows if r["headline"].strip()] + \
           [_clean(r["text"])[:300] for r in rows if r["text"].strip()]


def write_tsv(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        f.write("lang\ttext\n")
        for lang, text in rows:
            f.write(f"{lang}\t{text}\n")
    return path


def south_africa_news(data: Path, n: int | None = None) -> list[tuple[str, str]]:
    rows = [(lang, t) for lang in NTREX_SA for t in ntrex(data, lang, n)]
    rows += [("eng", t) for t in ntrex(data, "eng", n)]
    for lang in ("zul", "xho", "tsn"):
        rows += [(lang, t) for t in mafand(data, lang)[:n]]
    for lang in ("xho", "tsn"):
        rows += [(lang, t) for t in lacuna(data, lang)[:n]]
    return rows
