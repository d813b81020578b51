"""Answers of several models to one prompt set, each checked for language fidelity, ready for
blinded review (`lugha review` imports ``answers.jsonl``).

``generate_answers(models, prompts, out)``:

- each model (any ``lugha.models`` spec) answers every prompt with the same decoding settings
  (``max_new_tokens``, ``temperature``, ``seed``; greedy by default), recorded per model;
- answers produced elsewhere (an API model, a clinician's own answer) come in as another "model"
  from a JSONL of ``prompt_id`` and ``answer`` (``--import NAME=FILE``); every prompt must be
  answered once, and an answer to an unknown prompt is refused;
- every answer gets the language-fidelity check of ``evaluate.fidelity`` (did it answer in the
  prompt's language?);
- per model, ``OUT/answers/<name>.jsonl`` and its ``.json`` (settings, signature) are written when the
  model is done, so a rerun skips the models whose settings, model and prompts are unchanged
  (resumable per model) and redoes the rest;
- ``OUT/answers.jsonl`` holds every answer with the fields ``prompt_id, lang, domain, risk, prompt,
  model, answer, fidelity`` (+ ``source``: generated or imported), and ``OUT/generate.json`` the summary
  (per model x language: answers, LPR with a Wilson interval) with the signature.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from lugha.errors import LughaError
from lugha.signature import Signature

ANSWER_FIELDS = ("prompt_id", "lang", "domain", "risk", "prompt", "model", "answer", "fidelity")


def safe_name(model: str) -> str:
    """A file name for a model spec or imported name (path separators and odd characters folded)."""
    s = re.sub(r"[^\w.-]+", "_", model.rsplit("/", 1)[-1] if "/" in model else model).strip("._")
    return s or "model"


def _names(models: list[str], imports: dict[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for m in list(models) + list(imports):
        base = safe_name(m.split(":", 1)[1] if ":" in m and m.split(":", 1)[0] in ("hf", "gguf", "ngram", "lora") else m)
        n, i = base, 2
        while n in names.values():
            n, i = f"{base}-{i}", i + 1
        names[m] = n
    return names


def read_imported(path: str | Path, prompts: dict[str, object]) -> dict[str, str]:
    """prompt_id -> answer from a JSONL of ``prompt_id, answer``. Every prompt answered exactly once."""
    from lugha.records import read_rows

    out: dict[str, str] = {}
    for line, row in read_rows(path, required=("prompt_id", "answer"), kind="jsonl"):
        pid = str(row["prompt_id"])
        if pid not in prompts:
            raise LughaError(f"prompt_id {pid!r} is not in the prompt set", path=path, line=line)
        if pid in out:
            raise LughaError(f"prompt_id {pid!r} answered twice", path=path, line=line)
        if not isinstance(row["answer"], str):
            raise LughaError("answer must be text", path=path, line=line)
        out[pid] = row["answer"]
    missing = [p for p in prompts if p not in out]
    if missing:
        raise LughaError(f"{len(missing)} prompt(s) not answered, first {missing[0]!r}", path=path)
    return out


def fidelity_of(answers: list[dict], identify, min_tokens: int = 5) -> list[dict]:
    """The fidelity block of each answer (same order): line_pass (None: no line long enough to
    judge), word_pass, and each judged line's language."""
    from lugha.evaluate.fidelity import score_generations

    scored = score_generations([{"completion": a["answer"], "language": a["lang"], "prompt": a["prompt_id"]}
                                for a in answers], identify, min_tokens=min_tokens)
    # score_generations groups by language; map back by (lang, order within the language)
    by_lang: dict[str, list] = {}
    for g in scored["generations"]:
        by_lang.setdefault(g["language"], []).append(g)
    seen: dict[str, int] = {}
    out = []
    from lugha.langs import resolve

    for a in answers:
        code = resolve(a["lang"]).code
        g = by_lang[code][seen.get(code, 0)]
        seen[code] = seen.get(code, 0) + 1
        out.append({"line_pass": g["line_pass"], "word_pass": g["word_pass"],
                    "line_langs": [ln["lang"] for ln in g["lines"]]})
    return out


