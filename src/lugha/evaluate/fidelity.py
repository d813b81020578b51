"""Language fidelity: does the model answer in the language it was asked for?

Metrics of the Language Confusion Benchmark (Marchisio et al., 2024), scored with lugha's own
language ID (lugha.lid), which covers our languages offline:

- line-level pass rate (LPR): share of responses in which every judged line is in the target
  language. A line is judged when it has at least ``min_tokens`` (5) whitespace tokens; a response
  with no judged line is reported as ``unjudged`` and left out of LPR;
- word-level pass rate (WPR): among line-level-correct responses, the share with no English word.
  As in LCB it is defined for targets not usually written in Latin script, where an English word shows as
  a Latin-script word (2+ letters); for Latin-script targets it is None;
- the share of judged lines identified as each language ("drift to English: 31%"). A line of
  repeated tokens (fewer than 30% distinct: a decoding loop) is labelled ``repetition`` instead
  of being given to language ID, which labels such loops at random; it fails the line check.

Every generation is kept with its line labels, so the review app can import it.
"""

from __future__ import annotations

import json
from pathlib import Path

import regex

from lugha.errors import LughaError
from lugha.records import read_rows, write_text
from lugha.signature import Signature

LATIN_WORD = regex.compile(r"\b\p{Latin}{2,}\b")
WORD_CHAR = regex.compile(r"\p{L}")


REPETITION = "repetition"


def is_repetition(line: str, min_distinct_share: float = 0.3) -> bool:
    """A line of >= 5 tokens of which fewer than 30% are distinct: a decoding loop."""
    toks = line.lower().split()
    return len(toks) >= 5 and len(set(toks)) / len(toks) < min_distinct_share


def split_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def is_latin_script(lang: str) -> bool:
    from lugha.langs import expected_scripts

    # The first expected script is the usual one (Hausa: Latn, then Ajami Arab).
    scripts = list(expected_scripts(lang) or ())
    return bool(scripts) and scripts[0] == "Latn"


def english_words(line: str) -> list[str]:
    return LATIN_WORD.findall(line)


def score_generations(rows: list[dict], identify, min_tokens: int = 5) -> dict:
    """rows: dicts with 'completion', 'language' (target) and optionally 'prompt'.
    identify(list[str], target) -> list[str] ISO 639-3 labels (or 'und').

    Returns {'languages': {lang: metrics}, 'generations': [...]}."""
    from lugha.langs import resolve, same_language

    by_lang: dict[str, list[dict]] = {}
    for r in rows:
        by_lang.setdefault(resolve(r["language"]).code, []).append(r)
    out_gens = []
    results = {}
    for lang, items in by_lang.items():
        latin = is_latin_script(lang)
        judged_lines = []  # (item index, line index, text)
        for i, r in enumerate(items):
            for j, ln in enumerate(split_lines(r["completion"])):
                if len(ln.split()) >= min_tokens:
                    judged_lines.append((i, j, ln))
        # A degenerate loop ("ta ta ta ...") is in no language; language ID would give it a random
        # label and inflate "drift". It is labelled REPETITION and fails the line check.
        loops = [is_repetition(t) for _, _, t in judged_lines]
        to_identify = [t for (_, _, t), rep in zip(judged_lines, loops) if not rep]
        found = iter(identify(to_identify, lang) if to_identify else [])
        labels = [REPETITION if rep else next(found) for rep in loops]
        per_item: dict[int, list[tuple[str, str]]] = {}
        for (i, _, ln), lab in zip(judged_lines, labels):
            per_item.setdefault(i, []).append((ln, lab))
        n_judged = n_line_pass = n_word_pass = 0
        share: dict[str, int] = {}
        for i, r in enumerate(items):
            lines = per_item.get(i, [])
            for _, lab in lines:
                share[lab] = share.get(lab, 0) + 1
            if not lines:
                line_pass = None
            else:
                line_pass = all(same_language(lab, lang) for _, lab in lines)
            eng = [] if latin else [w for ln in split_lines(r["completion"]) for w in english_words(ln)]
            word_pass = None if (latin or not line_pass) else not eng
            if line_pass is not None:
                n_judged += 1
                n_line_pass += line_pass
                n_word_pass += bool(word_pass)
            out_gens.append({
                "prompt": r.get("prompt", ""), "completion": r["completion"], "language": lang,
                "lines": [{"text": ln, "lang": lab} for ln, lab in lines],
                "line_pass": line_pass, "word_pass": word_pass, "english_words": eng,
            })
        total_lines = sum(share.values())
        results[lang] = {
            "responses": len(items), "judged": n_judged, "unjudged": len(items) - n_judged,
            "lpr": n_line_pass / n_judged if n_judged else None,
            "wpr": (n_word_pass / n_line_pass if n_line_pass else None) if not latin else None,
            "lines_judged": total_lines,
            "line_share": {k: v / total_lines for k, v in sorted(share.items(), key=lambda kv: -kv[1])},
        }
    return {"languages": results, "generations": out_gens}


