"""The corpus audit: what is really in a corpus that claims to be language X.

Flow (DESIGN.md): records -> per-document signals -> batch -> Arrow -> shard Parquet (+ stats) ->
global duplicate clustering -> annotations.parquet + summary.json -> report.md / report.html.

Per-shard work is `audit_shard(shard, ctx)`, a plain function the executors map; it writes its
outputs atomically and a completion marker, so an interrupted audit resumes where it stopped.
All statistics are merged from per-shard counts, so any split into shards gives the same figures.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lugha.corpus import signals as sig
from lugha.corpus.categories import CATEGORIES, CATEGORY_NAMES, ROW_COLUMNS, SIGNAL_COLUMNS  # noqa: F401
from lugha.corpus.config import load_config
from lugha.corpus.dedup import DedupParams, batch_bands, cluster, exact_hash, minhash_signatures, normalise_batch
from lugha.corpus.pii import KINDS as PII_KINDS
from lugha.corpus.pii import count_pii, find_pii, region_for
from lugha.corpus.report import write_reports
from lugha.engine import Shard, ShardOutput, add_counts, get_executor, iter_batches, plan_shards
from lugha.errors import LughaError
from lugha.langs import Lang, resolve
from lugha.records import (Record, Skipped, Unreadable, expand_inputs, hash_inputs, read_records,
                           sha256_file, write_json)
from lugha.signature import Signature, digest

# Fixed log-spaced bins for the length histogram (characters), so shards merge exactly.
LENGTH_BINS = [0, 1, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 50_000, 10**12]
EXAMPLES_PER_CATEGORY = 20
EXAMPLE_CHARS = 600
BATCH = 1024
WORK = ".work"


@dataclass(frozen=True)
class AuditContext:
    """Everything a worker needs; picklable, so it travels to a process pool or a Ray task."""

    lang_tag: str
    config: dict
    work_dir: str
    text_field: str = "text"
    id_field: str = "id"
    lid_model: str | None = None
    params_key: str = ""


_IDENT: dict[tuple, Any] = {}


def _identifier(ctx: AuditContext):
    """One language identifier per process (loading models is the costly part)."""
    key = (ctx.lang_tag, ctx.lid_model)
    if key not in _IDENT:
        from lugha.lid import Identifier

        _IDENT[key] = Identifier(target=resolve(ctx.lang_tag), lid_model=ctx.lid_model)
    return _IDENT[key]


# ---- one document -----------------------------------------------------------------------------

def categorize(s: dict, pred_lang: str, pred_score: float, lang: Lang, cfg: dict) -> str:
    """Kreutzer et al.'s category for one document (thresholds in audit.toml, [categories])."""
    nonspace = s["chars"] - s["spaces"]
    if nonspace <= 0 or s["letters"] == 0:
        return "NL"
    if s["letters"] / nonspace < cfg["min_letter_share"]:
        return "NL"
    in_script = s["script_share"] >= cfg["min_script_share"]
    if not lang.matches(pred_lang):
        unsure = pred_lang == "und" or pred_score < cfg["wl_min_score"]
        if not (unsure and in_script):
            return "WL"
    elif not in_script:
        return "WL"  # identified as the language, but most letters are in a foreign script
    if s["words"] < cfg["min_words"]:
        return "CS"
    if s["boilerplate"] >= cfg["max_boilerplate"]:
        return "CB"
    if s["words"] >= cfg["repetition_min_words"] and (
            s["dup_line_frac"] > cfg["max_dup_line_frac"] or s["top_2gram_frac"] > cfg["max_top_2gram_frac"]
            or s["dup_5gram_frac"] > cfg["max_dup_5gram_frac"]):
        return "CB"
    return "CC"


