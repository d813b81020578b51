"""Creating review tasks: a stratified random sample from a corpus audit, model generations, images.

All functions return plain item dicts (for `store.add_batch`) plus the batch description; nothing
here touches the database, so sampling is testable on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lugha.corpus.categories import CATEGORIES
from lugha.errors import LughaError
from lugha.records import read_rows, sha256_file

AUDIT_COLUMNS = ("source", "doc_id", "line", "text", "category", "lang", "lang_score", "script", "dup_of")


@dataclass
class Batch:
    kind: str
    source: str
    sha256: str | None
    params: dict
    population: dict            # stratum -> documents in the population (for weighting)
    items: list[dict] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # queue position of each item (seeded shuffle)


def sample_audit(audit_dir: str | Path, n: int = 300, per_category: bool = False, seed: int = 0,
                 skip_duplicates: bool = False) -> Batch:
    """Draw a reproducible random sample of documents from AUDIT_DIR/annotations.parquet.

    With ``per_category`` each automatic category (CC, CB, CS, WL, NL) is a stratum and up to ``n``
    documents are drawn from each, so rare categories get enough items to estimate their precision;
    otherwise ``n`` documents are drawn uniformly from all of them (still recorded by stratum).
    Results weight strata by their population counts, so either design estimates corpus shares.
    """
    import pyarrow.parquet as pq

    audit_dir = Path(audit_dir)
    path = audit_dir / "annotations.parquet"
    if not path.is_file():
        raise LughaError("no annotations.parquet here: is this the output directory of `lugha audit`?",
                         audit_dir)
    if n < 1:
        raise LughaError(f"--n must be at least 1, got {n}")
    schema = pq.read_schema(path)
    missing = [c for c in AUDIT_COLUMNS if c not in schema.names]
    if missing:
        raise LughaError(f"missing column(s) {', '.join(missing)}; expected {', '.join(AUDIT_COLUMNS)}", path)
    table = pq.read_table(path, columns=list(AUDIT_COLUMNS))
    claimed = None
    summary = audit_dir / "summary.json"
    if summary.is_file():
        try:
            claimed = (json.loads(summary.read_text(encoding="utf-8")).get("lang") or {}).get("code")
        except json.JSONDecodeError as e:
            raise LughaError(f"summary.json is not JSON ({e.msg})", summary, e.lineno) from None

    rows = table.to_pylist()
    # Unreadable records (no text or no category) are not reviewable; duplicates optionally skipped.
    rows = [r for r in rows if r["text"] is not None and r["category"] is not None]
    if skip_duplicates:
        rows = [r for r in rows if not r["dup_of"]]
    if not rows:
        raise LughaError("no reviewable documents (all rows lack text or category)", path)
    unknown = sorted({r["category"] for r in rows} - set(CATEGORIES))
    if unknown:
        raise LughaError(f"unknown category {unknown[0]!r}; expected one of {', '.join(CATEGORIES)}", path)
    # A stable order before drawing, so the same seed gives the same sample whatever the file order.
    rows.sort(key=lambda r: (r["source"], str(r["doc_id"])))
    rng = np.random.default_rng(seed)
    population: dict[str, int] = {}
    for r in rows:
        population[r["category"]] = population.get(r["category"], 0) + 1
    chosen: list[dict] = []
    if per_category:
        for cat in CATEGORIES:
            idx = [i for i, r in enumerate(rows) if r["category"] == cat]
            take = rng.choice(len(idx), size=min(n, len(idx)), replace=False) if idx else []
            chosen += [rows[idx[j]] for j in sorted(take)]
    else:
        take = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
        chosen = [rows[j] for j in sorted(take)]
    items = [{"stratum": r["category"], "source": r["source"], "doc_id": str(r["doc_id"]),
              "line": r["line"], "text": r["text"], "auto_category": r["category"], "lang": r["lang"],
              "script": r["script"], "dup_of": r["dup_of"]} for r in chosen]
    order = [int(x) for x in rng.permutation(len(items))]
    params = {"n": n, "per_category": per_category, "seed": seed, "skip_duplicates": skip_duplicates,
              "claimed_lang": claimed}
    return Batch("corpus", str(path), sha256_file(path), params, population, items, order)


# ---- model generations ---------------------------------------------------------------------------

def import_generations(path: str | Path, seed: int = 0) -> Batch:
    """Model outputs to rate: each row needs `prompt`, `output` and `model` (`lang` optional)."""
    path = Path(path)
    if not path.is_file():
        raise LughaError("no such file", path)
    items = []
    for line, row in read_rows(path):
        for col in ("prompt", "output", "model"):
            if row.get(col) in (None, ""):
                raise LughaError(f"missing field {col!r} (need prompt, output, model)", path, line)
        items.append({"stratum": str(row["model"]), "source": str(path), "doc_id": str(row.get("id", line)),
                      "line": line, "prompt": str(row["prompt"]), "text": str(row["output"]),
                      "model": str(row["model"]), "lang": row.get("lang")})
    if not items:
        raise LughaError("no rows to import", path)
    pop: dict[str, int] = {}
    for it in items:
        pop[it["stratum"]] = pop.get(it["stratum"], 0) + 1
    order = [int(x) for x in np.random.default_rng(seed).permutation(len(items))]
    return Batch("generation", str(path), sha256_file(path), {"seed": seed}, pop, items, order)


# ---- images ------------------------------------------------------------------------------------

# Only raster formats a browser shows as images; SVG is refused because it can carry script.
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"))
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
MAX_IMAGE_BYTES = 20 * 1024 * 1024


def image_type(data: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def import_images(folder: str | Path, seed: int = 0) -> Batch:
    """A folder of images with their prompts. Prompts come from `prompts.jsonl` / `prompts.csv` /
    `prompts.tsv` (columns `image`, `prompt`, optional `model`) or a same-named `.txt` beside each
    image. Image bytes are stored in the project, so the project file is all a reviewer server needs."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LughaError("--kind image needs a folder of images", folder)
    meta: dict[str, tuple[dict, Path, int]] = {}
    for name in ("prompts.jsonl", "prompts.csv", "prompts.tsv"):
        p = folder / name
        if p.is_file():
            for line, row in read_rows(p):
                if not row.get("image"):
                    raise LughaError("missing field 'image'", p, line)
                meta[str(row["image"])] = (row, p, line)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise LughaError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in this folder", folder)
    items = []
    for f in files:
        data = f.read_bytes()
        if len(data) > MAX_IMAGE_BYTES:
            raise LughaError(f"image larger than {MAX_IMAGE_BYTES // 2**20} MB", f)
        mime = image_type(data)
        if mime is None:
            raise LughaError("not a PNG, JPEG, GIF or WebP image", f)
        row = meta.get(f.name, ({}, None, None))[0]
        prompt = row.get("prompt")
        if prompt is None and f.with_suffix(".txt").is_file():
            prompt = f.with_suffix(".txt").read_text(encoding="utf-8").strip()
        if not prompt:
            raise LughaError("no prompt for this image (add it to prompts.jsonl or a .txt beside it)", f)
        model = str(row.get("model") or "")
        items.append({"stratum": model or "-", "source": str(f), "doc_id": f.name, "prompt": str(prompt),
                      "model": model, "image": data, "image_type": mime, "image_name": f.name})
    pop: dict[str, int] = {}
    for it in items:
        pop[it["stratum"]] = pop.get(it["stratum"], 0) + 1
    order = [int(x) for x in np.random.default_rng(seed).permutation(len(items))]
    return Batch("image", str(folder), None, {"seed": seed}, pop, items, order)
