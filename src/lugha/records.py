"""The one I/O layer: records with stable ids, rows and lines with line numbers, hashing, atomic writers.

Reading corpora: every input record comes out exactly once, as a Record or as an Unreadable saying
where it was and why it could not be read. Corpus readers never raise for a bad record; they raise
LughaError only when a whole file cannot be opened.

Reading tables (`read_rows`) and line files (`read_lines`) is strict instead: these are small user
files (labels, generations, references), and a bad row is a LughaError naming file and line.
One quoting rule: TSV has no quoting at all (IANA text/tab-separated-values; a text may start with a
quote mark); CSV is RFC 4180 quoted.

Writing: every writer writes a temporary file next to the target and renames it, so a reader never
sees half a file, and creates it with the permissions the umask gives (0644 under umask 022). An OS
error while writing (read-only file system, disk full, permission denied) becomes a LughaError naming
the path, saying that a rerun resumes.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import glob
import gzip
import hashlib
import io
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence, Union

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


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file inside an input directory that lugha did not read, and why."""
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


SKIP_RULE = ("in a directory lugha reads the files named *.txt, *.jsonl, *.jsonl.gz, *.jsonl.zst, *.json.gz, "
             "*.ndjson and *.parquet; other files are skipped and listed")


def skipped_line(skipped: Sequence[Skipped | dict], where: str = "the summary", show: int = 5) -> str | None:
    """The one console line saying which files of the input directories were not read, and why."""
    if not skipped:
        return None
    items = [s if isinstance(s, Skipped) else Skipped(s["path"], s["reason"]) for s in skipped]
    head = "; ".join(str(s) for s in items[:show])
    more = f"; and {len(items) - show} more (all listed in {where})" if len(items) > show else ""
    return f"skipped {len(items)} file(s) in input directories ({SKIP_RULE}): {head}{more}"


def is_clean_output(d: Path) -> bool:
    """A `lugha clean` output directory: manifest.json next to kept/."""
    return (d / "manifest.json").is_file() and (d / "kept").is_dir()


def _scan_dir(d: Path, skipped: list[Skipped]) -> list[Path]:
    root = d
    if is_clean_output(d):
        root = d / "kept"
        for q in sorted(d.iterdir()):
            if q.name != "kept":
                skipped.append(Skipped(str(q), "not kept/ of a lugha clean output"))
    found = []
    for q in sorted(root.rglob("*")):
        if q.is_symlink() and not q.exists():
            skipped.append(Skipped(str(q), "dangling symbolic link"))
        elif q.is_dir():
            continue
        elif not q.is_file():
            skipped.append(Skipped(str(q), "not a regular file"))
        elif not str(q).lower().endswith(SUFFIXES):
            suffix = "".join(q.suffixes[-2:]) or "no extension"
            skipped.append(Skipped(str(q), f"not a corpus file name ({suffix})"))
        else:
            found.append(q)
    return found


def expand_inputs(inputs: list[str | Path], skipped: list[Skipped] | None = None) -> list[Path]:
    """Files, directories (their corpus files, sorted) and globs -> a sorted, de-duplicated list.

    A directory's files that lugha does not read (other extensions, dangling links, sockets; for a
    `lugha clean` output everything but kept/) are appended to `skipped` with the reason, never
    dropped silently. A missing path or a glob matching nothing is a LughaError (exit 2)."""
    out: list[Path] = []
    skipped = [] if skipped is None else skipped
    for raw in inputs:
        s = str(raw)
        p = Path(s)
        if p.is_dir():
            found = _scan_dir(p, skipped)
            if not found:
                raise LughaError("no .txt/.jsonl/.parquet files in directory", path=s)
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif p.is_symlink():
            raise LughaError("dangling symbolic link (its target does not exist)", path=s)
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
                    yield Unreadable(src, n, f"bad JSON: {_json_msg(e)}", rid)
                    continue
                if not isinstance(obj, dict):
                    yield Unreadable(src, n, f"JSON {type(obj).__name__}, not an object", rid)
                    continue
                if obj.get(id_field) is not None:
                    rid = str(obj[id_field])
                if text_field not in obj:
                    yield Unreadable(src, n, f"missing text field {text_field!r}", rid)
                    continue
                text = obj[text_field]
                if text is None:
                    yield Unreadable(src, n, f"text field {text_field!r} is null", rid)
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


