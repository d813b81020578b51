"""Multiple-choice accuracy by log-likelihood, with lm-evaluation-harness's MMLU prompt, so a figure
here equals lm-eval's on the same model and items (bench/eval_mcq.py checks it).

The prompt (lm-eval ``tasks/mmlu/default``: ``description`` + ``doc_to_text``, ``target_delimiter``
" ", ``fewshot_delimiter`` "\\n\\n", few-shot examples the first k of the dev split)::

    The following are multiple choice questions (with answers) about college medicine.

    [k examples: doc_to_text + " " + letter, each followed by a blank line]
    {question.strip()}
    A. {A}
    B. {B}
    C. {C}
    D. {D}
    Answer:

and the four continuations " A" .. " D", scored by ``model.choice_logliks`` (BOS prepended when the
tokenizer has one). ``acc``: the choice with the highest summed log-likelihood; ``acc_norm``:
lm-eval's length-normalised variant (log-likelihood / len(choice) in characters, which for MMLU's
one-letter choices picks the same answer).

Input: the CSV layout of MMLU (no header: question, A, B, C, D, answer letter), or JSONL with the
same fields (``question, A, B, C, D, answer``; optional ``id``, ``subject``). The subject and the
language come from the file name (``college_medicine_val_zu.csv``: college medicine, Zulu; no
language suffix is English) or from flags.

Per file and per language: n, accuracy with a Wilson 95% interval, chance level, and the gap to
English on the same items (paired by item id) with a percentile bootstrap interval over items.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lugha.errors import LughaError
from lugha.signature import Signature

LETTERS = ("A", "B", "C", "D")
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"
TEMPLATE = "lm-eval-mmlu-default"  # named in the signature: a change of prompt is a change of figure
SPLITS = ("dev", "val", "validation", "test", "train")


@dataclass
class Item:
    id: str
    question: str
    choices: list[str]
    answer: int  # index into LETTERS
    line: int


@dataclass
class McqFile:
    path: Path
    subject: str  # "college_medicine"
    split: str  # "val", or "" when the name has none
    lang: str  # ISO 639-3
    items: list[Item]


# ---- reading ---------------------------------------------------------------------------------------

def _answer_index(v, path, line) -> int:
    s = str(v).strip()
    if s.upper() in LETTERS:
        return LETTERS.index(s.upper())
    if s.isdigit() and int(s) < len(LETTERS):
        return int(s)
    raise LughaError(f"answer {s!r} is not one of A, B, C, D (or 0-3)", path=path, line=line)


FIELDS = ("question", "A", "B", "C", "D", "answer")


def _rows(path: Path):
    """(line, row dict): headerless CSV rows (MMLU's layout) or JSONL objects with the same fields."""
    from lugha.records import read_rows

    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return read_rows(path, required=FIELDS, kind="jsonl")
    return read_rows(path, kind="csv", fieldnames=FIELDS)


def read_items(path: str | Path) -> list[Item]:
    """The questions of one file. A row without six fields, or with an answer that is not a letter,
    stops with one line naming the file and line."""
    p = Path(path)
    if not p.is_file():
        raise LughaError("no such file", path=path)
    items: list[Item] = []
    for line, row in _rows(p):
        q, choices, ans = row["question"], [row[k] for k in LETTERS], row["answer"]
        rid = str(row["id"]) if row.get("id") is not None else str(len(items) + 1)
        if not isinstance(q, str) or not all(isinstance(c, str) for c in choices):
            raise LughaError("question and choices must be text", path=p, line=line)
        items.append(Item(rid, q, [str(c) for c in choices], _answer_index(ans, p, line), line))
    if not items:
        raise LughaError("no questions in the file", path=p)
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise LughaError(f"item id {dup!r} occurs twice", path=p)
    return items


def parse_name(path: str | Path) -> tuple[str, str, str | None]:
    """(subject, split, language tag or None) from ``<subject>_<split>[_<lang>].csv``."""
    stem = Path(path).name.split(".")[0]
    parts = stem.split("_")
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] in SPLITS:
            rest = parts[i + 1:]
            return "_".join(parts[:i]), parts[i], ("_".join(rest) if rest else None)
    return stem, "", None