def document_signals(text: str, lang: Lang, boiler: sig.Boilerplate, region: str | None,
                     prof: sig.Profile | None = None) -> dict:
    """Every per-document signal; `prof` is the text's char_profile when the caller computed it for
    a whole batch (sig.char_profiles)."""
    if prof is None:
        prof = sig.char_profile(text)
    toks = sig.words(text)
    expected = sum(n for sc, n in prof.scripts.items() if sc in lang.scripts) if lang.scripts else prof.letters
    script_letters = sum(prof.scripts.values())
    spans = find_pii(text, region, prof.digits)
    pii = count_pii(spans)
    nonspace = max(1, prof.chars - prof.spaces)
    out = {
        "chars": prof.chars,
        "spaces": prof.spaces,
        "letters": prof.letters,
        "words": sig.word_count(text, toks, prof.scripts),
        "script": sig.dominant_script(prof.scripts),
        "script_share": (expected / script_letters) if script_letters else 0.0,
        "letter_share": prof.letters / nonspace,
        "digit_share": prof.digits / nonspace,
        "punct_share": prof.punct / nonspace,
        "symbol_share": prof.symbols / nonspace,
        "boilerplate": boiler.score(text),
        "pii": len(spans),
        **{f"pii_{k}": v for k, v in pii.items()},
    }
    out.update(sig.repetition(text, toks))
    return out


# ---- one shard --------------------------------------------------------------------------------

SHARD_FORMAT = 2  # 2: one int64 column per LSH band (1: a list column of all bands)


BAND_PREFIX = "band_"


def band_column(b: int) -> str:
    """Shard column holding LSH band b's hash: one int64 column per band, so the global step reads
    8 bytes per document for each band instead of decoding every band's list each time."""
    return f"{BAND_PREFIX}{b:02d}"


def _schema(backends: list[str], bands: int) -> pa.Schema:
    fields = [
        ("source", pa.string()), ("doc_id", pa.string()), ("line", pa.int64()),
        ("category", pa.string()), ("lang", pa.string()), ("lang_score", pa.float32()),
        ("script", pa.string()), ("script_match", pa.bool_()), ("script_share", pa.float32()),
        ("chars", pa.int64()), ("words", pa.int64()),
        ("letter_share", pa.float32()), ("digit_share", pa.float32()),
        ("punct_share", pa.float32()), ("symbol_share", pa.float32()),
        ("dup_line_frac", pa.float32()), ("top_2gram_frac", pa.float32()), ("dup_5gram_frac", pa.float32()),
        ("boilerplate", pa.float32()),
        ("pii", pa.int32()), ("pii_email", pa.int32()), ("pii_phone", pa.int32()),
        ("pii_ip", pa.int32()), ("pii_url", pa.int32()),
    ]
    for b in backends:
        fields += [(f"lid_{b}", pa.string()), (f"lid_{b}_score", pa.float32())]
    fields += [("url", pa.string()), ("error", pa.string()), ("text", pa.string()),
               ("exact_hash", pa.int64())]
    fields += [(band_column(b), pa.int64()) for b in range(bands)]
    return pa.schema(fields)


def _internal_columns(schema: pa.Schema) -> list[str]:
    """Shard-only columns dropped from the final annotations: the exact hash and the band hashes."""
    return [n for n in schema.names if n == "exact_hash" or n.startswith(BAND_PREFIX)]


def _new_stats() -> dict:
    return {
        "records": 0, "by_source": {}, "categories": dict.fromkeys(CATEGORIES + ("unreadable",), 0),
        "langs": {}, "lang_by_category": {}, "scripts": {}, "script_mismatch": 0,
        "pii": dict.fromkeys(PII_KINDS, 0), "pii_docs": 0,
        "length_hist": [0] * (len(LENGTH_BINS) - 1), "chars": 0, "words": 0, "domains": {},
        "examples": {c: [] for c in CATEGORIES}, "unreadable_examples": [], "bytes": 0,
    }


