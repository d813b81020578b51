"""--resume after kill -9 reaches the same weights as an uninterrupted run; bad input is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.train.conftest import MICRO

REPO = Path(__file__).resolve().parents[2]


def _kwargs(steps):
    sets = dict(s.split("=") for s in MICRO[1::2])
    sets.update(checkpoint_every="3", layers="1")
    return dict(tokenizer="bpe:400", steps=steps, overrides=sets, seed=3)


KILLER = """
import os, signal, sys
from lugha.train.lm import train_lm
def on_log(log):
    if log["step"] == 7:
        os.kill(os.getpid(), signal.SIGKILL)
train_lm([sys.argv[1]], sys.argv[2], on_log=on_log, **{kw})
"""


def test_resume_after_kill_9_equals_an_uninterrupted_run(som, tmp_path):
    from safetensors.torch import load_file

    from lugha.train import checkpoint
    from lugha.train.lm import train_lm

    train = str(som[0])
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    killed = tmp_path / "killed"
    p = subprocess.run([sys.executable, "-c", KILLER.replace("{kw}", repr(_kwargs(12))), train, str(killed)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == -9, p.stderr[-2000:]
    assert not (killed / "model.safetensors").exists()
    assert checkpoint.load(killed / "checkpoint" / "last.pt")["step"] == 6  # the last one before the kill
    logs = []
    info = train_lm([train], killed, resume=True, steps=12, on_log=logs.append)
    assert [log["step"] for log in logs] == list(range(7, 13))  # continued from step 6, not from scratch
    assert info["steps"] == 12 and info["tokens_seen"] == 12 * 8 * 64
    whole = tmp_path / "whole"
    ref = train_lm([train], whole, **_kwargs(12))
    assert ref["data"]["tokenizer_sha256"] == info["data"]["tokenizer_sha256"]
    a, b = load_file(killed / "model.safetensors"), load_file(whole / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert (a[k] == b[k]).all(), k
    assert info["val_bpb"] == ref["val_bpb"]


@pytest.fixture()
def run_cli():
    from typer.testing import CliRunner

    from lugha.cli import app

    def run(*args):
        r = CliRunner().invoke(app, [str(a) for a in args])
        err = r.stderr if r.stderr_bytes is not None else r.output
        errors = [line for line in err.splitlines() if line.startswith("lugha: error:")]
        assert len(errors) <= 1
        return r.exit_code, errors[0] if errors else err
    return run


def test_empty_text_is_one_line(tmp_path, run_cli):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    code, err = run_cli("train", "lm", empty, "--out", tmp_path / "m", "--steps", "2")
    assert code == 2
    assert err.strip() == f"lugha: error: no text to train on: {empty} has no non-blank documents"


def test_text_smaller_than_one_context_is_one_line(tmp_path, run_cli):
    small = tmp_path / "small.txt"
    small.write_text("Waa maalin wanaagsan.\nMagaalada Muqdisho ayaa roob ka da'ay.\nWaxaa la sheegay in ay dhacday.\n",
                     encoding="utf-8")
    code, err = run_cli("train", "lm", small, "--out", tmp_path / "m", "--steps", "2", "--tokenizer", "bytes")
    assert code == 2
    assert err.strip().startswith("lugha: error: the training text is ")
    assert err.strip().endswith("tokens, smaller than one context of 256 + 1 tokens; give more text or a smaller --context")
    assert len(err.strip().splitlines()) == 1


def test_unknown_tokenizer_spec_is_one_line(som, tmp_path, run_cli):
    code, err = run_cli("train", "lm", som[0], "--out", tmp_path / "m", "--steps", "2", "--tokenizer", "nosuch:xyz")
    assert code == 2
    assert err.strip().startswith("lugha: error: unknown tokenizer spec 'nosuch:xyz'; presets: ")
    code, err = run_cli("train", "lm", som[0], "--out", tmp_path / "m", "--steps", "2", "--tokenizer", "bpe:many")
    assert code == 2 and "the vocabulary size must be a number" in err


def test_resume_without_checkpoint_is_one_line(som, tmp_path, run_cli):
    code, err = run_cli("train", "lm", som[0], "--out", tmp_path / "none", "--steps", "2", "--resume")
    assert code == 2 and err.strip() == f"lugha: error: {tmp_path / 'none' / 'checkpoint' / 'last.pt'}: --resume: no checkpoint to resume from"


def test_compiled_training_matches_eager_and_saves_plain_names(som, tmp_path):
    """--compile runs the same arithmetic (to float32 rounding) and writes the same HF folder."""
    from safetensors.torch import load_file

    from lugha.train.lm import train_lm

    kw = _kwargs(4)
    kw["overrides"]["checkpoint_every"] = "0"
    eager = train_lm([str(som[0])], tmp_path / "eager", **kw)
    compiled = train_lm([str(som[0])], tmp_path / "compiled", compile=True, **kw)
    assert compiled["config"]["compile"] is True and eager["config"]["compile"] is False
    a, b = load_file(tmp_path / "eager" / "model.safetensors"), load_file(tmp_path / "compiled" / "model.safetensors")
    assert a.keys() == b.keys()  # no torch.compile "_orig_mod." prefix in the saved names
    from lugha.train import checkpoint

    ca, cb = (checkpoint.load(tmp_path / d / "checkpoint" / "last.pt")["model"] for d in ("eager", "compiled"))
    assert ca.keys() == cb.keys()  # so --resume reads a compiled run's checkpoint (with or without --compile)
    for k in a:
        assert (a[k] - b[k]).abs().max() < 1e-4, k
    assert abs(compiled["val_bpb"] - eager["val_bpb"]) < 1e-4
    assert compiled["signature"]["params"]["config"]["compile"] is True  # the setting is part of the record


def test_compile_with_nproc_is_one_line(som, tmp_path, run_cli):
    code, err = run_cli("train", "lm", som[0], "--out", tmp_path / "o", "--steps", "2", "--nproc", "2", "--compile")
    assert code == 2 and err.strip() == "lugha: error: --compile is for one process; run --nproc > 1 without it"