def load_file(path: str | Path, subject: str | None = None, lang: str | None = None) -> McqFile:
    from lugha.langs import resolve

    subj, split, tag = parse_name(path)
    code = resolve(lang).code if lang else (resolve(tag).code if tag else "eng")
    return McqFile(Path(path), subject or subj, split, code, read_items(path))


# ---- the prompt ------------------------------------------------------------------------------------

def description(subject: str) -> str:
    return f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"


def doc_to_text(item: Item) -> str:
    return (f"{item.question.strip()}\n" + "".join(f"{k}. {c}\n" for k, c in zip(LETTERS, item.choices))
            + "Answer:")


def context(item: Item, subject: str, shots: list[Item] = ()) -> str:
    examples = "".join(doc_to_text(s) + TARGET_DELIMITER + LETTERS[s.answer] + FEWSHOT_DELIMITER for s in shots)
    return description(subject) + examples + doc_to_text(item)


def continuations() -> list[str]:
    return [TARGET_DELIMITER + k for k in LETTERS]


# ---- scoring ---------------------------------------------------------------------------------------

def choice_logliks(model, requests: list[tuple[str, list[str]]], progress=None) -> list[list[tuple[float, bool | None]]]:
    """Through the model's own ``choice_logliks`` (transformers: one pass per question), or, for a
    model with only ``loglik`` (the n-gram), loglik(context + continuation) - loglik(context)."""
    if hasattr(model, "choice_logliks"):
        return model.choice_logliks(requests, progress=progress)
    out = []
    for ctx, conts in requests:
        base = model.loglik([ctx])[0][0]
        out.append([(n - base, None) for n, _ in model.loglik([ctx + c for c in conts])])
        if progress:
            progress(1)
    return out


def wilson(k: int, n: int) -> tuple[float, float]:
    from lugha.review.stats import wilson as w

    return w(k, n)


def paired_gap(lang_correct: dict[str, bool], eng_correct: dict[str, bool], n_boot: int = 2000,
               seed: int = 0) -> dict | None:
    """Accuracy in a language minus English on the items both have (paired by item id), with a
    95% percentile bootstrap interval that resamples items (each item keeps its pair)."""
    common = [i for i in lang_correct if i in eng_correct]
    if not common:
        return None
    a = np.array([lang_correct[i] for i in common], dtype=float)
    b = np.array([eng_correct[i] for i in common], dtype=float)
    d = a - b
    gap = float(d.mean())
    if len(d) > 1 and n_boot > 0:
        rng = np.random.default_rng(seed)
        boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
        lo, hi = (float(x) for x in np.percentile(boots, [2.5, 97.5]))
    else:
        lo = hi = gap
    return {"items": len(common), "gap": gap, "ci95": [lo, hi], "accuracy": float(a.mean()),
            "english_accuracy": float(b.mean()),
            # McNemar's discordant pairs: right only in the language / right only in English
            "only_lang_right": int(((a == 1) & (b == 0)).sum()), "only_english_right": int(((a == 0) & (b == 1)).sum()),
            "interval": "percentile bootstrap over items, paired"}


def _summary(correct: list[bool], n_choices: int = 4) -> dict:
    n, k = len(correct), int(sum(correct))
    lo, hi = wilson(k, n)
    chance = 1 / n_choices
    return {"n": n, "correct": k, "accuracy": k / n if n else None, "ci95": [lo, hi], "chance": chance,
            "below_chance": hi < chance, "above_chance": lo > chance}


