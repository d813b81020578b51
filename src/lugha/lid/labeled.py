"""Labelled text for `lugha lid eval` and `lugha lid train`.

Accepted: TSV (.tsv, unquoted: quote marks are text), CSV (.csv, RFC 4180 quoting; a space after the comma is tolerated), JSON Lines (.jsonl), each with
a header naming a `lang` and a `text` column (other columns are ignored); or a directory holding one
file per language named by its code (`zul.txt`, `tir.txt`: one paragraph per non-empty line; `.tsv`/
`.csv`/`.jsonl` files inside it are read as above). Codes are ISO 639-1/639-3/BCP-47 tags and are
resolved to canonical ISO 639-3 (`sw` -> `swh`).

Errors are one line naming file and line: unknown code, empty text, missing column.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from lugha.errors import LughaError
from lugha.langs import resolve

TABLE_SUFFIXES = (".tsv", ".csv", ".jsonl")


@dataclass(frozen=True)
class LabeledText:
    lang: str  # canonical ISO 639-3
    text: str
    source: str
    line: int  # 1-based line in the source file


def _code(tag: str, path: Path, line: int) -> str:
    try:
        return resolve(tag).code
    except LughaError as e:
        raise LughaError(e.message, path=path, line=line) from None


def _read_table(path: Path) -> list[LabeledText]:
    out: list[LabeledText] = []
    if path.suffix.lower() == ".jsonl":
        with open(path, encoding="utf-8") as f:
            for n, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as e:
                    raise LughaError(f"invalid JSON: {e.msg}", path=path, line=n) from None
                if not isinstance(obj, dict):
                    raise LughaError("expected a JSON object with 'lang' and 'text'", path=path, line=n)
                for col in ("lang", "text"):
                    if col not in obj:
                        raise LughaError(f"missing column {col!r}", path=path, line=n)
                out.append(_row(str(obj["lang"]), obj["text"], path, n))
        return out
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, encoding="utf-8", newline="") as f:
        # TSV has no quoting (IANA text/tab-separated-values): a text may start with a quote mark.
        # CSV is RFC 4180 quoted; skipinitialspace accepts 'lang, text' and 'zul, Bonke' by hand.
        if delim == "\t":
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(f, delimiter=",", skipinitialspace=True)
        header = next(reader, None)
        if header is None:
            raise LughaError("empty file: expected a header with 'lang' and 'text' columns", path=path, line=1)
        cols = [h.strip().lower() for h in header]
        for col in ("lang", "text"):
            if col not in cols:
                raise LughaError(f"missing column {col!r} (header has: {', '.join(cols) or 'nothing'})",
                                 path=path, line=1)
        li, ti = cols.index("lang"), cols.index("text")
        for row in reader:
            n = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) <= max(li, ti):
                raise LughaError(f"row has {len(row)} fields, expected at least {max(li, ti) + 1}", path=path, line=n)
            out.append(_row(row[li], row[ti], path, n))
    return out


def _row(tag: str, text, path: Path, n: int) -> LabeledText:
    if not str(tag).strip():
        raise LughaError("empty language code", path=path, line=n)
    code = _code(str(tag), path, n)
    if not isinstance(text, str) or not text.strip():
        raise LughaError("empty text", path=path, line=n)
    return LabeledText(code, text.strip(), str(path), n)


def _read_language_file(path: Path) -> list[LabeledText]:
    code = _code(path.name.split(".")[0], path, 1)
    out = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if raw.strip():
                out.append(LabeledText(code, raw.strip(), str(path), n))
    return out


def read_labeled(paths: list[str | Path]) -> list[LabeledText]:
    """Every labelled text in the given files/directories, in order."""
    out: list[LabeledText] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
            if not files:
                raise LughaError("directory has no files (expected one file per language, e.g. zul.txt)", path=p)
            for f in files:
                out.extend(_read_table(f) if f.suffix.lower() in TABLE_SUFFIXES else _read_language_file(f))
        elif p.is_file():
            if p.suffix.lower() not in TABLE_SUFFIXES:
                raise LughaError("labelled data must be .tsv, .csv or .jsonl (or a directory of <code>.txt files)",
                                 path=p)
            out.extend(_read_table(p))
        else:
            raise LughaError("no such file or directory", path=p)
    if not out:
        raise LughaError("no labelled text found", path=paths[0] if paths else None)
    return out