def audit_shard(shard: Shard, ctx: AuditContext) -> dict:
    """Audit one shard: write its rows to <work>/shards/NNNNN.parquet and return its statistics."""
    out = ShardOutput(ctx.work_dir, "shards", shard, ctx.params_key)
    done = out.done()
    if done is not None and out.path("parquet").exists():
        return done
    lang = resolve(ctx.lang_tag)
    cfg = ctx.config
    cats_cfg = cfg["categories"]
    params = DedupParams(**cfg["dedup"])
    boiler = sig.Boilerplate(cfg["boilerplate_phrases"])
    region = region_for(lang.code)
    ident = _identifier(ctx)
    backends = list(ident.backend_names)
    schema = _schema(backends, params.bands)
    stats = _new_stats()
    stats["bytes"] = (shard.end if shard.end >= 0 else os.path.getsize(shard.path)) - shard.start
    tmp = out.tmp_path("parquet")
    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
    try:
        items = read_records(shard.path, ctx.text_field, ctx.id_field, None, shard.start, shard.end,
                             shard.first_line, shard.first_index)
        for batch in iter_batches(items, BATCH):
            writer.write_table(_audit_batch(batch, lang, cats_cfg, params, boiler, region, ident,
                                            backends, schema, stats))
        writer.close()
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    out.commit("parquet", tmp)
    out.mark_done(stats)
    return stats


def _audit_batch(batch, lang, cats_cfg, params, boiler, region, ident, backends, schema, stats) -> pa.Table:
    cols: dict[str, list] = {f.name: [] for f in schema}
    good = [it for it in batch if isinstance(it, Record)]
    preds = iter(ident.identify([r.text for r in good]) if good else [])
    norms = normalise_batch([r.text for r in good])
    profs = iter(sig.char_profiles([r.text for r in good]))
    sigs = iter(batch_bands(minhash_signatures(norms, params), params))
    n_bands = params.bands
    band_cols = [cols[band_column(b)] for b in range(n_bands)]  # column lists looked up once a batch
    lid_cols = [(b, cols[f"lid_{b}"], cols[f"lid_{b}_score"]) for b in backends]
    row_cols = [(name, cols[name]) for name in ROW_COLUMNS]
    signal_cols = [(name, cols[name]) for name in SIGNAL_COLUMNS]
    norms_it = iter(norms)
    for it in batch:
        src = stats["by_source"].setdefault(it.source, {"records": 0, "unreadable": 0})
        src["records"] += 1
        stats["records"] += 1
        if isinstance(it, Unreadable):
            src["unreadable"] += 1
            stats["categories"]["unreadable"] += 1
            if len(stats["unreadable_examples"]) < 100:
                stats["unreadable_examples"].append(str(it))
            row = {"source": it.source, "doc_id": it.id, "line": it.line, "category": "unreadable",
                   "error": it.reason, "exact_hash": 0}
            for name in cols:
                cols[name].append(row.get(name))
            continue
        p = next(preds)
        s = document_signals(it.text, lang, boiler, region, next(profs))
        cat = categorize(s, p.lang, p.score, lang, cats_cfg)
        norm = next(norms_it)
        row = {
            "source": it.source, "doc_id": it.id, "line": it.line, "category": cat,
            "lang": p.lang, "lang_score": float(p.score), "script": s["script"],
            "script_match": s["script_share"] >= cats_cfg["min_script_share"],
            "url": it.meta.get("url"), "text": it.text,
            "exact_hash": exact_hash(norm) if norm else 0,
            "error": None,
        }
        bands = next(sigs)
        for name, col in row_cols:
            col.append(row[name])
        for name, col in signal_cols:
            col.append(s[name])
        if bands is None:
            for col in band_cols:
                col.append(None)
        else:
            for col, h in zip(band_cols, bands):
                col.append(h)
        for b, lab_col, score_col in lid_cols:
            lab, score = p.votes.get(b, ("und", 0.0))
            lab_col.append(lab)
            score_col.append(float(score))
        _count(stats, row, s, cat)
    return pa.Table.from_pydict(cols, schema=schema)