def evaluate_mcq(model, files: list[str | Path], shots: int = 0, dev: list[str | Path] | None = None,
                 subject: str | None = None, lang: str | None = None, reported: list[dict] | None = None,
                 reported_model: str | None = None, n_boot: int = 2000, seed: int = 0,
                 progress=None) -> dict:
    """Score every file with ``model`` (lugha.models interface). With ``shots`` k > 0 the first k
    questions of the matching dev file (same subject and language: from ``dev``, else the file's
    ``_dev`` sibling) precede each question. Returns the JSON-ready result."""
    mfiles = [load_file(f, subject, lang) for f in files]
    dev_files = [load_file(f, subject) for f in (dev or [])]
    used_dev: dict[str, str] = {}
    per_file = []
    t_total = 0.0
    for mf in mfiles:
        shot_items: list[Item] = []
        if shots:
            d = next((x for x in dev_files if x.subject == mf.subject and x.lang == mf.lang), None)
            if d is None and not dev_files:
                sib = _dev_sibling(mf.path)
                if sib is not None:
                    d = load_file(sib, subject, lang)
            if d is None:
                raise LughaError(f"--shots {shots}: no dev file for {mf.subject} in {mf.lang} "
                                 f"(give one with --dev)", path=mf.path)
            if len(d.items) < shots:
                raise LughaError(f"--shots {shots} but the dev file has {len(d.items)} questions", path=d.path)
            shot_items = d.items[:shots]
            used_dev[str(mf.path)] = str(d.path)
            if d.path.resolve() == mf.path.resolve():
                raise LughaError("the dev file is the file being scored", path=mf.path)
        reqs = [(context(it, mf.subject, shot_items), continuations()) for it in mf.items]
        t0 = time.perf_counter()
        scores = choice_logliks(model, reqs, progress=progress)
        secs = time.perf_counter() - t0
        t_total += secs
        items = []
        for it, sc in zip(mf.items, scores):
            lls = [s[0] for s in sc]
            pred = int(np.argmax(lls))
            norm = np.array(lls) / np.array([float(len(k)) for k in LETTERS])
            pred_norm = int(np.argmax(norm))
            items.append({"id": it.id, "line": it.line, "answer": LETTERS[it.answer], "pred": LETTERS[pred],
                          "pred_norm": LETTERS[pred_norm], "correct": pred == it.answer,
                          "correct_norm": pred_norm == it.answer, "loglik": lls})
        s = _summary([x["correct"] for x in items])
        s["accuracy_norm"] = sum(x["correct_norm"] for x in items) / len(items)
        per_file.append({"file": str(mf.path), "subject": mf.subject, "split": mf.split, "lang": mf.lang,
                         **s, "seconds": secs, "questions_per_second": len(items) / secs if secs > 0 else None,
                         "items": items})
    # English pairs: the file of the same subject and split in English.
    eng = {(f["subject"], f["split"]): f for f in per_file if f["lang"] == "eng"}
    for f in per_file:
        e = eng.get((f["subject"], f["split"]))
        f["english_gap"] = None if f["lang"] == "eng" or e is None else paired_gap(
            {x["id"]: x["correct"] for x in f["items"]}, {x["id"]: x["correct"] for x in e["items"]}, n_boot, seed)
    langs: dict[str, dict] = {}
    for code in dict.fromkeys(f["lang"] for f in per_file):
        fs = [f for f in per_file if f["lang"] == code]
        correct = [x["correct"] for f in fs for x in f["items"]]
        entry = {**_summary(correct), "files": len(fs), "subjects": sorted({f["subject"] for f in fs})}
        if code != "eng":
            a, b = {}, {}
            for f in fs:
                e = eng.get((f["subject"], f["split"]))
                if e is not None:
                    a.update({(f["subject"], x["id"]): x["correct"] for x in f["items"]})
                    b.update({(f["subject"], x["id"]): x["correct"] for x in e["items"]})
            entry["english_gap"] = paired_gap(a, b, n_boot, seed) if b else None
        langs[code] = entry
    name = reported_model or model.spec
    if reported:
        for f in per_file:
            f["reported"] = match_reported(reported, name, f["lang"], f["subject"])
        for code, entry in langs.items():
            subjects = entry["subjects"]
            entry["reported"] = match_reported(reported, name, code, subjects[0]) if len(subjects) == 1 else None
    msig = model.signature()
    dev_used = sorted(set(used_dev.values()))
    sig = Signature.build("mcq", [f.path for f in mfiles] + [Path(v) for v in dev_used], model_info=msig, params={
        "model_spec": model.spec, "template": TEMPLATE, "shots": shots, "dev": dev_used or None,
        "subject": subject, "lang": lang, "bootstrap": n_boot, "seed": seed})
    n_items = sum(f["n"] for f in per_file)
    return {"kind": "mcq", "model": model.spec, "size_bytes": msig.get("size_bytes"), "n_params": msig.get("n_params"),
            "shots": shots, "files": per_file, "languages": langs, "dev_files": used_dev,
            "questions_per_second": n_items / t_total if t_total > 0 else None, "signature": sig.to_dict()}