def iter_inputs(inputs: list[str | Path], text_field: str = "text", id_field: str = "id",
                skipped: list[Skipped] | None = None) -> Iterator[Item]:
    for p in expand_inputs(inputs, skipped):
        yield from read_records(p, text_field, id_field)


def iter_texts(inputs: Sequence[str | Path], text_field: str = "text", counts: dict | None = None,
               skip_blank: bool = False, skipped: list[Skipped] | None = None) -> Iterator[str]:
    """The texts of every readable record of files, directories, globs and `lugha clean` outputs
    (their kept/ shards). Unreadable records are counted in counts["unreadable"], read ones in
    counts["documents"]; blank texts are yielded unless skip_blank."""
    for item in iter_inputs(list(inputs), text_field=text_field, skipped=skipped):
        if isinstance(item, Record):
            if counts is not None:
                counts["documents"] = counts.get("documents", 0) + 1
            if not skip_blank or item.text.strip():
                yield item.text
        elif counts is not None:
            counts["unreadable"] = counts.get("unreadable", 0) + 1


def _json_msg(e: json.JSONDecodeError) -> str:
    """'Expecting value at column 27'; json's 'Unterminated string starting at' gets 'column 3', not
    'at at column 3'."""
    msg = e.msg.removesuffix(" at")
    return f"{msg} at column {e.colno}"


# ---- tables and line files (strict: a bad row is a LughaError) ---------------------------------

def table_kind(path: str | Path) -> str:
    name = str(path).lower()
    for kind, ends in (("jsonl", (".jsonl", ".ndjson")), ("tsv", (".tsv",)), ("csv", (".csv",))):
        if name.endswith(ends):
            return kind
    raise LughaError("expected a .jsonl, .csv or .tsv file", path=path)