def _count(stats: dict, row: dict, s: dict, cat: str) -> None:
    stats["categories"][cat] += 1
    stats["langs"][row["lang"]] = stats["langs"].get(row["lang"], 0) + 1
    lbc = stats["lang_by_category"].setdefault(row["lang"], {})
    lbc[cat] = lbc.get(cat, 0) + 1
    if s["letters"]:
        stats["scripts"][s["script"]] = stats["scripts"].get(s["script"], 0) + 1
    if s["letters"] and not row["script_match"]:
        stats["script_mismatch"] += 1
    for k in PII_KINDS:
        stats["pii"][k] += s[f"pii_{k}"]
    if s["pii"]:
        stats["pii_docs"] += 1
    stats["chars"] += s["chars"]
    stats["words"] += s["words"]
    stats["length_hist"][int(np.searchsorted(LENGTH_BINS, s["chars"], side="right")) - 1] += 1
    if row["url"]:
        host = urlsplit(row["url"]).hostname or ""
        host = host.removeprefix("www.")
        if host:
            stats["domains"][host] = stats["domains"].get(host, 0) + 1
    ex = stats["examples"][cat]
    if len(ex) < EXAMPLES_PER_CATEGORY:
        ex.append({"source": row["source"], "doc_id": row["doc_id"], "lang": row["lang"],
                   "lang_score": round(row["lang_score"], 3), "script": row["script"],
                   "text": row["text"][:EXAMPLE_CHARS], "truncated": len(row["text"]) > EXAMPLE_CHARS})


def merge_stats(parts: list[dict]) -> dict:
    """Merge per-shard statistics in shard order (examples keep input order)."""
    total = _new_stats()
    for p in parts:
        add_counts(total, p, skip=("examples", "unreadable_examples"))  # the engine's one count merge
        for c in CATEGORIES:
            room = EXAMPLES_PER_CATEGORY - len(total["examples"][c])
            total["examples"][c].extend(p["examples"][c][:max(0, room)])
        room = 100 - len(total["unreadable_examples"])
        total["unreadable_examples"].extend(p["unreadable_examples"][:max(0, room)])
    return total


# ---- the whole audit --------------------------------------------------------------------------

@dataclass
class AuditResult:
    out_dir: Path
    summary: dict
    annotations: Path
    report_html: Path
    report_md: Path
    seconds: float = 0.0
    shards: int = 0
    notes: list[str] = field(default_factory=list)


def default_out_dir(inputs: list[str | Path]) -> Path:
    first = Path(str(inputs[0]))
    name = first.name.split(".")[0] or "corpus"
    return Path(f"lugha-audit-{name}")


@dataclass(frozen=True)
class CorpusRun:
    """A corpus command's inputs, resolved once and passed down (clean -> ensure_audit -> audit):
    the language, the input files in order with their SHA-256s (each file hashed once), the files
    of input directories that were skipped and why, and the effective audit configuration."""

    target: Lang
    paths: tuple[Path, ...]
    hashes: dict[str, str]
    config: dict
    skipped: tuple[Skipped, ...] = ()
    config_path: str | None = None

    @property
    def config_digest(self) -> str:
        """SHA-256 of the effective audit configuration alone (no input hashes): equal for two runs
        with the same thresholds, phrases and dedup parameters."""
        return digest(self.config)


def resolve_run(inputs: list[str | Path], lang: str, config_path: str | Path | None = None) -> CorpusRun:
    target = resolve(lang)
    skipped: list[Skipped] = []
    paths = expand_inputs(inputs, skipped)
    cfg = load_config(target.code, config_path)
    return CorpusRun(target, tuple(paths), hash_inputs(paths), cfg, tuple(skipped),
                     str(config_path) if config_path is not None else None)