def _dev_sibling(path: Path) -> Path | None:
    subj, split, tag = parse_name(path)
    if not split or split == "dev":
        return None
    name = f"{subj}_dev{'_' + tag if tag else ''}{''.join(path.suffixes)}"
    cand = path.with_name(name)
    return cand if cand.is_file() else None


# ---- reported figures ------------------------------------------------------------------------------

_TABLE_HEAD = re.compile(r"^\s*(?P<model>.+?)\s*\((?P<task>[^)]+)\)\s*$")


def reported_from_table(path: str | Path, source: str | None = None, split: str = "test") -> list[dict]:
    """Reported accuracies from a wide table like Alhanai et al.'s ``paper_table_2.csv``: a first
    column ``Model (Benchmark)`` (``Llama 3 8B IT (mmlu-college_medicine)``), one column per
    language tag, values in percent. Returns reported entries (metric ``acc``, value as a fraction)."""
    from lugha.langs import resolve

    out = []
    from lugha.records import read_rows

    for line, row in read_rows(path, kind="csv"):
        keys = list(row)
        head = _TABLE_HEAD.match(row[keys[0]] or "")
        if not head:
            raise LughaError(f"first column {row[keys[0]]!r} is not 'Model (benchmark)'", path=path, line=line)
        task = head["task"]
        for k in keys[1:]:
            v = (row[k] or "").strip()
            if not v:
                continue
            try:
                value = float(v)
            except ValueError:
                raise LughaError(f"column {k}: {v!r} is not a number", path=path, line=line) from None
            out.append({"model": head["model"], "lang": resolve(k).code, "metric": "acc",
                        "task": task, "value": value / 100 if value > 1 else value,
                        "split": split, "source": source or f"{Path(path).name}:{line}"})
    return out


def read_reported_any(path: str | Path) -> list[dict]:
    """reported.yaml (metric ``acc``, value a fraction or a percent; optional ``task`` such as
    ``mmlu-college_medicine`` and ``split``) or a wide CSV table (``reported_from_table``)."""
    p = Path(path)
    if p.suffix.lower() in (".csv", ".tsv"):
        return reported_from_table(p)
    from lugha.evaluate.mt import read_reported

    out = []
    for e in read_reported(p):
        if e["metric"] in ("acc", "acc_norm"):
            if e["value"] > 1:
                e["value"] = e["value"] / 100
            out.append(e)
    return out


def match_reported(entries: list[dict], model: str, lang: str, subject: str) -> dict | None:
    """The entry for this model (its name inside the measured model's name or --reported-as, case-
    insensitively), language and subject (the task names the subject, e.g. mmlu-college_medicine)."""
    m = model.lower()
    for e in entries:
        if e["lang"] != lang or e["metric"] != "acc":
            continue
        if e.get("model") and e["model"].lower() not in m:
            continue
        task = (e.get("task") or "").lower()
        if task and subject.lower() not in task.replace("-", "_"):
            continue
        return {"value": e["value"], "source": e.get("source", ""), "split": e.get("split"),
                "model": e.get("model"), "task": e.get("task")}
    return None


