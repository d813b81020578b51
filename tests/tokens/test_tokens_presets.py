"""Every preset is the tokenizer it claims to be: known ids for a fixed sentence."""

from __future__ import annotations

import json

import pytest
from tokens_helpers import require_presets

from lugha.tokens import specs

SENTENCE = "The quick brown fox jumps over the lazy dog."

# cl100k's ids for this sentence are the widely published ones (791 "The", 4062 " quick", ...);
# Llama 3 reuses cl100k's first 100k merges, so its ids agree. Llama 2: "The" is 450 (the
# @lenml "llama2" package, really Mistral-7B v1, gives 415). The others pin the vocabulary file.
KNOWN = {
    "llama2": [450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889],
    "llama3": [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13],
    "gemma3": [818, 3823, 8864, 37423, 38167, 1024, 506, 31770, 4799, 236761],
    "qwen3": [785, 3974, 13876, 38835, 34208, 916, 279, 15678, 5562, 13],
    "mistral-tekken": [1784, 7586, 22980, 94137, 72993, 2136, 1278, 42757, 10575, 1046],
    "deepseek-v4": [671, 4787, 13769, 46012, 54994, 1060, 270, 41638, 6397, 16],
    "gpt4-cl100k": [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13],
    "gpt4o-o200k": [976, 4853, 19705, 68347, 65613, 1072, 290, 29082, 6446, 13],
}


def test_every_preset_has_known_ids():
    assert set(KNOWN) == set(specs.PRESETS)


@pytest.mark.parametrize("name", list(KNOWN))
def test_preset_known_ids(name):
    require_presets(name)
    tok = specs.resolve(name)
    assert tok.encode(SENTENCE) == KNOWN[name]


def test_llama2_is_not_mistral_v1():
    require_presets("llama2")
    assert specs.resolve("llama2").encode("The") == [450]
    assert specs.resolve("mistral:v1").encode("The") == [415]


def test_byte_fallback_tokens_are_counted_as_fragments():
    require_presets("llama2")
    tok = specs.resolve("llama2")
    # Ge'ez letters missing from Llama 2's pieces fall back to bytes (<0xE1> ...)
    ids = tok.encode("ሰላም")
    assert any(i in tok.fragment_ids for i in ids)
    assert not any(i in tok.fragment_ids for i in tok.encode("hello world"))


def test_presets_listing_names_licences(cli):
    r = cli("tokens", "presets", "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)["presets"]
    assert [x["preset"] for x in rows] == list(specs.PRESETS)
    assert all(x["licence"] for x in rows)
    assert {x["preset"] for x in rows if x["installer"] == "pypi"} == {"mistral-tekken", "deepseek-v4", "gpt4-cl100k"}


def test_pypi_presets_work_without_npm():
    for name in ("mistral-tekken", "deepseek-v4", "gpt4-cl100k"):
        assert specs.preset_installed(name), name


def test_a_preset_file_without_its_library_is_not_installed(monkeypatch):
    """The core install (`make demo`) can find npm presets in a shared cache but has no `tokenizers`
    or `tiktoken` to read them: the quickstart must then fall back to the baselines, not fail."""
    assert specs.preset_path("gpt4-cl100k").is_file() and specs.preset_installed("gpt4-cl100k")
    real = specs._find_spec
    monkeypatch.setattr(specs, "_find_spec", lambda m: None if m in ("tiktoken", "tokenizers") else real(m))
    assert specs.preset_path("gpt4-cl100k").is_file()  # the vocabulary file is still there
    assert not specs.preset_installed("gpt4-cl100k") and not specs.preset_installed("deepseek-v4")
    assert specs.preset_installed("mistral-tekken")  # mistral-common is its own library


def test_unknown_spec_lists_presets(cli, tmp_path):
    (tmp_path / "eng.txt").write_text("a\n", encoding="utf-8")
    (tmp_path / "amh.txt").write_text("ሀ\n", encoding="utf-8")
    r = cli("tokens", "tax", tmp_path, "--lang", "amh", "-t", "llama9")
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        "lugha: error: unknown tokenizer spec 'llama9'; presets: llama2, llama3, gemma3, qwen3, "
        "mistral-tekken, deepseek-v4, gpt4-cl100k, gpt4o-o200k; baselines: bytes, chars, words; "
        "or hf:PATH, spm:PATH, tiktoken:NAME, mistral:NAME")


def test_install_without_npm_is_a_clear_error(cli, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    r = cli("tokens", "presets", "--install")
    assert r.exit_code == 2
    assert r.stderr.strip() == "lugha: error: npm and node are needed to install the npm presets; not found on PATH: npm and node"
