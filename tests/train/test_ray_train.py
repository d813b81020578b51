"""Ray Train: `ray_train` with 2 workers (TorchTrainer, gloo on CPU) trains to the same weights as one
process (float64, 1e-10), as `--nproc 2` does: Ray sets up the process group, lugha's loop does the rest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.train.conftest import MICRO

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ray_train_two_workers_equal_one_process(som, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.train.torch")
    from safetensors.torch import load_file

    from lugha.train.distributed import ray_train
    from lugha.train.lm import train_lm

    sets = dict(s.split("=") for s in MICRO[1::2])
    sets.update(batch_size="3", layers="1")
    kw = dict(tokenizer="bpe:400", steps=3, dtype="float64", overrides=sets)
    one = train_lm([str(som[0])], tmp_path / "one", **kw)
    # Ray's workers start from the raylet's environment: they must import this checkout's lugha
    monkeypatch.setenv("PYTHONPATH", str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # logical CPUs: 2 workers + the trainer's own actor on a 2-core machine
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False)
    try:
        two = ray_train([str(som[0])], str(tmp_path / "two"), num_workers=2, **kw)
    finally:
        ray.shutdown()
    assert two["compute"]["processes"] == 2 and one["compute"]["processes"] == 1
    assert two["data"]["tokenizer_sha256"] == one["data"]["tokenizer_sha256"]
    a, b = load_file(tmp_path / "one" / "model.safetensors"), load_file(tmp_path / "two" / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert float((a[k] - b[k]).abs().max()) < 1e-10, k
    assert abs(one["val_bpb"] - two["val_bpb"]) < 1e-9