def run_audit(inputs: list[str | Path], lang: str, out_dir: str | Path | None = None, *,
              workers: int | None = None, text_field: str = "text", id_field: str = "id",
              config_path: str | Path | None = None, lid_model: str | Path | None = None,
              engine: str = "local", ray_address: str | None = None, shard_bytes: int | None = None,
              progress: Callable[[int, int, int], None] | None = None, keep_work: bool = False,
              notes: list[str] | None = None, run: CorpusRun | None = None) -> AuditResult:
    """Audit INPUTS as language LANG into OUT_DIR; returns where everything was written.

    `run`: the inputs already resolved by a caller (`lugha clean`), used instead of INPUTS, LANG and
    CONFIG_PATH. progress(bytes_done, bytes_total, docs_done) is called as shards finish."""
    t0 = time.perf_counter()
    if lid_model is not None and not Path(lid_model).is_file():
        raise LughaError("language-ID model file not found", path=lid_model)
    run = run or resolve_run(inputs, lang, config_path)
    target, paths, hashes, cfg = run.target, list(run.paths), run.hashes, run.config
    out = Path(out_dir) if out_dir else default_out_dir(inputs or [str(p) for p in paths])
    out.mkdir(parents=True, exist_ok=True)
    lid_sha = sha256_file(lid_model) if lid_model else None
    # SHARD_FORMAT in the key: shards left by an older layout are recomputed, never mixed in
    params_key = digest({"format": SHARD_FORMAT, "cfg": cfg, "lang": target.code, "tf": text_field,
                         "idf": id_field, "lid": str(lid_model), "in": hashes})[:16]
    ctx = AuditContext(target.tag, cfg, str(out / WORK), text_field, id_field,
                       str(lid_model) if lid_model else None, params_key)
    executor = get_executor(engine, workers, ray_address, preload=("lugha.lid.preload",))
    shards = plan_shards([str(p) for p in paths], executor.workers,
                         **({"max_bytes": shard_bytes} if shard_bytes else {}))
    total_bytes = sum((s.end if s.end >= 0 else os.path.getsize(s.path)) - s.start for s in shards)
    done = {"bytes": 0, "docs": 0}

    def on_done(shard: Shard, stats: dict) -> None:
        done["bytes"] += stats["bytes"]
        done["docs"] += stats["records"]
        if progress:
            progress(done["bytes"], total_bytes, done["docs"])

    if progress:
        progress(0, total_bytes, 0)
    parts = executor.map(partial(audit_shard, ctx=ctx), shards, on_done)
    stats = merge_stats(parts)
    shard_files = [ShardOutput(ctx.work_dir, "shards", s, params_key).path("parquet") for s in shards]
    dup = _deduplicate(shard_files, stats["records"], out)
    backends = _identifier(ctx).backend_names
    signature = Signature.build("audit", hashes, backends={"lid": _identifier(ctx).signature()}, model=lid_sha,
                                params={"lang": target.code, "text_field": text_field, "id_field": id_field,
                                        "config": run.config_digest})
    summary = _summary(target, paths, hashes, stats, dup, cfg, signature.to_dict(), backends, len(shards))
    if run.skipped:
        summary["skipped"] = [{"path": s.path, "reason": s.reason} for s in run.skipped]
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    write_json(out / "summary.json", summary)
    html, md = write_reports(out, summary)
    if not keep_work:
        shutil.rmtree(out / WORK, ignore_errors=True)
    return AuditResult(out, summary, out / "annotations.parquet", html, md,
                       time.perf_counter() - t0, len(shards), notes or [])