def generate_answers(models: list[str], prompts_path: str | Path, out: str | Path,
                     imports: dict[str, str | Path] | None = None, max_new_tokens: int = 256,
                     temperature: float = 0.0, seed: int = 0, min_tokens: int = 5, loader=None,
                     identify=None, progress=None) -> dict:
    """Generate (or import) every model's answers; see the module docstring. ``loader(spec)`` loads a
    model (default ``lugha.models.base.load_model``). Returns the summary written to generate.json."""
    from lugha.domains.prompts import read_prompt_set
    from lugha.evaluate.fidelity import lid_identifier
    from lugha.records import sha256_file, write_json, write_text
    from lugha.review.stats import rate

    imports = {k: str(v) for k, v in (imports or {}).items()}
    if not models and not imports:
        raise LughaError("give at least one model (--models) or imported answers (--import)")
    prompts = read_prompt_set(prompts_path)
    by_id = {p.id: p for p in prompts}
    prompts_sha = sha256_file(prompts_path)
    out = Path(out)
    names = _names(models, imports)
    identify = identify or lid_identifier()
    if loader is None:
        from lugha.models.base import load_model as loader
    decoding = {"max_new_tokens": max_new_tokens, "temperature": temperature, "seed": seed,
                "sampling": "greedy" if temperature <= 0 else "multinomial, top_k=0", "prompt_format": "raw"}
    runs = []
    for spec in list(models) + list(imports):
        name = names[spec]
        ans_path, meta_path = out / "answers" / f"{name}.jsonl", out / "answers" / f"{name}.json"
        imported = spec in imports
        key = {"model": spec, "prompts_sha256": prompts_sha, "min_tokens": min_tokens,
               **({"import_sha256": sha256_file(imports[spec])} if imported else decoding)}
        if meta_path.is_file() and ans_path.is_file():
            old = json.loads(meta_path.read_text(encoding="utf-8"))
            # the model file's hash is in the signature: a changed model reruns
            same_model = imported or old.get("model_sha256") == _model_sha(spec)
            if old.get("key") == key and same_model:
                runs.append({**old, "resumed": True})
                if progress:
                    progress(spec, "skipped (done, unchanged)")
                continue
        t0 = time.perf_counter()
        if imported:
            got = read_imported(imports[spec], by_id)
            texts = [got[p.id] for p in prompts]
            msig = {"backend": "imported", "model_sha256": key["import_sha256"]}
        else:
            m = loader(spec)
            texts = []
            for p in prompts:  # one at a time: greedy output equals a lone call, and progress is visible
                texts.append(m.generate([p.prompt], max_new_tokens=max_new_tokens, temperature=temperature,
                                        seed=seed)[0])
                if progress:
                    progress(spec, p.id)
            msig = m.signature()
        secs = time.perf_counter() - t0
        answers = [{"prompt_id": p.id, "lang": p.lang, "domain": p.domain, "risk": p.risk, "prompt": p.prompt,
                    "model": spec, "answer": t, "source": "imported" if imported else "generated"}
                   for p, t in zip(prompts, texts)]
        for a, f in zip(answers, fidelity_of(answers, identify, min_tokens)):
            a["fidelity"] = f
        write_text(ans_path, "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers))
        sig = Signature.build("generate", {str(prompts_path): prompts_sha, **({imports[spec]: key["import_sha256"]} if imported else {})},
                              model_info=msig, params={"model_spec": spec, **({} if imported else decoding),
                                                       "min_tokens": min_tokens},
                              backends={"lid": _lid_backend(identify)})
        meta = {"model": spec, "name": name, "key": key, "imported": imported, "answers": len(answers),
                "seconds": secs, "model_sha256": msig.get("model_sha256"), "file": str(ans_path),
                "signature": sig.to_dict()}
        write_json(meta_path, meta)
        runs.append({**meta, "resumed": False})
    # all answers, in model then prompt order; per model x language fidelity
    rows, summary = [], []
    for r in runs:
        from lugha.records import read_rows

        ans = [a for _, a in read_rows(r["file"], kind="jsonl")]
        rows.extend(ans)
        for lang in dict.fromkeys(a["lang"] for a in ans):
            la = [a for a in ans if a["lang"] == lang]
            judged = [a for a in la if a["fidelity"]["line_pass"] is not None]
            passed = sum(1 for a in judged if a["fidelity"]["line_pass"])
            summary.append({"model": r["model"], "lang": lang, "answers": len(la), "judged": len(judged),
                            "lpr": rate(passed, len(judged))})
    write_text(out / "answers.jsonl", "".join(json.dumps({k: a[k] for k in ANSWER_FIELDS + ("source",)},
                                                         ensure_ascii=False) + "\n" for a in rows))
    sig = Signature.build("generate", {str(prompts_path): prompts_sha}, params={
        "models": [r["model"] for r in runs], "model_sha256": {r["model"]: r["model_sha256"] for r in runs},
        **decoding, "min_tokens": min_tokens})
    result = {"kind": "generate", "prompts": str(prompts_path), "n_prompts": len(prompts),
              "models": [{k: r[k] for k in ("model", "name", "imported", "answers", "seconds", "resumed", "file")}
                         for r in runs],
              "fidelity": summary, "answers_file": str(out / "answers.jsonl"), "signature": sig.to_dict()}
    write_json(out / "generate.json", result)
    return result


def _model_sha(spec: str) -> str | None:
    """The model file's SHA-256 without loading it, as the backend's signature computes it (ngram/gguf
    file; hf folder: its weight, config and tokenizer files; an embedded model: its GGUF). None when
    it cannot be known without loading (a hub name, a LoRA adapter): such a model always reruns."""
    from lugha.models.base import parse_spec
    from lugha.records import sha256_files

    try:
        s = parse_spec(spec)
    except LughaError:
        return None
    if s.backend == "embedded":
        from lugha.models.embedded import embedded_path

        return sha256_files([embedded_path(s.path)])
    if s.backend == "lora":
        return None
    p = Path(s.path)
    if p.is_file():
        return sha256_files([p])
    if p.is_dir():
        files = sorted(q for q in p.iterdir() if q.suffix in (".safetensors", ".bin", ".json", ".model"))
        return sha256_files(files) if files else None
    return None


def _lid_backend(identify):
    """The language-ID backends and versions ({name: version}), as the fidelity check reports them."""
    try:
        sig = identify.signature()
    except (AttributeError, TypeError):
        return "lugha-lid"
    return sig or "lugha-lid"
