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
from lugha.review.forms import Form

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
    form: Form | None = None    # None: the package form named `kind`
    blind_key: dict[str, str] = field(default_factory=dict)  # opaque model id -> model (blinded forms)
    left_out: dict[str, int] = field(default_factory=dict)   # rows not imported, by reason


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


# ---- image sets with prompt attributes (stereotype review) ---------------------------------------------

IMAGE_TYPES = {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}
_NOT_ATTRIBUTES = {"image", "prompt", "model", "id"}


def import_image_set(folder: str | Path, prompts: str | Path, form: Form, seed: int = 0,
                     max_bytes: int = MAX_IMAGE_BYTES) -> Batch:
    """Generated images with their prompts and prompt attributes, for a form that shows images.

    ``prompts`` is a JSONL/CSV/TSV file with ``image`` (a file name in ``folder``), ``prompt``,
    optional ``model`` and any other columns as attributes of the prompt (``wealth=poor``,
    ``place=Mekelle``), kept with the item for results per attribute. Every image must be a real
    PNG or JPEG (by its bytes, and named for what it is), at most ``max_bytes``; SVG is refused (it
    can carry script). Every image in the folder needs a prompt row and every row its image: nothing
    is dropped. Bytes are stored in the project with their SHA-256."""
    import hashlib

    folder, prompts = Path(folder), Path(prompts)
    if not folder.is_dir():
        raise LughaError("import-images needs a folder of images", folder)
    if not prompts.is_file():
        raise LughaError("no such prompts file", prompts)
    if form.shows != "image":
        raise LughaError(f"form {form.name!r} shows {form.shows}; images need a form that shows an image", form.source)
    rows: dict[str, tuple[int, dict]] = {}
    for line, row in read_rows(prompts):
        for col in ("image", "prompt"):
            if row.get(col) in (None, ""):
                raise LughaError(f"missing field {col!r} (need image, prompt; optional model and attributes)",
                                 prompts, line)
        name = str(row["image"])
        if Path(name).name != name:
            raise LughaError(f"image {name!r} must be a file name in {folder}, not a path", prompts, line)
        if name in rows:
            raise LughaError(f"image {name!r} is listed twice (first on line {rows[name][0]})", prompts, line)
        rows[name] = (line, row)
    for f in sorted(folder.iterdir()):
        if f.is_file() and f.suffix.lower() == ".svg":
            raise LughaError("SVG is refused (it can carry script); give PNG or JPEG", f)
        if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES and f.name not in rows:
            raise LughaError(f"no prompt for this image in {prompts}", f)
    items = []
    models = sorted({str(r.get("model") or "") for _, r in rows.values()} - {""})
    import secrets

    opaque = {m: (f"m-{secrets.token_hex(4)}" if form.blind else m) for m in models}
    for name, (line, row) in rows.items():
        f = folder / name
        if not f.is_file():
            raise LughaError(f"image {name!r} is not in {folder}", prompts, line)
        size = f.stat().st_size
        if size > max_bytes:
            raise LughaError(f"image is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit", f)
        with f.open("rb") as fh:
            data = fh.read(max_bytes + 1)
        mime = image_type(data)
        if mime not in IMAGE_TYPES:
            if b"<svg" in data[:4096].lower():
                raise LughaError("SVG is refused (it can carry script); give PNG or JPEG", f)
            raise LughaError("not a PNG or JPEG image (by its bytes)", f)
        if f.suffix.lower() not in IMAGE_TYPES[mime]:
            raise LughaError(f"named {f.suffix} but the bytes are {mime.split('/')[1].upper()}", f)
        model = opaque.get(str(row.get("model") or ""), "")
        attrs = {k: ("" if v is None else str(v)) for k, v in row.items() if k not in _NOT_ATTRIBUTES}
        items.append({"stratum": model or "-", "source": str(f), "doc_id": name, "line": line,
                      "prompt": str(row["prompt"]), "model": model, "image": data, "image_type": mime,
                      "image_name": name, "image_sha256": hashlib.sha256(data).hexdigest(),
                      "prompt_id": str(row.get("id") or name),
                      "attributes": json.dumps(attrs, ensure_ascii=False, sort_keys=True)})
    if not items:
        raise LughaError("no images to import", prompts)
    pop: dict[str, int] = {}
    for it in items:
        pop[it["stratum"]] = pop.get(it["stratum"], 0) + 1
    order = [int(x) for x in np.random.default_rng(seed).permutation(len(items))]
    return Batch(form.name, str(prompts), sha256_file(prompts), {"seed": seed, "images": len(items)}, pop,
                 items, order, form=form, blind_key={opaque[m]: m for m in models} if form.blind else {})


# ---- answers from `lugha eval generate` ---------------------------------------------------------------

ANSWER_FIELDS = ("prompt_id", "lang", "domain", "risk", "prompt", "model", "answer")