def _deduplicate(shard_files: list[Path], n: int, out: Path) -> dict:
    """Global cluster step over all shards, then write the final annotations.parquet in order."""
    exact = np.zeros(n, dtype=np.int64)
    offsets = []
    pos = 0
    for f in shard_files:
        t = pq.read_table(f, columns=["exact_hash"])
        k = t.num_rows
        exact[pos:pos + k] = t.column("exact_hash").to_numpy(zero_copy_only=False)
        offsets.append(pos)
        pos += k
    if pos != n:
        raise RuntimeError(f"shard rows {pos} != records {n}")

    def bands():
        # One band at a time across all shards: memory stays at 16 bytes per document.
        names = pq.read_schema(shard_files[0]).names if shard_files else []
        for b in range(sum(1 for c in names if c.startswith(BAND_PREFIX))):
            idx_parts, h_parts = [], []
            for f, off in zip(shard_files, offsets):
                col = pq.read_table(f, columns=[band_column(b)]).column(0).combine_chunks()
                valid = col.is_valid().to_numpy(zero_copy_only=False)
                if not valid.any():
                    continue
                idx_parts.append(np.flatnonzero(valid) + off)
                h_parts.append(col.drop_null().to_numpy())
            if idx_parts:
                yield np.concatenate(idx_parts), np.concatenate(h_parts)

    root, kind = cluster(n, exact, bands())
    # Map global index -> (source, doc_id) of the root, for the dup_of columns.
    src_all: list[str] = []
    id_all: list[str] = []
    for f in shard_files:
        t = pq.read_table(f, columns=["source", "doc_id"])
        src_all += t.column("source").to_pylist()
        id_all += t.column("doc_id").to_pylist()
    tmp = out / ".annotations.parquet.tmp"
    writer = None
    for f, off in zip(shard_files, offsets):
        t = pq.read_table(f)
        k = t.num_rows
        r = root[off:off + k]
        kd = kind[off:off + k]
        is_dup = kd > 0
        dup_of = [id_all[j] if d else None for j, d in zip(r, is_dup)]
        dup_src = [src_all[j] if d else None for j, d in zip(r, is_dup)]
        dup_kind = [("exact" if x == 1 else "near") if x else None for x in kd]
        t = t.drop_columns(_internal_columns(t.schema))
        t = t.append_column("dup_of", pa.array(dup_of, pa.string()))
        t = t.append_column("dup_of_source", pa.array(dup_src, pa.string()))
        t = t.append_column("dup_kind", pa.array(dup_kind, pa.string()))
        if writer is None:
            writer = pq.ParquetWriter(tmp, t.schema, compression="zstd")
        writer.write_table(t)
    if writer is None:
        raise LughaError("no input records")
    writer.close()
    os.replace(tmp, out / "annotations.parquet")
    sizes = Counter(root[kind > 0].tolist())
    top = sizes.most_common(10)
    clusters = []
    if top:
        wanted = {j for j, _ in top}
        texts: dict[int, str] = {}
        for f, off in zip(shard_files, offsets):
            k = pq.ParquetFile(f).metadata.num_rows
            local = [j - off for j in wanted if off <= j < off + k]
            if local:
                t = pq.read_table(f, columns=["text"]).take(local)
                for j, txt in zip(local, t.column("text").to_pylist()):
                    texts[j + off] = txt or ""
        clusters = [{"first": {"source": src_all[j], "doc_id": id_all[j]}, "size": c + 1,
                     "text": texts.get(j, "")[:300]} for j, c in top]
    return {
        "exact": int((kind == 1).sum()),
        "near": int((kind == 2).sum()),
        "clusters": int(len(sizes)),
        "duplicate_share": float((kind > 0).sum() / n) if n else 0.0,
        "top_clusters": clusters,
    }


def _summary(target: Lang, paths, hashes, stats, dup, cfg, signature, backends, n_shards) -> dict:
    cats = stats["categories"]
    total = stats["records"]
    readable = total - cats["unreadable"]
    langs = sorted(stats["langs"].items(), key=lambda kv: -kv[1])
    from lugha.langs import display_name

    return {
        "lang": {"code": target.code, "tag": target.tag, "name": target.name, "scripts": list(target.scripts),
                 "equivalents": sorted(target.equivalents)},
        "inputs": [{"path": str(p), "sha256": hashes[str(p)],
                    "records": stats["by_source"].get(str(p), {}).get("records", 0),
                    "unreadable": stats["by_source"].get(str(p), {}).get("unreadable", 0)} for p in paths],
        "counts": {**{c: cats[c] for c in CATEGORIES}, "unreadable": cats["unreadable"], "total": total},
        "shares": {c: (cats[c] / readable if readable else 0.0) for c in CATEGORIES},
        "reconciled": total == sum(cats.values()),
        "langs": [{"code": k, "name": display_name(k), "docs": v, "share": v / readable if readable else 0.0,
                   "matches_claim": target.matches(k), "categories": stats["lang_by_category"].get(k, {})}
                  for k, v in langs],
        "scripts": dict(sorted(stats["scripts"].items(), key=lambda kv: -kv[1])),
        "script_mismatch": stats["script_mismatch"],
        "pii": stats["pii"], "pii_docs": stats["pii_docs"],
        "chars": stats["chars"], "words": stats["words"], "bytes": stats["bytes"],
        "length_hist": {"bins": LENGTH_BINS, "counts": stats["length_hist"]},
        "domains": dict(sorted(stats["domains"].items(), key=lambda kv: -kv[1])[:30]),
        "duplicates": dup,
        "examples": stats["examples"],
        "unreadable_examples": stats["unreadable_examples"],
        "lid_backends": list(backends),
        "config": cfg,
        "shards": n_shards,
        "signature": signature,
    }
