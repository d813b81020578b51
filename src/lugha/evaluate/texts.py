"""Reading held-out text for evaluation: one document per non-blank line, strict UTF-8, and the
language of a file from --lang or its name (``newstest2019-ref.hau.txt`` -> hau)."""

from __future__ import annotations

from pathlib import Path

from lugha.errors import LughaError
from lugha.records import Record, Unreadable, read_records


def read_documents(path: str | Path, limit: int | None = None) -> list[Record]:
    """Non-blank lines/records of a file. A line that is not UTF-8 stops the run with one line
    naming it: evaluating the rest would silently change the figure."""
    p = Path(path)
    if not p.is_file():
        raise LughaError("no such file", path=path)
    docs = []
    for item in read_records(p):
        if isinstance(item, Unreadable):
            if "UTF-8" in item.reason:
                raise LughaError(f"{item.reason}: the file is not UTF-8 text (convert it, e.g. iconv -t UTF-8)",
                                 path=path, line=item.line)
            raise LughaError(item.reason, path=path, line=item.line if item.line > 0 else None)
        if item.text.strip():
            docs.append(item)
            if limit and len(docs) >= limit:
                break
    return docs


# words that name a split or a side of a parallel corpus in file names, and that also happen to be
# ISO 639-3 codes (dev = Domung, val = Vehes, src = Logudorese Sardinian, tgt = Central Tagbanwa,
# all = Allar, mono = Bodo): som.dev.txt is Somali, not Domung
NOT_A_LANGUAGE = frozenset({"dev", "val", "src", "tgt", "all", "mono"})


def language_of(path: str | Path, lang: str | None = None) -> str:
    from lugha.langs import resolve

    if lang:
        return resolve(lang).code
    parts = Path(path).name.split(".")
    for part in reversed(parts[:-1]):
        if part.lower() in NOT_A_LANGUAGE:
            continue
        try:
            return resolve(part).code
        except LughaError:
            continue
    return "und"
