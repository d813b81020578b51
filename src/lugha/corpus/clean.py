"""`lugha clean`: split a corpus into kept/ and removed/ with a reason for every removal.

Flow: audit (or reuse an audit whose input hashes match) -> read the ORIGINAL inputs again, in
order, joined row by row with annotations.parquet -> apply the rules (lugha/data/rules.toml) ->
sharded JSONL.gz or Parquet in kept/ and removed/ -> conservation check -> manifest.json ->
datasheet.

Texts are written exactly as read (re-reading the inputs keeps the output independent of the
annotation store); the one change is PII masking in kept records when the rules say `mask`.

Resumable: each chunk of `shard_records` records of one source becomes at most one kept and one
removed shard, written under a temporary name and renamed; a chunk's marker (the engine's
`Marker`, `.clean/NAME.done.json`, with its counts and hashes) is written last. A rerun with the same arguments skips chunks whose marker matches, so a
run killed at any point (kill -9) finishes with the same files an uninterrupted run writes.
"""

from __future__ import annotations

import gzip
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

from lugha import __version__
from lugha.corpus.audit import CorpusRun, resolve_run, run_audit
from lugha.corpus.categories import CATEGORIES as CATEGORY_CODES
from lugha.corpus.categories import CLEAN_COLUMNS
from lugha.corpus.config import read_toml
from lugha.corpus.pii import KINDS as PII_KINDS
from lugha.engine import Marker, clear_tmp, merge_counts
from lugha.errors import LughaError
from lugha.records import ShardWriter, Unreadable, read_records, sha256_file, write_json
from lugha.signature import Signature, digest

FORMATS = ("jsonl.gz", "parquet")
PII_ACTIONS = ("keep", "mask", "drop")
DEFAULT_SHARD_RECORDS = 50_000
STATE = ".clean"  # chunk markers
ANNOTATION_COLUMNS = list(CLEAN_COLUMNS)

# Output columns (Parquet schema; JSONL objects carry the same keys, nulls left out).
OUT_SCHEMA = pa.schema([
    ("id", pa.string()), ("source", pa.string()), ("line", pa.int64()), ("text", pa.string()),
    ("category", pa.string()), ("lang", pa.string()), ("url", pa.string()),
    ("pii_masked", pa.int32()), ("removed_by", pa.string()), ("dup_of", pa.string()),
    ("dup_of_source", pa.string()), ("dup_kind", pa.string()), ("error", pa.string()),
])


# ---- rules ------------------------------------------------------------------------------------

def _default_rules() -> dict:
    return tomllib.loads(resources.files("lugha").joinpath("data/rules.toml").read_text(encoding="utf-8"))


def load_rules(path: str | Path | None = None, pii: str | None = None) -> dict:
    """The effective rules: package defaults, then the user's TOML file, then --pii."""
    rules = _default_rules()
    where = str(path) if path is not None else None
    if path is not None:
        p = Path(path)
        user = read_toml(p, "rules file")
        for section, values in user.items():
            if section not in rules:
                raise LughaError(f"unknown section [{section}]; expected one of "
                                 f"{', '.join('[' + s + ']' for s in rules)}", path=p)
            if not isinstance(values, dict):
                raise LughaError(f"[{section}] must be a table", path=p)
            for k, v in values.items():
                if k not in rules[section]:
                    raise LughaError(f"unknown key {k!r} in [{section}]; expected "
                                     f"{', '.join(rules[section])}", path=p)
                rules[section][k] = v
    if pii is not None:
        rules["pii"]["action"] = pii
    _check_rules(rules, where)
    rules["source"] = where or "defaults"
    return rules