def lid_identifier(lid_model: str | None = None):
    """identify(texts, target) with lugha.lid's ensemble, one Identifier per target language."""
    from lugha.lid import Identifier

    cache: dict[str, object] = {}

    def identify(texts: list[str], target: str) -> list[str]:
        if target not in cache:
            cache[target] = Identifier(target=target, lid_model=lid_model)
        return [p.lang for p in cache[target].identify(texts)]

    identify.signature = lambda: next(iter(cache.values())).signature() if cache else {}  # type: ignore[attr-defined]
    return identify


# ---- inputs -------------------------------------------------------------------------------------

def read_prompts(path: str | Path) -> list[str]:
    from lugha.evaluate.texts import read_documents

    docs = read_documents(path)
    if not docs:
        raise LughaError("prompt file has no prompts (it is empty or only blank lines)", path=path)
    return [d.text for d in docs]


def continuation_prompts(path: str | Path, limit: int | None = None) -> list[str]:
    """The first half (by whitespace tokens, by characters for unspaced text) of each line."""
    from lugha.evaluate.texts import read_documents

    docs = read_documents(path, limit=limit)
    if not docs:
        raise LughaError("held-out text file is empty", path=path)
    out = []
    for d in docs:
        toks = d.text.split()
        out.append(" ".join(toks[: max(1, len(toks) // 2)]) if len(toks) > 1 else d.text[: max(1, len(d.text) // 2)])
    return out


def read_generations(path: str | Path, default_lang: str | None = None) -> list[dict]:
    """CSV or JSONL with `completion` and `language` columns (`prompt` optional)."""
    p = Path(path)
    kind = "jsonl" if p.suffix.lower() in (".jsonl", ".ndjson") else "tsv" if p.suffix.lower() == ".tsv" else "csv"
    rows = list(read_rows(p, kind=kind))
    if not rows:
        raise LughaError("generations file has no rows", path=path)
    out = []
    for n, obj in rows:
        if "completion" not in obj:
            raise LughaError("missing the `completion` column", path=path, line=n)
        lang = obj.get("language") or default_lang
        if not lang:
            raise LughaError("missing the `language` column (or pass --lang)", path=path, line=n)
        out.append({"prompt": obj.get("prompt") or "", "completion": obj["completion"] or "",
                    "language": lang, "line": n})
    return out


def write_generations_jsonl(result: dict, path: str | Path) -> Path:
    """One JSON object per generation, in the columns `lugha review import --kind generation` reads
    (prompt, output, model, lang) and the ones `--generations` reads back (completion, language),
    with the line labels and pass flags."""
    lines = []
    for i, g in enumerate(result["generations"], 1):
        lines.append(json.dumps({
            "id": str(i), "prompt": g["prompt"], "output": g["completion"], "model": result["model"],
            "lang": g["language"], "completion": g["completion"], "language": g["language"],
            "lines": g["lines"], "line_pass": g["line_pass"], "word_pass": g["word_pass"],
            "english_words": g["english_words"],
        }, ensure_ascii=False))
    return write_text(path, "\n".join(lines) + "\n")


def fidelity_result(scored: dict, model: str, params: dict, model_sig: dict | None, lid_sig: dict,
                    inputs: list[str | Path] = ()) -> dict:
    """The JSON result; `inputs` (the prompts or generations file) are hashed into the signature."""
    sig = Signature.build("fidelity", inputs, params={"model": model, **params}, backends={"lid": lid_sig},
                          model_info=model_sig)
    return {"kind": "fidelity", "model": model, **scored, "signature": sig.to_dict()}
