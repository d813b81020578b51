"""`lugha train lm` on real Somali news: it learns (bpb well below a character unigram), the folder
is a plain Hugging Face model whose bits/byte computed with transformers alone equals lugha's, and
the counts reconcile."""

from __future__ import annotations

import json
import math

import pytest

from tests.train.conftest import MICRO, char_unigram_bpb

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(som, tmp_path_factory, cli):
    train, held = som
    out = tmp_path_factory.mktemp("lm") / "model"
    r = cli("train", "lm", train, "--out", out, "--steps", "400", "--tokenizer", "bpe:1000", "--eval", held,
            *MICRO, "--set", "lr=5e-3", "--set", "warmup_steps=10")
    assert r.exit_code == 0, r.output
    return out, json.loads((out / "training.json").read_text())


@pytest.fixture(scope="module")
def cli():
    from typer.testing import CliRunner

    from lugha.cli import app
    from tests.conftest import CliResult

    return lambda *a: CliResult(CliRunner().invoke(app, [str(x) for x in a], catch_exceptions=False))


def test_learns_well_below_a_character_unigram(trained, som):
    out, info = trained
    train_docs = som[0].read_text(encoding="utf-8").splitlines()
    val = [json.loads(line)["text"] for line in (out / "data" / "val.jsonl").read_text().splitlines()]
    unigram = char_unigram_bpb([t for t in train_docs if t not in val], val)
    assert 4.0 < unigram < 4.6  # Somali in Latin script: ~4.3 bits per character
    assert info["val_bpb"] < unigram - 1.5, (info["val_bpb"], unigram)
    # an untrained model is a uniform guess over the 1,000 tokens, which is already below the
    # unigram (a token is ~3 bytes): the trained one must beat that by far too
    c = info["data"]["counts"]
    uniform = math.log2(1000) * (c["val_tokens"] - c["validation"]) / info["val_bytes"]
    assert info["val_bpb"] < uniform - 0.6, (info["val_bpb"], uniform)
    held = info["eval"][str(som[1])]
    assert held["documents"] == 20 and held["bpb"] < unigram - 1.3
    # the loss curve went down
    assert info["evals"][-1]["val_loss"] < math.log(1000) - 1.5


def test_counts_reconcile_and_record_the_run(trained, som):
    out, info = trained
    c = info["data"]["counts"]
    assert c["documents"] == 120
    assert c["documents"] == c["train"] + c["validation"] + c["dropped_eval_overlap"] + c["blank"]
    assert c["validation"] >= 1 and c["unreadable"] == 0
    assert info["steps"] == 400 and info["tokens_seen"] == 400 * 8 * 64
    assert info["config"]["layers"] == 2 and info["parameters"] > 0
    assert (out / "data" / "train.bin").stat().st_size == 4 * c["train_tokens"]  # uint32
    sig = info["signature"]
    assert sig["task"] == "train-lm" and sig["inputs"][str(som[0])] and sig["model"]
    assert sig["params"]["tokenizer_sha256"] == info["data"]["tokenizer_sha256"]
    card = (out / "MODEL_CARD.md").read_text()
    assert f"{info['val_bpb']:.4f}" in card and "to be written by the team" in card
    from lugha.signature import format_signature

    assert format_signature(sig) in card


def test_plain_transformers_bpb_equals_lugha_eval_bpb(trained, tmp_path, cli):
    """Load with AutoModelForCausalLM/AutoTokenizer only and score each document from BOS: the same
    bits/byte as `lugha eval bpb --model hf:DIR`, and as training.json's val_bpb."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, info = trained
    val = [json.loads(line)["text"] for line in (out / "data" / "val.jsonl").read_text().splitlines()]
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    ctx = model.config.max_position_embeddings
    nats = nbytes = 0.0
    with torch.no_grad():
        for t in val:
            ids = [tok.bos_token_id] + tok(t, add_special_tokens=False)["input_ids"]
            # lm-eval's rolling windows: targets ids[1:] in chunks of ctx; the chunk ending at ids[e]
            # reads the ctx tokens before it (so the last, shorter chunk still gets a full context)
            for first in range(1, len(ids), ctx):
                e = min(first + ctx - 1, len(ids) - 1)
                lo = max(0, e - ctx)
                x = torch.tensor([ids[lo: e]])
                logp = torch.log_softmax(model(x).logits[0], -1)
                n = e - first + 1
                tgt = torch.tensor(ids[e - n + 1: e + 1])
                nats += float(logp[-n:].gather(1, tgt[:, None]).sum())
            nbytes += len(t.encode("utf-8"))
    plain = -nats / nbytes / math.log(2)
    res = tmp_path / "bpb.json"
    r = cli("eval", "bpb", "--model", f"hf:{out}", out / "data" / "val.jsonl", "--json", res)
    assert r.exit_code == 0, r.output
    lugha = json.loads(res.read_text())["files"][0]["bpb"]
    assert abs(plain - lugha) < 1e-5, (plain, lugha)
    assert abs(info["val_bpb"] - lugha) < 1e-9