def _check_rules(r: dict, path: str | None) -> None:
    def bad(msg: str):
        raise LughaError(msg, path=path)

    keep = r["categories"]["keep"]
    if not isinstance(keep, list) or any(c not in CATEGORY_CODES for c in keep):
        bad(f"[categories] keep must list categories among {', '.join(CATEGORY_CODES)}, got {keep!r}")
    mw = r["filters"]["min_words"]
    if not isinstance(mw, int) or isinstance(mw, bool) or mw < 0:
        bad(f"[filters] min_words must be a whole number >= 0, got {mw!r}")
    ms = r["filters"]["min_lang_score"]
    if not isinstance(ms, (int, float)) or not 0 <= ms <= 1:
        bad(f"[filters] min_lang_score must be between 0 and 1, got {ms!r}")
    if r["duplicates"]["keep"] not in ("first", "all"):
        bad(f"[duplicates] keep must be \"first\" or \"all\", got {r['duplicates']['keep']!r}")
    if any(k not in ("exact", "near") for k in r["duplicates"]["kinds"]):
        bad(f"[duplicates] kinds must be among exact, near, got {r['duplicates']['kinds']!r}")
    if r["pii"]["action"] not in PII_ACTIONS:
        bad(f"PII action must be one of {', '.join(PII_ACTIONS)}, got {r['pii']['action']!r}")
    if any(k not in PII_KINDS for k in r["pii"]["kinds"]):
        bad(f"[pii] kinds must be among {', '.join(PII_KINDS)}, got {r['pii']['kinds']!r}")


def decide(ann: dict, rules: dict) -> tuple[str | None, str | None]:
    """(rule, removed_by) for one annotation row; (None, None) when the record is kept.

    `rule` is the grouping key for counts (dup_of=ID groups as duplicate:exact / duplicate:near)."""
    cat = ann["category"]
    if cat == "unreadable":
        return "unreadable", "unreadable"
    if cat not in rules["categories"]["keep"]:
        return f"category={cat}", f"category={cat}"
    mw = rules["filters"]["min_words"]
    if mw and (ann["words"] or 0) < mw:
        return f"min_words<{mw}", f"min_words<{mw}"
    ms = rules["filters"]["min_lang_score"]
    if ms and (ann["lang_score"] or 0.0) < ms:
        return f"lang_score<{ms}", f"lang_score<{ms}"
    d = rules["duplicates"]
    if d["keep"] == "first" and ann["dup_of"] is not None and ann["dup_kind"] in d["kinds"]:
        return f"duplicate:{ann['dup_kind']}", f"dup_of={ann['dup_of']}"
    p = rules["pii"]
    if p["action"] == "drop" and any((ann.get(f"pii_{k}") or 0) > 0 for k in p["kinds"]):
        return "pii", "pii"
    return None, None


# ---- audit reuse ------------------------------------------------------------------------------

def ensure_audit(run: CorpusRun, audit_dir: Path, *, workers: int | None, text_field: str, id_field: str,
                 lid_model, explicit: bool = False, progress=None) -> tuple[dict, bool]:
    """(audit summary, reused?). An existing audit is reused only when it audited exactly these
    inputs (same SHA-256s, same order), as the same language, with the same configuration. A
    mismatching audit the user named (--audit) is an error; our own (OUT/audit) is redone.
    `run` holds the language, inputs, hashes and configuration, resolved once by the caller."""
    target = run.target
    sfile = audit_dir / "summary.json"
    if sfile.is_file() and (audit_dir / "annotations.parquet").is_file():
        summary = json.loads(sfile.read_text(encoding="utf-8"))
        theirs = [i["sha256"] for i in summary["inputs"]]
        ours = [run.hashes[str(p)] for p in run.paths]
        same_cfg = summary.get("config") == json.loads(json.dumps(run.config))
        if theirs == ours and summary["lang"]["code"] == target.code and same_cfg:
            return summary, True
        if theirs != ours:
            why = "was made from different input files (SHA-256 differ)"
        elif summary["lang"]["code"] != target.code:
            why = f"audited the corpus as {summary['lang']['code']}, not {target.code}"
        else:
            why = "was made with a different audit configuration"
        if explicit:
            raise LughaError(f"this audit {why}; pass another --audit directory", path=audit_dir)
    res = run_audit([], target.tag, audit_dir, workers=workers, text_field=text_field, id_field=id_field,
                    lid_model=lid_model, progress=progress, run=run)
    return res.summary, False


# ---- writing shards ---------------------------------------------------------------------------

def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60] or "input"


