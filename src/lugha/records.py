"""Records with stable ids, and readers for txt, jsonl(.gz/.zst) and parquet.

Every input record comes out exactly once: as a Record, or as an Unreadable saying where it was and
why it could not be read. Readers never raise for a bad record; they raise LughaError only when a
whole file cannot be opened.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator, Union

from lugha.errors import LughaError

# A line longer than this is not a document but a dump; it is reported, not loaded into memory.
MAX_RECORD_BYTES = 8 * 1024 * 1024
SUFFIXES = (".txt", ".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".ndjson", ".parquet")


@dataclass(slots=True)
class Record:
    id: str  # txt: 1-based line number; jsonl/parquet: the id field, else the 0-based record index
    source: str  # the file it came from, as given
    text: str
    line: int  # 1-based line (txt/jsonl) or 0-based row (parquet) in the source, for error messages
    meta: dict = field(default_factory=dict)  # url and other kept fields


@dataclass(slots=True)
class Unreadable:
    source: str
    line: int
    reason: str
    id: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


Item = Union[Record, Unreadable]


def file_kind(path: str | Path) -> str:
    name = str(path).lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".ndjson", ".jsonl.zstd")):
        return "jsonl"
    if name.endswith((".txt", ".txt.gz", ".txt.zst", ".tsv")):
        return "txt"
    return "txt"


def expand_inputs(inputs: list[str | Path]) -> list[Path]:
    """Files, directories (their readable files, sorted) and globs -> a sorted, de-duplicated list.

    A missing path or a glob matching nothing is a LughaError (exit 2)."""
    out: list[Path] = []
    for raw in inputs:
        s = str(raw)
        p = Path(s)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and str(q).lower().endswith(SUFFIXES))
            if not found:
                raise LughaError("no .txt/.jsonl/.parquet files in directory", path=s)
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif any(ch in s for ch in "*?["):
            found = sorted(Path(m) for m in glob.glob(s, recursive=True) if Path(m).is_file())
            if not found:
                raise LughaError("glob matches no file", path=s)
            out.extend(found)
        else:
            raise LughaError("no such file or directory", path=s)
    for p in out:
        if not os.access(p, os.R_OK):
            raise LughaError("file is not readable (permission denied)", path=p)
    return list(dict.fromkeys(out))


def open_binary(path: str | Path) -> IO[bytes]:
    name = str(path).lower()
    try:
        if name.endswith(".gz"):
            return gzip.open(path, "rb")
        if name.endswith((".zst", ".zstd")):
            import zstandard

            raw = open(path, "rb")
            return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
        return open(path, "rb")
    except OSError as e:
        raise LughaError(f"cannot open: {e.strerror or e}", path=path) from e


def _lines(f: IO[bytes], start: int = 0, end: int = -1,
           first_line: int = 1) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(line_no, bytes, None) per line, or (line_no, None, reason) for a line over the size limit.

    Reads with a bounded buffer so one huge line cannot exhaust memory. With a byte range
    (start, end) it reads the lines that start inside it (shards cut on newlines)."""
    n = first_line - 1
    if start:
        f.seek(start)
    pos = start
    while True:
        if end >= 0 and pos >= end:
            return
        chunk = f.readline(MAX_RECORD_BYTES + 1)
        if not chunk:
            return
        pos += len(chunk)
        n += 1
        if len(chunk) > MAX_RECORD_BYTES and not chunk.endswith(b"\n"):
            size = len(chunk)
            while True:  # skip the rest of this line
                more = f.readline(1 << 20)
                size += len(more)
                pos += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield n, None, f"line of {size:,} bytes exceeds the {MAX_RECORD_BYTES:,}-byte record limit"
            continue
        yield n, chunk, None


def _decode(b: bytes) -> tuple[str | None, str | None]:
    if b.endswith(b"\n"):
        b = b[:-1]
    if b.endswith(b"\r"):
        b = b[:-1]
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, f"invalid UTF-8 at byte {e.start}"
    if "\x00" in s:
        return None, "NUL byte in text"
    return s, None


def read_txt(path: str | Path, source: str | None = None, start: int = 0, end: int = -1,
             first_line: int = 1) -> Iterator[Item]:
    """One document per line; the id is the 1-based line number. Blank lines are records too
    (they count, and the audit calls them NL), so line numbers and counts always reconcile."""
    src = source or str(path)
    with open_binary(path) as f:
        try:
            for n, b, err in _lines(f, start, end, first_line):
                if err:
                    yield Unreadable(src, n, err, str(n))
                    continue
                text, err = _decode(b)
                if err:
                    yield Unreadable(src, n, err, str(n))
                else:
                    yield Record(str(n), src, text, n)
        except (OSError, EOFError, ValueError) as e:  # truncated gzip/zstd stream
            yield Unreadable(src, -1, f"file truncated or corrupt after the last good line: {e}", "")


