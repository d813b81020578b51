"""Distributed training on the existing engine: torchrun (DDP; gloo on CPU, NCCL on GPU) and Ray Train.

- ``torchrun --nproc-per-node 2 -m lugha.train lm TEXT --out DIR`` runs ``train_lm`` in every process;
  it reads RANK/WORLD_SIZE, starts the process group, rank 0 prepares the data, and each process
  trains on its share of every global micro-batch (``data.PackedBatches``), with the loss normalised
  by the global token count (``loop.train``).
- ``lugha train lm --nproc 2 ...`` is the same, launched from the lugha process: ``launch`` runs
  torchrun's launcher in-process (standalone rendezvous on localhost), so the lugha process is the
  agent, and every worker asks the kernel to kill it when its parent dies (``die_with_parent``): a
  ``kill -9`` of the command leaves no orphan workers.
- ``ray_train(...)`` runs ``train_lm`` under Ray Train's ``TorchTrainer`` for a team already on a Ray
  cluster (Ray sets up the process group; one worker per GPU or per CPU slot).
"""

from __future__ import annotations

import os
import signal
import sys


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Linux: have the kernel send ``sig`` to this process when its parent exits (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux") or "LOCAL_RANK" not in os.environ:
        return
    import ctypes

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def launch(nproc: int, args: list[str]) -> int:
    """torchrun --standalone --nproc-per-node N -m lugha.train ARGS, in this process. Returns the exit code."""
    from torch.distributed.run import get_args_parser, run

    targs = get_args_parser().parse_args(["--standalone", f"--nproc-per-node={nproc}", "--no-python",
                                          sys.executable, "-m", "lugha.train", *args])
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (len(os.sched_getaffinity(0)) if hasattr(
        os, "sched_getaffinity") else os.cpu_count() or 1) // nproc)))
    try:
        run(targs)
    except Exception as e:  # ChildFailedError: a worker failed; its own error went to stderr
        from lugha.errors import LughaError

        raise LughaError(f"a training process failed ({type(e).__name__}); its message is above") from None
    return 0


def ray_train(texts: list[str], out: str, num_workers: int = 2, use_gpu: bool = False, **kwargs) -> dict:
    """Run ``train_lm`` under Ray Train's TorchTrainer (``ray.init()`` must reach your cluster; every
    worker must see TEXT and DIR, e.g. on a shared filesystem). Returns rank 0's training.json."""
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    def loop(config):
        import torch.distributed as dist

        from lugha.train.lm import train_lm

        os.environ.setdefault("RANK", str(dist.get_rank()))
        os.environ.setdefault("WORLD_SIZE", str(dist.get_world_size()))
        return train_lm(config["texts"], config["out"], device="cuda" if use_gpu else "cpu", **config["kwargs"])

    trainer = TorchTrainer(loop, train_loop_config={"texts": texts, "out": out, "kwargs": kwargs},
                           scaling_config=ScalingConfig(num_workers=num_workers, use_gpu=use_gpu),
                           run_config=RunConfig(storage_path=os.path.abspath(os.path.join(out, "ray"))))
    trainer.fit()
    import json

    with open(os.path.join(out, "training.json"), encoding="utf-8") as f:
        return json.load(f)