def _new_chunk_stats() -> dict:
    return {"input": 0, "kept": 0, "removed": 0, "removed_by": {}, "kept_categories": {}, "kept_langs": {},
            "kept_scripts": {}, "kept_words": 0, "kept_chars": 0, "kept_domains": {},
            "pii_masked": dict.fromkeys(PII_KINDS, 0), "pii_masked_docs": 0,
            "pii_in_kept": dict.fromkeys(PII_KINDS, 0), "line_sum": 0, "line_sq_sum": 0}


def _bump(d: dict, k: str, n: int = 1) -> None:
    d[k] = d.get(k, 0) + n


def _annotation_rows(ann_path: Path, source: str) -> Iterator[dict]:
    """The audit's rows for one source, in input order, streamed in batches (memory stays flat)."""
    import pyarrow.dataset as ds

    data = ds.dataset(ann_path, format="parquet")
    for batch in data.to_batches(columns=ANNOTATION_COLUMNS, filter=ds.field("source") == source,
                                 batch_size=16_384, use_threads=False):  # keep file order
        yield from batch.to_pylist()


def _chunks(items: Iterator, ann: Iterator[dict], size: int, path: Path) -> Iterator[list[tuple[Any, dict]]]:
    """Input items paired with their annotation rows, checked to be the same record, in chunks."""
    chunk: list[tuple[Any, dict]] = []
    i = 0
    for it in items:
        row = next(ann, None)
        if row is None:
            raise LughaError(f"input has more records than its audit ({i}); audit it again", path=path)
        if row["doc_id"] != it.id or row["line"] != it.line:
            raise LughaError(f"record {it.id!r} does not match the audit's row {row['doc_id']!r} "
                             f"(line {row['line']}); the audit is not of this input", path=path, line=it.line)
        chunk.append((it, row))
        i += 1
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
    if next(ann, None) is not None:
        raise LughaError(f"input has {i} records but its audit has more", path=path)


def _process_chunk(chunk, rules: dict, region: str | None, kept: _ShardWriter, removed: _ShardWriter) -> dict:
    from lugha.corpus.pii import find_pii, mask

    st = _new_chunk_stats()
    mask_kinds = tuple(rules["pii"]["kinds"])
    masking = rules["pii"]["action"] == "mask"
    for it, ann in chunk:
        st["input"] += 1
        st["line_sum"] += it.line
        st["line_sq_sum"] += it.line * it.line
        rule, why = decide(ann, rules)
        if isinstance(it, Unreadable):
            removed.add({"id": it.id, "source": it.source, "line": it.line, "text": None,
                         "category": "unreadable", "removed_by": "unreadable", "error": it.reason})
            st["removed"] += 1
            _bump(st["removed_by"], "unreadable")
            continue
        row = {"id": it.id, "source": it.source, "line": it.line, "text": it.text, "category": ann["category"],
               "lang": ann["lang"], "url": it.meta.get("url")}
        if rule is not None:
            row["removed_by"] = why
            if rule.startswith("duplicate:"):
                row.update(dup_of=ann["dup_of"], dup_of_source=ann["dup_of_source"], dup_kind=ann["dup_kind"])
            removed.add(row)
            st["removed"] += 1
            _bump(st["removed_by"], rule)
            continue
        for k in PII_KINDS:
            st["pii_in_kept"][k] += ann[f"pii_{k}"] or 0
        if masking and any((ann[f"pii_{k}"] or 0) > 0 for k in mask_kinds):
            spans = [s for s in find_pii(it.text, region) if s.kind in mask_kinds]
            if spans:
                row["text"] = mask(it.text, spans, mask_kinds)
                row["pii_masked"] = len(spans)
                st["pii_masked_docs"] += 1
                for s in spans:
                    st["pii_masked"][s.kind] += 1
        kept.add(row)
        st["kept"] += 1
        _bump(st["kept_categories"], ann["category"])
        _bump(st["kept_langs"], ann["lang"])
        _bump(st["kept_scripts"], ann["script"] or "none")
        st["kept_words"] += ann["words"] or 0
        st["kept_chars"] += len(row["text"])  # as written (after masking)
        if row["url"]:
            host = (urlsplit(row["url"]).hostname or "").removeprefix("www.")
            if host:
                _bump(st["kept_domains"], host)
    return st


def _merge_stats(parts: list[dict]) -> dict:
    return merge_counts(parts, _new_chunk_stats())  # the engine's one way to merge counts