def _read_text(path: Path) -> str:
    """A whole (small) UTF-8 file; a bad byte is a LughaError naming its line."""
    if path.is_dir():
        raise LughaError("is a directory, not a file", path=path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LughaError("no such file", path=path) from None
    except OSError as e:
        raise LughaError(f"cannot open: {e.strerror or e}", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise LughaError(f"invalid UTF-8 at byte {e.start}: the file is not UTF-8 text", path=path,
                         line=line) from None


def read_rows(path: str | Path, required: Sequence[str] = (), kind: str | None = None,
              lower_header: bool = False, fieldnames: Sequence[str] | None = None,
              space_after_comma: bool = False) -> Iterator[tuple[int, dict]]:
    """(line, row) for each row of a CSV, TSV or JSONL file, `line` 1-based in the file (CSV/TSV: the
    row's last physical line; the header is line 1). Blank lines are skipped.

    ``fieldnames``: the file has no header row (MMLU's question, A, B, C, D, answer); every row must
    have exactly these fields, which are kept verbatim (no space after a comma is dropped: it is data).

    One quoting rule: TSV is split on tabs with no quoting (a text may start with a quote mark); CSV
    is RFC 4180 (fields may be quoted, with commas and newlines inside; `space_after_comma` also
    accepts `zul, "text"` as typed by hand). Raises LughaError(path, line)
    for invalid UTF-8, a bad JSON line, a JSON value that is not an object, a row with more fields than
    the header, or a missing `required` column."""
    p = Path(path)
    kind = kind or table_kind(p)
    f = io.StringIO(_read_text(p), newline="")
    n = 0
    try:
        with f:
            if kind == "jsonl":
                for n, raw in enumerate(f, 1):
                    if not raw.strip():
                        continue
                    try:
                        obj = json.loads(raw)
                    except json.JSONDecodeError as e:
                        raise LughaError(f"bad JSON: {_json_msg(e)}", path=p, line=n) from None
                    if not isinstance(obj, dict):
                        raise LughaError(f"JSON {type(obj).__name__}, not an object", path=p, line=n)
                    for col in required:
                        if col not in obj:
                            raise LughaError(f"missing field {col!r}", path=p, line=n)
                    yield n, obj
                return
            if kind == "tsv":
                reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            else:
                reader = csv.reader(f, delimiter=",", skipinitialspace=space_after_comma and fieldnames is None)
            if fieldnames is not None:
                cols = list(fieldnames)
                for row in reader:
                    n = reader.line_num
                    if not row or all(not c.strip() for c in row):
                        continue
                    if len(row) != len(cols):
                        raise LughaError(f"expected {len(cols)} fields ({', '.join(cols)}), got {len(row)}",
                                         path=p, line=n)
                    yield n, dict(zip(cols, row))
                return
            header = next(reader, None)
            if header is None:
                if required:
                    raise LughaError(f"empty file: expected a header with {', '.join(map(repr, required))}",
                                     path=p, line=1)
                return
            cols = [h.strip().lower() if lower_header else h.strip() for h in header]
            for col in required:
                if col not in cols:
                    raise LughaError(f"missing column {col!r} (header has: {', '.join(cols) or 'nothing'})",
                                     path=p, line=1)
            for row in reader:
                n = reader.line_num
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) > len(cols):
                    raise LughaError(f"row has {len(row)} fields, the header has {len(cols)}", path=p, line=n)
                yield n, dict(zip(cols, row + [""] * (len(cols) - len(row))))
    except csv.Error as e:
        raise LughaError(f"bad CSV: {e}", path=p, line=n + 1) from None


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file, without their line ends ("\n" or "\r\n"); a final newline does
    not make an extra empty line. LughaError(path, line) if a byte is not UTF-8."""
    text = _read_text(Path(path))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.removesuffix("\r") for ln in lines]


# ---- hashing ---------------------------------------------------------------------------------

_hash_cache: dict[tuple, str] = {}
_hash_lock = threading.Lock()


def sha256_file(path: str | Path, bufsize: int = 1 << 20) -> str:
    """SHA-256 (hex) of a file's bytes. Remembered per (file, size, mtime) within a process, so a
    run that needs a hash in several places reads each input once."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _hash_lock:
        hit = _hash_cache.get(key)
    if hit:
        return hit
    out = _sha256_uncached(path, bufsize)
    with _hash_lock:
        if len(_hash_cache) > 4096:
            _hash_cache.clear()
        _hash_cache[key] = out
    return out


def _sha256_uncached(path: str | Path, bufsize: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(bufsize):
            h.update(chunk)
    return h.hexdigest()


def sha256_files(paths: Sequence[str | Path]) -> str:
    """One SHA-256 for a model made of several files: over each file's name and hash, in order
    (one file: its plain SHA-256)."""
    paths = [Path(p) for p in paths]
    if len(paths) == 1:
        return sha256_file(paths[0])
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(bytes.fromhex(sha256_file(p)))
    return h.hexdigest()


def hash_inputs(paths: Iterable[str | Path]) -> dict[str, str]:
    """{path as given: SHA-256} for a run's input files."""
    return {str(p): sha256_file(p) for p in paths}


# ---- writing ---------------------------------------------------------------------------------

RERUN_HINT = "fix this and rerun the same command: it resumes where it stopped"
_WRITE_ERRNOS = {errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on device",
                 errno.EDQUOT: "disk quota exceeded", errno.EACCES: "permission denied",
                 errno.EPERM: "operation not permitted", errno.EFBIG: "file too large",
                 errno.EIO: "input/output error"}


def is_write_error(e: BaseException) -> bool:
    return isinstance(e, OSError) and e.errno in _WRITE_ERRNOS


def write_error(e: OSError, path: str | Path) -> LughaError:
    """The one line a user sees for an OS error while writing `path`."""
    what = _WRITE_ERRNOS.get(e.errno) or (e.strerror or str(e))
    where = e.filename if isinstance(e.filename, str) and e.filename else path
    return LughaError(f"cannot write: {what}; {RERUN_HINT}", path=where)


@contextlib.contextmanager
def writing(path: str | Path):
    """Turn OS write errors inside the block into LughaError naming `path`."""
    try:
        yield
    except OSError as e:
        if is_write_error(e):
            raise write_error(e, path) from None
        raise


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_path(path: str | Path, fsync: bool = False):
    """Yield a temporary path next to `path`; when the block ends without error it is renamed onto
    `path`. The caller (or a library such as pyarrow) creates the file: it gets the umask's mode."""
    path = Path(path)
    tmp = _tmp_name(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            yield tmp
            if fsync:
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", fsync: bool = False):
    """open() of a temporary file that replaces `path` at the end (text: UTF-8)."""
    with atomic_path(path, fsync) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 & ~umask
        if "b" in mode:
            f = os.fdopen(fd, mode)
        else:
            f = os.fdopen(fd, mode, encoding="utf-8", newline="")
        with f:
            yield f


def write_text(path: str | Path, text: str, fsync: bool = False) -> Path:
    """Write text atomically; a reader never sees half a file."""
    with atomic_open(path, "w", fsync) as f:
        f.write(text)
    return Path(path)


def write_bytes(path: str | Path, data: bytes, fsync: bool = False) -> Path:
    with atomic_open(path, "wb", fsync) as f:
        f.write(data)
    return Path(path)


def json_default(o: Any):
    """json.dumps(default=...) for what lugha results hold: numpy scalars, sets, paths, Signatures."""
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "to_dict"):  # Signature
        return o.to_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def to_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=json_default, allow_nan=False)


def write_json(path: str | Path, obj: Any, fsync: bool = False) -> Path:
    """Pretty UTF-8 JSON (no NaN), atomically."""
    return write_text(path, to_json(obj) + "\n", fsync)


def write_jsonl_gz(path: str | Path, rows: Iterable[dict], drop_none: bool = True, fsync: bool = True) -> int:
    """One JSON object per line, gzipped reproducibly (mtime 0, no name in the header: equal rows give
    equal bytes), atomically. Returns the number of rows."""
    n = 0
    with atomic_open(path, "wb", fsync) as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        for r in rows:
            obj = {k: v for k, v in r.items() if v is not None} if drop_none else r
            gz.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
            n += 1
    return n


def write_parquet(path: str | Path, table, compression: str = "zstd", fsync: bool = True, **kwargs) -> Path:
    """A pyarrow Table to Parquet, atomically."""
    import pyarrow.parquet as pq

    with atomic_path(path, fsync) as tmp:
        pq.write_table(table, tmp, compression=compression, **kwargs)
    return Path(path)


class ShardWriter:
    """Collects the rows of one output shard and writes them atomically as JSONL.gz or Parquet
    (`schema`: a pyarrow schema, needed for Parquet). `commit()` returns the shard's entry for a
    manifest (name, records, bytes, SHA-256), or None for an empty shard (removing a stale file)."""

    def __init__(self, path: str | Path, fmt: str = "jsonl.gz", schema=None):
        if fmt not in ("jsonl.gz", "parquet"):
            raise LughaError(f"unknown output format {fmt!r}: use jsonl.gz or parquet")
        self.path, self.fmt, self.schema, self.rows = Path(path), fmt, schema, []

    def add(self, row: dict) -> None:
        self.rows.append(row)

    def commit(self) -> dict | None:
        if not self.rows:
            with writing(self.path):
                if self.path.exists():
                    self.path.unlink()  # left by an earlier run with other rules
            return None
        if self.fmt == "parquet":
            import pyarrow as pa

            cols = {f.name: [r.get(f.name) for r in self.rows] for f in self.schema}
            write_parquet(self.path, pa.Table.from_pydict(cols, schema=self.schema))
        else:
            write_jsonl_gz(self.path, self.rows)
        return {"path": self.path.name, "records": len(self.rows), "bytes": self.path.stat().st_size,
                "sha256": sha256_file(self.path)}
