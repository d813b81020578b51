"""Labelled text for `lugha lid eval` and `lugha lid train`.

Accepted: TSV (.tsv, unquoted: quote marks are text), CSV (.csv, RFC 4180 quoting; a space after the comma is tolerated), JSON Lines (.jsonl), each with
a header naming a `lang` and a `text` column (other columns are ignored); or a directory holding one
file per language named by its code (`zul.txt`, `tir.txt`: one paragraph per non-empty line; `.tsv`/
`.csv`/`.jsonl` files inside it are read as above). Codes are ISO 639-1/639-3/BCP-47 tags and are
resolved to canonical ISO 639-3 (`sw` -> `swh`).

Errors are one line naming file and line: unknown code, empty text, missing column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lugha.errors import LughaError
from lugha.langs import resolve
from lugha.records import read_lines, read_rows

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
    # lugha.records.read_rows: TSV unquoted, CSV RFC 4180, JSONL objects; bad rows name their line
    return [_row(str(row["lang"]), row["text"], path, n)
            for n, row in read_rows(path, required=("lang", "text"), lower_header=True,
                                       space_after_comma=True)]


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
    for n, raw in enumerate(read_lines(path), 1):
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