# ---- outputs ---------------------------------------------------------------------------------------

PREDICTION_FIELDS = ("file", "subject", "lang", "id", "line", "answer", "pred", "pred_norm", "correct",
                     "loglik_A", "loglik_B", "loglik_C", "loglik_D")


def prediction_rows(result: dict) -> list[dict]:
    rows = []
    for f in result["files"]:
        for x in f["items"]:
            rows.append({"file": f["file"], "subject": f["subject"], "lang": f["lang"], "id": x["id"],
                         "line": x["line"], "answer": x["answer"], "pred": x["pred"], "pred_norm": x["pred_norm"],
                         "correct": x["correct"], **{f"loglik_{k}": v for k, v in zip(LETTERS, x["loglik"])}})
    return rows


def write_predictions(result: dict, path: str | Path) -> Path:
    """Per-item predictions as Parquet (``.parquet``) or JSONL (anything else)."""
    from lugha.records import write_parquet, write_text

    rows = prediction_rows(result)
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        import pyarrow as pa

        return write_parquet(p, pa.Table.from_pylist(rows))
    return write_text(p, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def _pct(v) -> str:
    return "" if v is None else f"{100 * v:.1f}"


def table_rows(result: dict) -> list[list[str]]:
    """file/lang rows: lang, subject, n, acc %, 95% CI, chance, gap to English [CI], reported."""
    out = []

    def row(label, subject, s):
        gap = s.get("english_gap")
        rep = s.get("reported")
        out.append([label, subject, str(s["n"]), _pct(s["accuracy"]),
                    f"{_pct(s['ci95'][0])}–{_pct(s['ci95'][1])}", _pct(s["chance"]),
                    "" if not gap else f"{100 * gap['gap']:+.1f} [{100 * gap['ci95'][0]:+.1f}, {100 * gap['ci95'][1]:+.1f}]",
                    "" if not rep else f"{_pct(rep['value'])} ({rep.get('split') or '?'} split)"])

    for f in result["files"]:
        row(f["lang"], f["subject"], f)
    many = {}
    for f in result["files"]:
        many[f["lang"]] = many.get(f["lang"], 0) + 1
    for code, s in result["languages"].items():
        if many.get(code, 0) > 1:
            row(code, "all", s)
    return out


HEADERS = ["lang", "subject", "n", "acc %", "95% CI (Wilson)", "chance %", "gap to English, points [95% CI]",
           "reported %"]


def report(result: dict):
    """The result as a report-kit Report (Markdown and HTML from one structure)."""
    from lugha import report as kit
    from lugha.report import Chart, Code, Paragraph, Report, Table

    labels = [f"{f['lang']} {f['subject']}" for f in result["files"]]
    blocks = [
        Paragraph([f"{result['shots']}-shot, lm-evaluation-harness's MMLU prompt; accuracy by the highest summed "
                   "log-likelihood of ", Code("' A'..' D'"), f"; chance is {_pct(1 / len(LETTERS))}%. The gap to "
                   "English pairs the same items in English, with a percentile bootstrap interval over items."]),
        Table(HEADERS, table_rows(result)),
        Chart(kit.bar_chart(labels, [f["accuracy"] for f in result["files"]], title="accuracy (95% Wilson interval)",
                            xlabel="accuracy", errors=[tuple(f["ci95"]) for f in result["files"]], fmt="{:.2f}")),
    ]
    if any(f.get("reported") for f in result["files"]):
        blocks.append(Paragraph("Reported figures are the source's own (see their split): a different split or "
                                "prompt makes them a reference, not a replication.", cls="muted"))
    return Report(f"Multiple-choice accuracy: {result['model']}", blocks=blocks, signature=result["signature"])


def render_markdown(result: dict) -> str:
    return report(result).markdown()


def render_html(result: dict) -> str:
    return report(result).html()
