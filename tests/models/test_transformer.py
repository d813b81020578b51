import pytest

from lugha.errors import LughaError
from lugha.models.base import load_model, parse_spec
from lugha.models.transformer import rolling_windows

torch = pytest.importorskip("torch")

from .conftest import LINES  # noqa: E402


def _direct_loglik(model, text):
    """A plain forward pass: [BOS] + tokens, sum of log p(token | prefix)."""
    ids = [model.prefix] + model.encode(text)
    with torch.inference_mode():
        logits = model.model(input_ids=torch.tensor([ids])).logits.float()
    logp = torch.log_softmax(logits[0, :-1], -1)
    return float(logp.gather(1, torch.tensor(ids[1:])[:, None]).sum())


@pytest.fixture(scope="module")
def tiny(tiny_llama):
    return load_model(f"hf:{tiny_llama}")


def test_loglik_equals_direct_forward_pass(tiny):
    got = tiny.loglik(LINES)
    for text, (nats, nbytes) in zip(LINES, got):
        assert nbytes == len(text.encode("utf-8"))
        assert nats == pytest.approx(_direct_loglik(tiny, text), abs=1e-4)


def test_batched_equals_one_at_a_time(tiny):
    together = tiny.loglik(LINES, batch_tokens=4096)
    alone = [tiny.loglik([t], batch_tokens=1)[0] for t in LINES]
    for (a, _), (b, _) in zip(together, alone):
        assert a == pytest.approx(b, abs=1e-4)


@pytest.mark.parametrize("context,stride", [(8, 8), (8, 3), (16, 1), (5, 5)])
def test_rolling_windows_score_every_token_once(context, stride):
    tokens = list(range(100, 137))
    seen = []
    for inputs, targets, n in rolling_windows(tokens, 1, context, stride):
        assert len(inputs) == len(targets) <= context
        assert inputs[1:] == targets[:-1]  # inputs are exactly the tokens before each target
        seen += targets[len(targets) - n:]
    assert seen == tokens


def test_short_context_rolls_and_long_context_matches_full(tiny):
    text = " ".join(LINES)
    full = tiny.loglik([text])[0][0]
    assert tiny.loglik([text], context=128)[0][0] == pytest.approx(full, abs=1e-4)
    rolled = tiny.loglik([text], context=8, stride=4)[0][0]
    assert rolled != pytest.approx(full, abs=1e-4)  # less context: a different (honest) figure
    assert rolled < 0


def test_generate_greedy_is_deterministic(tiny):
    a = tiny.generate(["Gwamnati ta ce"], max_new_tokens=6)
    b = tiny.generate(["Gwamnati ta ce"], max_new_tokens=6)
    assert a == b and isinstance(a[0], str)
    s1 = tiny.generate(["The"], max_new_tokens=6, temperature=1.0, seed=3)
    s2 = tiny.generate(["The"], max_new_tokens=6, temperature=1.0, seed=3)
    assert s1 == s2


def test_signature_names_backend_and_hash(tiny, tiny_llama):
    sig = tiny.signature()
    assert sig["backend"].startswith("hf:transformers-")
    assert len(sig["model_sha256"]) == 64
    assert sig["n_params"] == sum(p.numel() for p in tiny.model.parameters())


def test_bad_specs_and_files_are_one_line_errors(tmp_path):
    with pytest.raises(LughaError, match=r"^model spec 'llama:x' is not BACKEND:PATH"):
        parse_spec("llama:x")
    notgguf = tmp_path / "model.gguf"
    notgguf.write_bytes(b"PK\x03\x04 a zip, not a gguf")
    with pytest.raises(LughaError) as e:
        load_model(f"gguf:{notgguf}")
    assert str(e.value) == f"{notgguf}: not a GGUF file (missing the GGUF magic bytes)"
    broken = tmp_path / "hf"
    broken.mkdir()
    (broken / "config.json").write_text("{ not json")
    with pytest.raises(LughaError) as e:
        load_model(f"hf:{broken}")
    assert str(e.value).startswith(f"{broken}: cannot load the model:")
    assert "\n" not in str(e.value)


def test_cli_bpb_with_hf_folder_and_rolling_windows(cli, tiny, tiny_llama, tmp_path):
    import json
    import math

    text = tmp_path / "t.hau.txt"
    text.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / "r.json"
    r = cli("eval", "bpb", "--model", f"hf:{tiny_llama}", text, "--context", "8", "--stride", "4", "--json", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    expect = tiny.loglik(LINES, context=8, stride=4)
    nbytes = sum(b for _, b in expect)
    assert doc["files"][0]["bpb"] == pytest.approx(-sum(n for n, _ in expect) / nbytes / math.log(2), abs=1e-6)
    assert doc["signature"]["params"]["context"] == 8 and doc["signature"]["params"]["stride"] == 4
    r = cli("eval", "bpb", "--model", f"hf:{tiny_llama}", text, "--context", "8", "--stride", "9")
    assert r.exit_code == 2 and r.stderr.strip() == "lugha: error: --stride must be between 1 and --context (8), got 9"


def test_half_sentence_split_as_goldfish(tiny):
    """Goldfish's second half: whole-line tokens minus the first k, k = tokens of line[:len // 2]."""
    for text in LINES:
        start = len(text) // 2
        (full, fb), (part, pb) = (x[0] for x in tiny.loglik_split([text], [start]))
        ids = [tiny.prefix] + tiny.encode(text)
        with torch.inference_mode():
            logp = torch.log_softmax(tiny.model(input_ids=torch.tensor([ids])).logits.float()[0, :-1], -1)
        per_token = logp.gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        k = len(tiny.encode(text[:start]))
        assert 0 < k < len(ids) - 1
        assert part == pytest.approx(float(per_token[k:].sum()), abs=1e-4)
        assert full == pytest.approx(float(per_token.sum()), abs=1e-4)
        assert pb == len(text[start:].encode("utf-8")) and fb == len(text.encode("utf-8"))
    # rolling windows (context 8, stride 3) score the same second half
    a = tiny.loglik_split(LINES, [len(t) // 2 for t in LINES])[1]
    b = tiny.loglik_split(LINES, [len(t) // 2 for t in LINES], context=8, stride=3)[1]
    assert a[0][0] != b[0][0]  # different windows, different context...
    c = tiny.loglik_split(LINES, [len(t) // 2 for t in LINES], context=128, stride=128)[1]
    assert [x[0] for x in a] == pytest.approx([x[0] for x in c], abs=1e-4)