def import_answers(path: str | Path, form: Form, seed: int = 0, pair: tuple[str, str] | None = None,
                   risk: str | None = None) -> Batch:
    """Generated answers (the JSONL `lugha eval generate` writes: prompt_id, lang, domain, risk,
    prompt, model, answer) as a batch for ``form``.

    A form that shows one answer (rubric, checklist, crisis) gets one item per answer; a pair form
    (A/B) one item per prompt, holding the answers of the two models (``pair``, or the only two in
    the file). With ``risk`` only the rows of that risk level are imported (e.g. the crisis prompts
    for the crisis form); the rest are counted in ``left_out``. For a blinded form every model gets
    an opaque id (random, per batch): items carry only that id, the key is stored apart for the admin.
    """
    import secrets

    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise LughaError("no .jsonl answer files in this folder", path)
    elif path.is_file():
        files = [path]
    else:
        raise LughaError("no such file", path)
    if form.shows not in ("generation", "pair"):
        raise LughaError(f"form {form.name!r} shows {form.shows}; answers need a form that shows a "
                         "generation or a pair", form.source)
    rows: list[tuple[tuple[Path, int], dict]] = []  # ((file, line), row)
    left_out: dict[str, int] = {}
    seen: dict[tuple[str, str], tuple[Path, int]] = {}
    for f in files:
        for line, row in read_rows(f):
            for col in ("prompt_id", "prompt", "model", "answer"):
                if row.get(col) in (None, ""):
                    raise LughaError(f"missing field {col!r} (need {', '.join(ANSWER_FIELDS)})", f, line)
            k = (str(row["prompt_id"]), str(row["model"]))
            if k in seen:
                first = f"line {seen[k][1]}" if seen[k][0] == f else f"{seen[k][0]}:{seen[k][1]}"
                raise LughaError(f"prompt {k[0]!r} has a second answer from model {k[1]!r} (first on {first})",
                                 f, line)
            seen[k] = (f, line)
            if risk is not None and str(row.get("risk") or "") != risk:
                left_out[f"risk is not {risk}"] = left_out.get(f"risk is not {risk}", 0) + 1
                continue
            rows.append(((f, line), row))
    if not rows:
        raise LughaError("no answers to import" + (f" with risk {risk!r}" if risk else ""), path)
    models = sorted({str(r["model"]) for _, r in rows})
    rng = np.random.default_rng(seed)
    opaque = {m: (f"m-{secrets.token_hex(4)}" if form.blind else m) for m in models}
    while len(set(opaque.values())) < len(opaque):  # (a 32-bit collision, for completeness)
        opaque = {m: f"m-{secrets.token_hex(4)}" for m in models}
    items = []
    if form.shows == "generation":
        for (f, line), r in rows:
            m = opaque[str(r["model"])]
            items.append({"stratum": m, "source": str(f), "doc_id": str(r["prompt_id"]), "line": line,
                          "prompt": str(r["prompt"]), "text": str(r["answer"]), "model": m,
                          "lang": r.get("lang"), "prompt_id": str(r["prompt_id"]), "domain": r.get("domain"),
                          "risk": r.get("risk")})
        used = models
    else:
        if pair is None:
            if len(models) != 2:
                raise LughaError(f"the file has {len(models)} models ({', '.join(models)}); choose two with "
                                 "--pair A,B", path)
            pair = (models[0], models[1])
        for m in pair:
            if m not in models:
                raise LughaError(f"--pair names {m!r}, which has no answers here (models: {', '.join(models)})", path)
        by_prompt: dict[str, dict[str, tuple[tuple[Path, int], dict]]] = {}
        for where, r in rows:
            by_prompt.setdefault(str(r["prompt_id"]), {})[str(r["model"])] = (where, r)
        for pid, answers in by_prompt.items():
            if pair[0] not in answers and pair[1] not in answers:
                left_out["neither model of the pair"] = left_out.get("neither model of the pair", 0) + len(answers)
                continue
            for m in pair:
                if m not in answers:
                    other = answers[pair[1] if m == pair[0] else pair[0]]
                    raise LughaError(f"prompt {pid!r} has no answer from {m!r}", *other[0])
            (wa, ra), (wb, rb) = answers[pair[0]], answers[pair[1]]
            if str(ra["prompt"]) != str(rb["prompt"]):
                raise LughaError(f"prompt {pid!r} differs between models ({wa[0]}:{wa[1]})", *wb)
            others = len(answers) - 2
            if others:
                left_out["models outside the pair"] = left_out.get("models outside the pair", 0) + others
            a, b = opaque[pair[0]], opaque[pair[1]]
            items.append({"stratum": f"{a}|{b}", "source": str(wa[0]), "doc_id": pid, "line": wa[1],
                          "prompt": str(ra["prompt"]), "text": str(ra["answer"]), "text_b": str(rb["answer"]),
                          "model": a, "model_b": b, "lang": ra.get("lang"), "prompt_id": pid,
                          "domain": ra.get("domain"), "risk": ra.get("risk"),
                          "swap_base": int(rng.integers(2))})
        used = list(pair)
    pop: dict[str, int] = {}
    for it in items:
        pop[it["stratum"]] = pop.get(it["stratum"], 0) + 1
    order = [int(x) for x in rng.permutation(len(items))]
    params = {"seed": seed, "models": len(used), "risk": risk, "answers": len(rows)}
    key = {opaque[m]: m for m in used} if form.blind else {}
    if len(files) == 1:
        digest = sha256_file(files[0])
    else:  # a folder: the hash of its files' names and hashes
        import hashlib

        digest = hashlib.sha256("".join(f"{f.name}\t{sha256_file(f)}\n" for f in files).encode()).hexdigest()
    return Batch(form.name, str(path), digest, params, pop, items, order, form=form,
                 blind_key=key, left_out=left_out)