def read_jsonl(path: str | Path, text_field: str = "text", id_field: str = "id",
               source: str | None = None, start: int = 0, end: int = -1, first_line: int = 1,
               first_index: int = 0) -> Iterator[Item]:
    src = source or str(path)
    index = first_index
    with open_binary(path) as f:
        try:
            for n, b, err in _lines(f, start, end, first_line):
                rid = str(index)
                index += 1
                if err:
                    yield Unreadable(src, n, err, rid)
                    continue
                s, err = _decode(b)
                if err:
                    yield Unreadable(src, n, err, rid)
                    continue
                if not s.strip():
                    yield Unreadable(src, n, "blank line, not a JSON object", rid)
                    continue
                try:
                    obj = json.loads(s)
                except json.JSONDecodeError as e:
                    yield Unreadable(src, n, f"bad JSON: {e.msg} at column {e.colno}", rid)
                    continue
                if not isinstance(obj, dict):
                    yield Unreadable(src, n, f"JSON {type(obj).__name__}, not an object", rid)
                    continue
                if obj.get(id_field) is not None:
                    rid = str(obj[id_field])
                text = obj.get(text_field)
                if text is None:
                    yield Unreadable(src, n, f"missing text field {text_field!r}", rid)
                    continue
                if not isinstance(text, str):
                    yield Unreadable(src, n, f"text field {text_field!r} is {type(text).__name__}, not a string", rid)
                    continue
                if "\x00" in text:
                    yield Unreadable(src, n, "NUL byte in text", rid)
                    continue
                meta = {}
                if isinstance(obj.get("url"), str):
                    meta["url"] = obj["url"]
                yield Record(rid, src, text, n, meta)
        except (OSError, EOFError, ValueError) as e:
            yield Unreadable(src, -1, f"file truncated or corrupt after the last good line: {e}", "")


def read_parquet(path: str | Path, text_field: str = "text", id_field: str = "id",
                 source: str | None = None, batch_size: int = 4096) -> Iterator[Item]:
    import pyarrow.parquet as pq

    src = source or str(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises ArrowInvalid/OSError for non-parquet files
        raise LughaError(f"not a readable Parquet file: {e}", path=path) from e
    names = pf.schema_arrow.names
    if text_field not in names:
        raise LughaError(f"no column {text_field!r} (columns: {', '.join(names)})", path=path)
    cols = [c for c in (text_field, id_field, "url") if c in names]
    row = 0
    for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
        d = batch.to_pydict()
        for i in range(batch.num_rows):
            rid = str(d[id_field][i]) if id_field in d and d[id_field][i] is not None else str(row)
            text = d[text_field][i]
            if text is None:
                yield Unreadable(src, row, f"null in text column {text_field!r}", rid)
            elif not isinstance(text, str):
                yield Unreadable(src, row, f"text column {text_field!r} is not a string", rid)
            elif "\x00" in text:
                yield Unreadable(src, row, "NUL byte in text", rid)
            else:
                meta = {"url": d["url"][i]} if "url" in d and isinstance(d["url"][i], str) else {}
                yield Record(rid, src, text, row, meta)
            row += 1


def read_records(path: str | Path, text_field: str = "text", id_field: str = "id",
                 source: str | None = None, start: int = 0, end: int = -1, first_line: int = 1,
                 first_index: int = 0) -> Iterator[Item]:
    """Records of one file, or of a byte range of an uncompressed txt/jsonl file (a shard)."""
    kind = file_kind(path)
    if kind == "parquet":
        return read_parquet(path, text_field, id_field, source)
    if kind == "jsonl":
        return read_jsonl(path, text_field, id_field, source, start, end, first_line, first_index)
    return read_txt(path, source, start, end, first_line)


def iter_inputs(inputs: list[str | Path], text_field: str = "text", id_field: str = "id") -> Iterator[Item]:
    for p in expand_inputs(inputs):
        yield from read_records(p, text_field, id_field)


def sha256_file(path: str | Path, bufsize: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(bufsize):
            h.update(chunk)
    return h.hexdigest()