# ---- the whole run ----------------------------------------------------------------------------

@dataclass
class CleanResult:
    out_dir: Path
    manifest: dict
    audit_reused: bool
    chunks_done: int  # chunks written in this run
    chunks_skipped: int  # chunks a previous (interrupted) run had finished
    notes: list[str] = field(default_factory=list)

    @property
    def conserved(self) -> bool:
        return self.manifest["conservation"]["ok"]


def run_clean(inputs: list[str | Path], lang: str, out_dir: str | Path, *, audit_dir: str | Path | None = None,
              rules_path: str | Path | None = None, pii: str | None = None, fmt: str = "jsonl.gz",
              shard_records: int = DEFAULT_SHARD_RECORDS, workers: int | None = None, text_field: str = "text",
              id_field: str = "id", config_path: str | Path | None = None, lid_model: str | Path | None = None,
              progress: Callable[[int, int], None] | None = None, audit_progress=None,
              write_datasheet: bool = True) -> CleanResult:
    """Clean INPUTS (claimed language LANG) into OUT_DIR/kept and OUT_DIR/removed; see module doc."""
    if fmt not in FORMATS:
        raise LughaError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    if shard_records < 1:
        raise LughaError("--shard-records must be at least 1")
    rules = load_rules(rules_path, pii)
    # the language, the inputs (each hashed once) and the audit configuration, resolved once for
    # clean, the audit reuse check and the audit itself
    run = resolve_run(inputs, lang, config_path)
    target, paths, hashes = run.target, list(run.paths), run.hashes
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    adir = Path(audit_dir) if audit_dir else out / "audit"
    summary, reused = ensure_audit(run, adir, workers=workers, text_field=text_field, id_field=id_field,
                                   lid_model=lid_model, explicit=audit_dir is not None, progress=audit_progress)
    ann_path = adir / "annotations.parquet"
    rules_digest = digest({k: v for k, v in rules.items() if k != "source"})
    # the resume key of the chunk markers: everything that changes an output shard
    params_key = digest({"rules": rules_digest, "fmt": fmt, "n": shard_records,
                         "inputs": [hashes[str(p)] for p in paths], "lang": target.code,
                         "tf": text_field, "idf": id_field, "audit": summary["signature"]})[:16]
    state = out / STATE
    for sub in ("kept", "removed", STATE):
        (out / sub).mkdir(exist_ok=True)  # present even when empty
    for sub in ("kept", "removed", STATE):
        clear_tmp(out / sub)  # half-written by a killed run
    from lugha.corpus.pii import region_for

    region = region_for(target.code)
    total = sum(i["records"] for i in summary["inputs"])
    done_records = 0
    chunks_done = chunks_skipped = 0
    per_source = []
    shard_entries = []
    markers_used: set[str] = set()
    all_stats = []
    ext = "parquet" if fmt == "parquet" else "jsonl.gz"
    for si, (p, ainfo) in enumerate(zip(paths, summary["inputs"])):
        stem = f"{si:03d}-{_safe(p.name.split('.')[0])}"
        ann = _annotation_rows(ann_path, ainfo["path"])
        items = read_records(p, text_field, id_field)
        src_stats = []
        for ci, chunk in enumerate(_chunks(items, ann, shard_records, p)):
            name = f"{stem}-{ci:05d}"
            marker = Marker(state, name, params_key)  # the engine's completion marker, written last
            markers_used.add(marker.path.name)
            prev = _read_marker(marker, out)
            if prev is None:
                kept = ShardWriter(out / "kept" / f"{name}.{ext}", fmt, OUT_SCHEMA)
                removed = ShardWriter(out / "removed" / f"{name}.{ext}", fmt, OUT_SCHEMA)
                st = _process_chunk(chunk, rules, region, kept, removed)
                prev = {"stats": st, "kept": kept.commit(), "removed": removed.commit()}
                marker.write(prev)  # the chunk is finished
                chunks_done += 1
            else:
                chunks_skipped += 1
            src_stats.append(prev["stats"])
            for part in ("kept", "removed"):
                if prev[part]:
                    shard_entries.append({"part": part, "source": str(p), **prev[part],
                                          "path": f"{part}/{prev[part]['path']}"})
            done_records += len(chunk)
            if progress:
                progress(done_records, total)
        merged = _merge_stats(src_stats)
        all_stats.append(merged)
        per_source.append({"path": str(p), "sha256": hashes[str(p)], "input": ainfo["records"],
                           "read": merged["input"], "kept": merged["kept"], "removed": merged["removed"],
                           "unreadable": ainfo["unreadable"], "line_sum": merged["line_sum"],
                           "line_sq_sum": merged["line_sq_sum"]})
    _remove_stale(out, {e["path"] for e in shard_entries}, state, markers_used)
    conservation = check_conservation(out, per_source, shard_entries, fmt)
    stats = _merge_stats(all_stats)
    for s in per_source:
        s.pop("line_sum")
        s.pop("line_sq_sum")
    manifest = _manifest(target, rules, fmt, shard_records, rules_digest, summary, adir, per_source,
                         shard_entries, conservation, stats, text_field, id_field)
    if run.skipped:
        manifest["skipped"] = [{"path": s.path, "reason": s.reason} for s in run.skipped]
    write_json(out / "manifest.json", manifest)
    result = CleanResult(out, manifest, reused, chunks_done, chunks_skipped)
    if write_datasheet:
        from lugha.corpus.datasheet import write_datasheet

        write_datasheet(out)
    return result


