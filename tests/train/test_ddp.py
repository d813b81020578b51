"""DDP: two gloo processes train to the same weights as one process (float64, 1e-10), with padded,
unequal shards, because the loss is normalised by the global token count; `--nproc 2` does the same
end to end; and a killed `--nproc` run leaves no orphan workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tests.train.conftest import MICRO  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STEPS, ACCUM = 3, 2


def _model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    conf = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=16)
    return LlamaForCausalLM(conf).to(torch.float64)


def _global_micro_batches(step: int) -> list[list[tuple[list[int], list[int]]]]:
    """ACCUM micro-batches of 3 sequences of different lengths: (inputs, targets) pairs."""
    g = torch.Generator().manual_seed(100 + step)
    out = []
    for _ in range(ACCUM):
        seqs = []
        for n in (12, 5, 9):
            t = torch.randint(0, 50, (n + 1,), generator=g).tolist()
            seqs.append((t[:-1], t[1:]))
        out.append(seqs)
    return out


def _pad(seqs):
    width = max(len(x) for x, _ in seqs)
    ids = torch.zeros((len(seqs), width), dtype=torch.long)
    labels = torch.full((len(seqs), width), -100, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, (x, y) in enumerate(seqs):
        ids[i, : len(x)], labels[i, : len(y)], mask[i, : len(x)] = torch.tensor(x), torch.tensor(y), 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def _shards(rank: int, world: int):
    # rank 0 gets sequences 0 and 1 (17 tokens), rank 1 gets sequence 2 (9 tokens): unequal shares
    take = [[0, 1], [2]] if world == 2 else [[0, 1, 2]]
    return lambda step: [_pad([m[i] for i in take[rank]]) for m in _global_micro_batches(step)]


def _cfg():
    from lugha.train.loop import LoopConfig

    return LoopConfig(lr=1e-2, warmup_steps=1, max_steps=STEPS, grad_accum=ACCUM, grad_clip=1.0)


def _worker(rank: int, port: int, out: str):
    import torch.distributed as dist

    from lugha.train.loop import train

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    torch.set_num_threads(1)
    model = _model()
    train(model, _shards(rank, 2), _cfg())
    if rank == 0:
        torch.save(model.state_dict(), out)
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_equal_one_process_to_1e_10(tmp_path):
    import torch.multiprocessing as mp

    from lugha.train.loop import train

    out = tmp_path / "ddp.pt"
    mp.spawn(_worker, args=(_free_port(), str(out)), nprocs=2, join=True)
    one = _model()
    start = {k: v.clone() for k, v in one.state_dict().items()}
    train(one, _shards(0, 1), _cfg())
    two = torch.load(out)
    moved = max(float((one.state_dict()[k] - start[k]).abs().max()) for k in start)
    assert moved > 1e-3  # the weights did move
    for k, v in one.state_dict().items():
        assert float((v - two[k]).abs().max()) < 1e-10, k


def _env():
    return {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


LUGHA = [sys.executable, "-c", "from lugha.cli import main; main()"]


@pytest.mark.slow
def test_nproc_2_equals_one_process(som, tmp_path):
    from safetensors.torch import load_file

    args = ["train", "lm", str(som[0]), "--steps", "3", "--tokenizer", "bpe:400", "--dtype", "float64",
            *MICRO, "--set", "batch_size=3", "--set", "layers=1"]
    for name, extra in (("one", []), ("two", ["--nproc", "2"])):
        r = subprocess.run([*LUGHA, *args, "--out", str(tmp_path / name), *extra], env=_env(),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
    a, b = load_file(tmp_path / "one" / "model.safetensors"), load_file(tmp_path / "two" / "model.safetensors")
    for k in a:
        assert float((a[k] - b[k]).abs().max()) < 1e-10, k


def _children(pid: int) -> set[int]:
    import psutil

    try:
        return {c.pid for c in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


@pytest.mark.slow
def test_killed_nproc_run_leaves_no_orphans(som, tmp_path):
    import psutil

    p = subprocess.Popen([*LUGHA, "train", "lm", str(som[0]), "--out", str(tmp_path / "m"), "--steps", "100000",
                          "--tokenizer", "bpe:400", *MICRO, "--nproc", "2"], env=_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.time() + 180
    while time.time() < deadline:  # wait until both workers are training (the checkpoint dir appears)
        workers = {c for c in _children(p.pid) if "lugha.train" in " ".join(psutil.Process(c).cmdline())}
        if len(workers) == 2 and (tmp_path / "m" / "data" / "train.bin").exists():
            break
        time.sleep(0.5)
    assert len(workers) == 2
    time.sleep(2)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    deadline = time.time() + 30
    while time.time() < deadline and any(psutil.pid_exists(w) and psutil.Process(w).status() != "zombie"
                                         for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if psutil.pid_exists(w) and psutil.Process(w).status() != psutil.STATUS_ZOMBIE]
    for w in alive:  # clean up before failing
        os.kill(w, signal.SIGKILL)
    assert not alive
