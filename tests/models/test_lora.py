"""`lugha train lora` and the `lora:DIR` spec.

Fast tests on the tiny random Llama (tests/models/conftest.py): the adapter folder names its base by
a relative path + SHA-256, moves with its base, refuses another base, and bad input is one line.
Slow tests on the real borrowed models (SmolLM2-135M, Gemma 3 270M) and real Somali news: a short
run lowers held-out bits/byte against zero-shot, and the merged model, reloaded, gives the adapter's
figure to 1e-4."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest

from lugha.errors import LughaError

from .conftest import LINES

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

TINY_SETS = {"context": "16", "batch_size": "2", "lr": "1e-2", "warmup_steps": "1", "val_permille": "300",
             "eval_windows": "2"}


@pytest.fixture
def tiny_text(tmp_path):
    f = tmp_path / "train.hau.txt"
    words = " ".join(LINES).split()
    f.write_text("\n".join(" ".join(words[i: i + 7]) for i in range(0, len(words), 3)) + "\n", encoding="utf-8")
    return f


def _train_tiny(base_dir, text, out, **kw):
    from lugha.train.lora import train_lora

    return train_lora(f"hf:{base_dir}", [text], out, rank=4, steps=3, overrides=TINY_SETS, **kw)


def test_adapter_names_base_relatively_and_moves_with_it(tiny_llama, tiny_text, tmp_path):
    from lugha.models.base import load_model

    home = tmp_path / "a"
    shutil.copytree(tiny_llama, home / "base")
    info = _train_tiny(home / "base", tiny_text, home / "adapter")
    cfg = json.loads((home / "adapter" / "adapter_config.json").read_text())
    meta = json.loads((home / "adapter" / "lugha_lora.json").read_text())
    assert cfg["base_model_name_or_path"] == "../base" and meta["base"]["path"] == "../base"
    for f in ("adapter_config.json", "lugha_lora.json"):  # what loading reads: no absolute path
        assert str(tmp_path) not in (home / "adapter" / f).read_text(), f
    assert info["steps"] == 3 and info["trainable_parameters"] < info["parameters"]

    shutil.move(home, tmp_path / "b")  # base and adapter move together: the relative path holds
    m = load_model(f"lora:{tmp_path / 'b' / 'adapter'}")
    held = [t for t in LINES]
    nats = sum(n for n, _ in m.loglik(held))
    base = load_model(f"hf:{tmp_path / 'b' / 'base'}")
    assert nats != pytest.approx(sum(n for n, _ in base.loglik(held)), abs=1e-3)  # the adapter changes the model
    out = m.generate(["Gwamnati ta ce"], max_new_tokens=4)  # continuations, for eval fidelity
    assert len(out) == 1 and out == m.generate(["Gwamnati ta ce"], max_new_tokens=4)
    sig = m.signature()
    assert sig["base_sha256"] == meta["base"]["sha256"] and "peft-" in sig["backend"]
    assert sig["lora_rank"] == 4

    shutil.move(tmp_path / "b" / "adapter", tmp_path / "adapter")  # now without its base
    with pytest.raises(LughaError) as e:
        load_model(f"lora:{tmp_path / 'adapter'}")
    assert str(e.value) == (f"{tmp_path / 'adapter'}: the LoRA's base model is not at ../base (relative to the "
                            f"adapter folder; sha256 {meta['base']['sha256'][:12]}): put base there")


def test_adapter_refuses_another_base(tiny_llama, tiny_text, tmp_path):
    from transformers import LlamaForCausalLM

    from lugha.models.base import load_model

    shutil.copytree(tiny_llama, tmp_path / "base")
    _train_tiny(tmp_path / "base", tiny_text, tmp_path / "adapter")
    want = json.loads((tmp_path / "adapter" / "lugha_lora.json").read_text())["base"]["sha256"]
    other = LlamaForCausalLM.from_pretrained(tmp_path / "base")
    torch.manual_seed(1)
    for p in other.parameters():
        p.data.normal_()
    other.save_pretrained(tmp_path / "base")  # same shape, other weights
    with pytest.raises(LughaError, match=r"^.*adapter: the base model at hf:.* has sha256 [0-9a-f]{12}, but the "
                                         rf"adapter was trained on {want[:12]}: not the same model$"):
        load_model(f"lora:{tmp_path / 'adapter'}")


def test_bad_input_is_one_line(cli, tiny_llama, tiny_text, tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    def run(*args):
        r = cli("train", "lora", *args, "--out", tmp_path / "o", "--steps", "1")
        assert r.exit_code == 2, r.output
        lines = r.stderr.strip().splitlines()  # status lines ("loading ..."), then the one error line
        assert [x for x in lines if x.startswith("lugha: error:")] == lines[-1:], r.stderr
        assert "Traceback" not in r.stderr
        return lines[-1]

    assert run("--base", "llama:x", tiny_text).startswith("lugha: error: model spec 'llama:x' is not BACKEND:PATH")
    assert run("--base", "gemma9", tiny_text).startswith("lugha: error: model spec 'gemma9' is not BACKEND:PATH")
    assert run("--base", f"ngram:{tiny_text}", tiny_text) == (
        f"lugha: error: --base must be an hf:, gguf: or embedded model (gemma3-270m, smollm2-135m), "
        f"got 'ngram:{tiny_text}'")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n\n", encoding="utf-8")
    assert run("--base", f"hf:{tiny_llama}", empty) == (
        f"lugha: error: no text to train on: {empty} has no non-blank documents")
    # a tokenizer with more tokens than the model has embedding rows
    small = tmp_path / "small"
    shutil.copytree(tiny_llama, small)
    cfg = LlamaConfig.from_pretrained(small)
    n_tok = cfg.vocab_size
    cfg.vocab_size = 100
    LlamaForCausalLM(cfg).save_pretrained(small)
    assert run("--base", f"hf:{small}", tiny_text) == (
        f"lugha: error: {small}: the tokenizer's vocabulary ({n_tok:,} tokens) does not match the model's "
        f"embedding (100 rows): ids past 99 have no embedding")
    assert run("--base", f"hf:{tiny_llama}", tiny_text, "--set", "rankk=3") .startswith(
        "lugha: error: --set rankk: unknown setting; settable: alpha, ")
    assert not (tmp_path / "o").exists()


def test_training_rows_are_what_the_evaluation_scores(tiny_llama):
    """LoRA trains on rows that start as lugha's scoring starts a document (BOS, then the document):
    over one epoch the loop's summed cross-entropy equals `loglik`'s nats on the same documents, and
    with a short context every token is still a target exactly once, each row starting with BOS."""
    import torch.nn.functional as F

    from lugha.models.base import load_model
    from lugha.train.data import DocumentBatches

    m = load_model(f"hf:{tiny_llama}")
    docs = [m.encode(t) for t in LINES]
    whole = DocumentBatches(docs, m.prefix, max(len(d) for d in docs), len(docs), seed=0, pad=m.pad)
    assert len(whole.rows) == len(docs) and whole.epochs(1) == 1.0
    mb = whole(0)[0]  # one step = one epoch: every document once, padded, in a seeded order
    assert (mb["input_ids"][:, 0] == m.prefix).all()
    with torch.no_grad():
        logits = m.model(input_ids=mb["input_ids"], attention_mask=mb["attention_mask"]).logits
    ce = F.cross_entropy(logits.transpose(1, 2), mb["labels"], ignore_index=-100, reduction="sum")
    assert int((mb["labels"] != -100).sum()) == sum(len(d) for d in docs)
    assert float(ce) == pytest.approx(-sum(x for x, _ in m.loglik(LINES)), rel=1e-5)

    short = DocumentBatches(docs, m.prefix, 5, 1, seed=1, pad=m.pad)  # documents cut into pieces
    assert len(short.rows) > len(docs)
    scored = []
    for step in range(len(short.rows)):  # one epoch
        (mb,) = short(step)
        assert mb["input_ids"][0, 0] == m.prefix and mb["input_ids"].shape[1] <= 5
        scored += [int(x) for x in mb["labels"][0] if x != -100]
    assert sorted(scored) == sorted(t for d in docs for t in d) and len(scored) == short.targets


# ---- real borrowed models, real Somali news --------------------------------------------------------

def _sentences(path, articles, lo=60, hi=300):
    csv.field_size_limit(1 << 30)
    out = []
    with open(path, encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f, delimiter="\t")):
            if i >= articles:
                break
            for s in re.split(r"(?<=[.!?])\s+", row["text"]):
                s = s.strip().strip('"')
                if lo <= len(s) <= hi:
                    out.append(s)
    return out


@pytest.fixture(scope="module")
def somali(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("som")
    train = _sentences(shared_data / "masakhanews_lm" / "som.train.tsv", 40)[:200]
    held = _sentences(shared_data / "masakhanews" / "som.dev.tsv", 5)[:10]  # other articles, another split
    (d / "train.som.txt").write_text("\n".join(train) + "\n", encoding="utf-8")
    (d / "held.som.txt").write_text("\n".join(held) + "\n", encoding="utf-8")
    return d / "train.som.txt", d / "held.som.txt"


REAL = {
    # base: (settings, steps). Short sequences: a 1,024-token Gemma step costs ~20 CPU-s and ~8 GB.
    "smollm2-135m": ({"context": 64, "batch_size": 4, "lr": 2e-3, "warmup_steps": 1, "val_permille": 20,
                      "eval_windows": 1}, 6),
    # Gemma 3 270M at the library's default lr (5e-4): at 2e-3 / 5e-3 its held-out bpb goes up whatever
    # the rows (docs/train.md); on train lm's packed windows (no BOS at position 0)
    # it fell by 0.039 only, on BOS-first document rows by 0.088 (measured 2026-12-01).
    "gemma3-270m": ({"context": 64, "batch_size": 4, "warmup_steps": 1, "val_permille": 20, "eval_windows": 1}, 8),
}


@pytest.mark.slow
@pytest.mark.parametrize("base", list(REAL))
def test_lora_on_real_model_lowers_bpb_merged_equals_adapter(base, somali, tmp_path):
    pytest.importorskip("gguf")
    from lugha.evaluate.bpb import evaluate_bpb
    from lugha.models.base import load_model
    from lugha.models.embedded import embedded_path
    from lugha.train.lora import train_lora

    try:
        embedded_path(base)
    except LughaError as e:
        pytest.skip(str(e))
    train, held = somali
    sets, steps = REAL[base]
    info = train_lora(base, [train], tmp_path / "a" / "adapter", rank=8, steps=steps, merge=True,
                      eval_files=[held], overrides={k: str(v) for k, v in sets.items()})
    ev = info["eval"][str(held)]
    assert ev["bpb"] < ev["zero_shot_bpb"] - 0.05, ev  # adapted to Somali news
    assert info["val_bpb"] < info["zero_shot_val_bpb"]
    # tokens seen = scored targets: steps x batch rows of at most context tokens (padding not counted)
    assert info["steps"] == steps and 0 < info["tokens_seen"] <= steps * sets["batch_size"] * sets["context"]
    assert info["base"] == base and info["signature"]["params"]["base_sha256"] == load_sha(base)

    shutil.move(tmp_path / "a", tmp_path / "elsewhere")  # an embedded base is found wherever pip put it
    d = tmp_path / "elsewhere" / "adapter"
    assert json.loads((d / "adapter_config.json").read_text())["base_model_name_or_path"] == base
    lora = evaluate_bpb(load_model(f"lora:{d}"), [held], n_boot=10)
    merged = evaluate_bpb(load_model(f"hf:{d / 'merged'}"), [held], n_boot=10)
    assert lora["files"][0]["bpb"] == pytest.approx(merged["files"][0]["bpb"], abs=1e-4)
    assert lora["files"][0]["bpb"] == pytest.approx(ev["bpb"], abs=1e-4)  # what training reported


def load_sha(base):
    from lugha.records import sha256_files
    from lugha.models.embedded import embedded_path

    return sha256_files([embedded_path(base)])


def test_compare_table_borrowed_adapted_local(cli, tiny_llama, tiny_text, tmp_path):
    """One table per language: the borrowed model zero-shot, + LoRA, and the local n-gram, with the
    training figures read from the adapter's training.json and the drift from fidelity results."""
    info = _train_tiny(tiny_llama, tiny_text, tmp_path / "adapter")
    held = tmp_path / "held.hau.txt"
    held.write_text("\n".join(LINES[:3]) + "\n", encoding="utf-8")
    assert cli("train", "ngram", tiny_text, "--order", "3", "--out", tmp_path / "hau3.lm").exit_code == 0
    specs = {"zero": f"hf:{tiny_llama}", "lora": f"lora:{tmp_path / 'adapter'}", "ngram": f"ngram:{tmp_path / 'hau3.lm'}"}
    results = []
    for name, spec in specs.items():
        out = tmp_path / f"{name}.bpb.json"
        r = cli("eval", "bpb", "--model", spec, held, "--json", out, "--bootstrap", "20")
        assert r.exit_code == 0, r.output
        results.append(out)
    gens = tmp_path / "gens.jsonl"  # existing continuations: one in Hausa, one drifting into English
    gens.write_text(json.dumps({"completion": "Gwamnati ta ce za ta gina sababbin makarantu a jihar nan.",
                                "language": "hau"}) + "\n" + json.dumps(
        {"completion": "The government said it will build new schools in the state.", "language": "hau"}) + "\n")
    fid = tmp_path / "lora.fid.json"
    r = cli("eval", "fidelity", "--lang", "hau", "--generations", gens, "--model", specs["lora"], "--json", fid)
    assert r.exit_code == 0, r.output
    r = cli("compare", *results, fid, "--out", tmp_path / "cmp")
    assert r.exit_code == 0, r.output
    cmp = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    rows = {x["model"]: x for x in cmp["rows"] if x["lang"] == "hau"}
    assert [x["kind"] for x in cmp["rows"]] == ["borrowed", "borrowed + LoRA", "local n-gram"]
    lora, zero = rows[specs["lora"]], rows[specs["zero"]]
    # scored targets of 3 steps of 2 document rows (<= 16 tokens each, padding not counted)
    assert lora["train_tokens"] == info["tokens_seen"] and 0 < info["tokens_seen"] <= 3 * 2 * 16
    assert lora["train_wall_s"] == info["compute"]["wall_seconds"] and lora["train_peak_mb"] > 0
    assert lora["trainable_params"] == info["trainable_parameters"] < lora["n_params"]
    by_file = {json.loads(p.read_text())["model"]: json.loads(p.read_text())["languages"]["hau"] for p in results}
    assert lora["bpb"] == by_file[specs["lora"]]["bpb"] and lora["bpb_ci95"] == by_file[specs["lora"]]["ci95"]
    assert lora["lpr"] == 0.5 and lora["drift_eng"] == 0.5 and lora["drift_other"] == 0.0
    assert f"LoRA takes {zero['name']} from {zero['bpb']:.3f} to {lora['bpb']:.3f} bpb after " \
        f"{info['tokens_seen']} training tokens" \
        in cmp["verdicts"]["hau"]
    ngram_rec = json.loads((tmp_path / "hau3.lm.training.json").read_text())  # the n-gram's own record
    ngram = rows[specs["ngram"]]
    assert ngram["train_tokens"] == ngram_rec["characters_seen"] > 0
    assert ngram["train_wall_s"] == ngram_rec["compute"]["wall_seconds"]
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "| hau | borrowed + LoRA |" in md and "training tokens" in md