def _read_marker(marker: Marker, out: Path) -> dict | None:
    """A finished chunk's stats and shard entries, when its marker matches these parameters and its
    shards are still there."""
    prev = marker.read()
    if prev is None:
        return None
    for part in ("kept", "removed"):
        ent = prev.get(part)
        if ent and not (out / part / ent["path"]).is_file():
            return None  # a shard was deleted since: redo the chunk
    return prev


def _remove_stale(out: Path, wanted: set[str], state: Path, markers: set[str]) -> None:
    """Shards (and chunk markers) left by an earlier run with other rules or shard sizes are not
    part of this output."""
    for f in state.glob("*.json"):  # markers: NAME.done.json (and any older NAME.json)
        if f.name not in markers:
            f.unlink()
    for part in ("kept", "removed"):
        d = out / part
        if d.is_dir():
            for f in d.iterdir():
                if f"{part}/{f.name}" not in wanted:
                    f.unlink()


def read_shard(path: Path) -> Iterator[dict]:
    """Records of one output shard, as dicts (nulls included for Parquet, left out for JSONL)."""
    if str(path).endswith(".parquet"):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            yield from batch.to_pylist()
    else:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def check_conservation(out: Path, per_source: list[dict], shards: list[dict], fmt: str) -> dict:
    """Re-read every output shard: per source, kept + removed must equal the input records, and
    the records' line numbers must be the input's (count, sum and sum of squares agree), so no
    record is lost or written twice."""
    seen: dict[str, dict[str, int]] = {}
    for e in shards:
        n = 0
        for r in read_shard(out / e["path"]):
            c = seen.setdefault(r["source"], {"kept": 0, "removed": 0, "line_sum": 0, "line_sq_sum": 0})
            c[e["part"]] += 1
            c["line_sum"] += r["line"]
            c["line_sq_sum"] += r["line"] * r["line"]
            n += 1
        if n != e["records"]:
            raise RuntimeError(f"{e['path']}: {n} records read back, {e['records']} written")
    rows = []
    ok = True
    for s in per_source:
        c = seen.get(s["path"], {"kept": 0, "removed": 0, "line_sum": 0, "line_sq_sum": 0})
        good = (c["kept"] + c["removed"] == s["input"] == s["read"] and c["kept"] == s["kept"]
                and c["line_sum"] == s["line_sum"] and c["line_sq_sum"] == s["line_sq_sum"])
        ok = ok and good
        rows.append({"path": s["path"], "input": s["input"], "kept": c["kept"], "removed": c["removed"], "ok": good})
    return {"ok": ok and set(seen) <= {s["path"] for s in per_source}, "sources": rows}


