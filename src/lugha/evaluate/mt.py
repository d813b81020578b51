"""Machine translation scores with sacrebleu (chrF++ and BLEU, each with its own signature), and
the team's ``reported.yaml``: a vendor's published score per model/language/metric, shown next to
the measured one.

reported.yaml::

    - model: gemma-3-270m      # free text, matched against the model name in results
      lang: hau
      metric: chrf++           # chrf++ | bleu | bpb | lpr | wpr | acc | acc_norm
      value: 38.1
      source: "vendor model card, table 4"
"""

from __future__ import annotations

from pathlib import Path

from lugha.errors import LughaError
from lugha.records import read_lines
from lugha.signature import Signature

METRICS = ("chrf++", "bleu", "bpb", "lpr", "wpr", "acc", "acc_norm")


def score_mt(hyp: str | Path, ref: str | Path, lang: str | None = None, model: str = "") -> dict:
    import sacrebleu
    from sacrebleu.metrics import BLEU, CHRF

    from lugha.evaluate.texts import language_of

    hyps, refs = read_lines(hyp), read_lines(ref)
    if not hyps:
        raise LughaError("hypothesis file is empty", path=hyp)
    if len(hyps) != len(refs):
        raise LughaError(f"hypothesis has {len(hyps)} lines but the reference {ref} has {len(refs)}", path=hyp)
    code = language_of(ref, lang)
    chrf = CHRF(word_order=2)  # chrF++
    # Unspaced scripts need sacrebleu's character-aware tokenisers for BLEU.
    tok = "zh" if code == "zho" else "char" if code in {"jpn", "kor", "tha", "lao", "khm", "mya", "bod"} else "13a"
    bleu = BLEU(tokenize=tok)
    c = chrf.corpus_score(hyps, [refs])
    b = bleu.corpus_score(hyps, [refs])
    return {
        "kind": "mt", "model": model or str(hyp), "lang": code, "segments": len(hyps),
        "chrf++": round(c.score, 2), "bleu": round(b.score, 2),
        "chrf_signature": str(chrf.get_signature()), "bleu_signature": str(bleu.get_signature()),
        "signature": Signature.build("mt", [hyp, ref], params={"lang": code, "hyp": str(hyp), "ref": str(ref)},
                                     backends={"sacrebleu": sacrebleu.__version__}).to_dict(),
    }


def read_reported(path: str | Path) -> list[dict]:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise LughaError("no such file", path=path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise LughaError(f"not valid YAML: {getattr(e, 'problem', e)}", path=path,
                         line=mark.line + 1 if mark else None) from None
    except UnicodeDecodeError:
        raise LughaError("not UTF-8 text", path=path) from None
    if doc is None:
        return []
    if isinstance(doc, dict) and "reported" in doc:
        doc = doc["reported"]
    if not isinstance(doc, list):
        raise LughaError("expected a list of {model, lang, metric, value} entries", path=path)
    out = []
    for i, e in enumerate(doc, 1):
        if not isinstance(e, dict) or not {"lang", "metric", "value"} <= set(e):
            raise LughaError(f"entry {i} needs lang, metric and value", path=path)
        metric = str(e["metric"]).lower().replace("chrf+ +", "chrf++")
        if metric not in METRICS:
            raise LughaError(f"entry {i}: unknown metric {e['metric']!r} (one of {', '.join(METRICS)})", path=path)
        try:
            value = float(e["value"])
        except (TypeError, ValueError):
            raise LughaError(f"entry {i}: value {e['value']!r} is not a number", path=path) from None
        from lugha.langs import resolve

        out.append({"model": str(e.get("model", "")), "lang": resolve(str(e["lang"])).code,
                    "metric": metric, "value": value, "source": str(e.get("source", "")),
                    # for acc: the task (mmlu-college_medicine) and split the figure is on
                    "task": str(e.get("task", "")), "split": str(e.get("split", "")) or None})
    return out
