"""Prompt sets for sensitive domains (health, crisis support, legal aid, ...).

A prompt set is JSONL, one prompt per line::

    {"id": "mh-07", "lang": "zul", "domain": "mental-health", "risk": "crisis",
     "prompt": "...", "reference": "a clinician's answer (optional)", "rubric": "afrimed (optional)"}

- ``id``: unique in the file; ``lang``: a language tag (resolved to ISO 639-3); ``domain``: free text
  (the team's own areas); ``risk``: one of ``low``, ``medium``, ``high``, ``crisis`` (crisis prompts get
  the crisis form in review: risk detected, referral given, appropriateness);
- ``reference`` (a model or expert answer to compare with) and ``rubric`` (the name of the rubric to
  review it with, or a list of criteria) are optional. Any other field is refused (a typo such as
  ``promt`` would otherwise silently drop the prompt text).

Every problem is one line ``path:line: message`` (``read_prompt_set`` raises at the first one;
``check_prompt_set`` lists them all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lugha.errors import LughaError

RISKS = ("low", "medium", "high", "crisis")
REQUIRED = ("id", "lang", "domain", "risk", "prompt")
OPTIONAL = ("reference", "rubric")


@dataclass
class Prompt:
    id: str
    lang: str
    domain: str
    risk: str
    prompt: str
    reference: str | None = None
    rubric: str | list[str] | None = None
    line: int = 0
    source: str = field(default="", repr=False)


def _check(obj: dict, path, line: int) -> tuple[Prompt | None, list[LughaError]]:
    from lugha.langs import resolve

    errs = []
    extra = sorted(set(obj) - set(REQUIRED) - set(OPTIONAL))
    if extra:
        errs.append(LughaError(f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))} "
                               f"(allowed: {', '.join(REQUIRED + OPTIONAL)})", path=path, line=line))
    for k in REQUIRED:
        v = obj.get(k)
        if k not in obj:
            errs.append(LughaError(f"missing field {k!r}", path=path, line=line))
        elif not isinstance(v, str) or not v.strip():
            errs.append(LughaError(f"field {k!r} must be non-empty text", path=path, line=line))
    lang = None
    if isinstance(obj.get("lang"), str) and obj["lang"].strip():
        try:
            lang = resolve(obj["lang"]).code
        except LughaError as e:
            errs.append(LughaError(f"field 'lang': {e.message}", path=path, line=line))
    risk = obj.get("risk")
    if isinstance(risk, str) and risk.strip() and risk.strip().lower() not in RISKS:
        errs.append(LughaError(f"risk {risk!r} is not one of {', '.join(RISKS)}", path=path, line=line))
    ref = obj.get("reference")
    if ref is not None and not isinstance(ref, str):
        errs.append(LughaError("field 'reference' must be text", path=path, line=line))
    rub = obj.get("rubric")
    if rub is not None and not (isinstance(rub, str) or (isinstance(rub, list) and all(isinstance(x, str) for x in rub))):
        errs.append(LughaError("field 'rubric' must be a rubric name or a list of criteria", path=path, line=line))
    if errs:
        return None, errs
    return Prompt(obj["id"].strip(), lang, obj["domain"].strip(), risk.strip().lower(), obj["prompt"], ref, rub,
                  line, str(path)), []


def check_prompt_set(path: str | Path) -> tuple[list[Prompt], list[LughaError]]:
    """Every prompt that passes and every problem found (not only the first)."""
    from lugha.records import read_lines

    p = Path(path)
    if not p.is_file():
        raise LughaError("no such file", path=path)
    import json

    prompts, errs, seen = [], [], {}
    for n, raw in enumerate(read_lines(p), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            errs.append(LughaError(f"bad JSON: {e.msg} at column {e.colno}", path=p, line=n))
            continue
        if not isinstance(obj, dict):
            errs.append(LughaError(f"JSON {type(obj).__name__}, not an object", path=p, line=n))
            continue
        pr, e = _check(obj, p, n)
        errs.extend(e)
        if pr is None:
            continue
        if pr.id in seen:
            errs.append(LughaError(f"id {pr.id!r} already used on line {seen[pr.id]}", path=p, line=n))
            continue
        seen[pr.id] = n
        prompts.append(pr)
    if not prompts and not errs:
        errs.append(LughaError("prompt set has no prompts", path=p))
    return prompts, errs


def read_prompt_set(path: str | Path) -> list[Prompt]:
    """The prompts of a valid set; the first problem raises (one line naming file and line)."""
    prompts, errs = check_prompt_set(path)
    if errs:
        raise errs[0]
    return prompts