def _manifest(target, rules, fmt, shard_records, rules_digest, summary, adir, per_source, shards,
              conservation, stats, text_field, id_field) -> dict:
    counts = {"input": sum(s["input"] for s in per_source), "kept": stats["kept"], "removed": stats["removed"]}
    audit_sig = Signature.from_dict(summary["signature"])
    lid = audit_sig.backends.get("lid", {})
    return {
        "lugha": __version__,
        "lang": summary["lang"],
        "format": fmt,
        "shard_records": shard_records,
        "text_field": text_field,
        "id_field": id_field,
        "rules": rules,
        "inputs": per_source,
        "counts": counts,
        "removed_by": dict(sorted(stats["removed_by"].items(), key=lambda kv: (-kv[1], kv[0]))),
        "kept": {"categories": stats["kept_categories"],
                 "langs": dict(sorted(stats["kept_langs"].items(), key=lambda kv: (-kv[1], kv[0]))),
                 "scripts": dict(sorted(stats["kept_scripts"].items(), key=lambda kv: (-kv[1], kv[0]))),
                 "words": stats["kept_words"], "chars": stats["kept_chars"],
                 "domains": dict(sorted(stats["kept_domains"].items(), key=lambda kv: (-kv[1], kv[0]))[:30])},
        "pii": {"action": rules["pii"]["action"], "kinds": rules["pii"]["kinds"],
                "found": summary["pii"], "found_docs": summary["pii_docs"],
                "in_kept": stats["pii_in_kept"], "masked": stats["pii_masked"],
                "masked_docs": stats["pii_masked_docs"]},
        "conservation": conservation,
        "shards": shards,
        "audit": {"dir": str(adir), "summary_sha256": sha256_file(adir / "summary.json"),
                  "annotations_sha256": sha256_file(adir / "annotations.parquet")},
        # What the audit found before cleaning, copied so the datasheet needs nothing but this file.
        "before": {"counts": summary["counts"], "words": summary["words"], "chars": summary["chars"],
                   "langs": [{k: lg[k] for k in ("code", "name", "docs", "matches_claim")}
                             for lg in summary["langs"][:20]],
                   "scripts": summary["scripts"], "script_mismatch": summary["script_mismatch"],
                   "duplicates": {k: summary["duplicates"][k] for k in ("exact", "near", "clusters",
                                                                        "duplicate_share")},
                   "domains": summary["domains"], "thresholds": summary["config"]["categories"],
                   "dedup": summary["config"]["dedup"]},
        "lid_backends": lid,
        # audit_config and rules hash the configuration alone (no input hashes): two runs with the
        # same rules show the same rule hash; the inputs are in `inputs`
        "signature": Signature.build(
            "clean", {s["path"]: s["sha256"] for s in per_source}, backends={"lid": lid}, model=audit_sig.model,
            params={"lang": target.code, "format": fmt, "shard_records": shard_records, "text_field": text_field,
                    "id_field": id_field, "audit_config": audit_sig.params.get("config"),
                    "rules": rules_digest}).to_dict(),
    }


# ---- verify -----------------------------------------------------------------------------------

def verify(out_dir: str | Path) -> list[str]:
    """Problems found re-checking a finished clean output against its manifest.json (empty: all
    good): a shard missing, changed (SHA-256 or size), or a file in kept/ or removed/ that the
    manifest does not list."""
    out = Path(out_dir)
    mpath = out / "manifest.json"
    if not mpath.is_file():
        raise LughaError("no manifest.json here; is this a `lugha clean` output directory?", path=out)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        shards = manifest["shards"]
    except (ValueError, KeyError) as e:
        raise LughaError(f"manifest.json is damaged: {e}", path=mpath) from None
    problems = []
    listed = set()
    for e in shards:
        p = out / e["path"]
        listed.add(e["path"])
        if not p.is_file():
            problems.append(f"{e['path']}: missing")
            continue
        h = sha256_file(p)
        if h != e["sha256"]:
            problems.append(f"{e['path']}: changed (SHA-256 {h[:12]}… differs from the manifest's {e['sha256'][:12]}…)")
    for part in ("kept", "removed"):
        d = out / part
        if d.is_dir():
            for f in sorted(d.iterdir()):
                if f"{part}/{f.name}" not in listed:
                    problems.append(f"{part}/{f.name}: not listed in the manifest")
    return problems
