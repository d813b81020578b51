"""A local tokenizer trained on ~1.5 MB of Amharic beats every borrowed one on held-out NTREX lines;
extending Llama 3 with Amharic tokens lowers its premium without moving its existing ids."""

from __future__ import annotations

import json

import pytest
from tokens_helpers import require_presets

from lugha.tokens import specs


def test_training_text_excludes_held_out_lines(amh_training):
    path, held_out = amh_training
    text = path.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) > 1_000_000
    assert not any(h in text for h in held_out if len(h) > 30)


@pytest.mark.slow
def test_local_bpe_premium_below_every_preset(cli, ntrex, amh_training, tmp_path):
    require_presets(*specs.PRESETS)
    path, _ = amh_training
    local = tmp_path / "amh-bpe"
    r = cli("tokens", "train", path, "--lang", "amh", "--vocab-size", "16000", "--kind", "bpe", "--out", local)
    assert r.exit_code == 0, r.output
    out = tmp_path / "r.json"
    r = cli("tokens", "tax", ntrex, "--lang", "amh", "-t", ",".join(specs.PRESETS), "-t", f"hf:{local}",
            "--json", out, "--md", tmp_path / "r.md")
    assert r.exit_code == 0, r.output
    got = json.loads(out.read_text(encoding="utf-8"))
    # A monolingual Amharic tokenizer splits English badly, which would flatter its own premium;
    # divide its Amharic count by the *fewest* English tokens any preset needs instead (the
    # hardest baseline for it), and compare with each preset's own premium.
    eng = min(got["tokens"][s]["eng"] for s in specs.PRESETS)
    local_premium = got["tokens"][f"hf:{local}"]["amh"] / eng
    best_preset = min(got["premium"][s]["amh"] for s in specs.PRESETS)
    assert local_premium < best_preset, (local_premium, best_preset)
    # --ref-tokenizer gives the same comparison in the report itself
    fixed = tmp_path / "fixed.json"
    r = cli("tokens", "tax", ntrex, "--lang", "amh", "-t", f"hf:{local}", "--ref-tokenizer", "gpt4o-o200k",
            "--json", fixed, "--md", tmp_path / "fixed.md")
    assert r.exit_code == 0, r.output
    f = json.loads(fixed.read_text(encoding="utf-8"))
    assert f["premium"][f"hf:{local}"]["amh"] == got["tokens"][f"hf:{local}"]["amh"] / got["tokens"]["gpt4o-o200k"]["eng"]
    rows = {(x["tokenizer"], x["lang"]): x for x in got["rows"]}
    # byte-level BPE learnt whole Ge'ez letters: only rare ones stay split into bytes
    assert rows[(f"hf:{local}", "amh")]["fragment_share"] < 0.01 < rows[("gpt4-cl100k", "amh")]["fragment_share"]
    assert rows[(f"hf:{local}", "amh")]["fertility"] < rows[("gemma3", "amh")]["fertility"]


def test_unigram_trains_and_loads(cli, amh_training, tmp_path):
    path, held_out = amh_training
    out = tmp_path / "uni"
    r = cli("tokens", "train", path, "--lang", "am", "--vocab-size", "4000", "--kind", "unigram", "--out", out)
    assert r.exit_code == 0, r.output
    tok = specs.resolve(f"hf:{out}")
    assert 3000 < tok.vocab_size <= 4000
    ids = tok.encode(held_out[0])
    assert 0 < len(ids) < len(held_out[0])


def test_train_rejects_unknown_kind(cli, tmp_path):
    (tmp_path / "t.txt").write_text("x\n", encoding="utf-8")
    r = cli("tokens", "train", tmp_path / "t.txt", "--lang", "hau", "--vocab-size", "1000", "--kind", "wordpiece",
            "--out", tmp_path / "o")
    assert r.exit_code == 2
    assert r.stderr.strip() == "lugha: error: unknown --kind 'wordpiece'; use bpe or unigram"


@pytest.mark.slow
@pytest.mark.parametrize("base", ["llama3", "llama2"])
def test_extend_lowers_premium_and_keeps_base_ids(cli, ntrex, amh_training, tmp_path, base):
    require_presets(base)
    path, _ = amh_training
    out = tmp_path / "ext"
    res = tmp_path / "ext.json"
    r = cli("tokens", "extend", base, path, "--add", "2000", "--out", out, "--parallel", ntrex,
            "--lang", "amh,hau", "--json", res)
    assert r.exit_code == 0, r.output
    info = json.loads(res.read_text(encoding="utf-8"))
    assert info["added"] == 2000
    before, after = info["premium"]["amh"]
    assert after < 0.8 * before, (before, after)
    old = json.loads(specs.preset_path(base).read_text(encoding="utf-8"))["model"]["vocab"]
    new = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    assert len(new) == len(old) + 2000
    assert all(new[t] == i for t, i in old.items())
    sentence = "The quick brown fox jumps over the lazy dog."
    assert specs.resolve(f"hf:{out}").encode(sentence) == specs.resolve(base).encode(sentence)
