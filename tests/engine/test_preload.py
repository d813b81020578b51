"""The local pool's preload: the fork server imports lugha.lid.preload once, and every worker forked
from it starts with the language-ID models in memory, shared copy-on-write (issue 15: ~1 GB of
models per worker was most of a worker's memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HOOKS_DIR = Path(__file__).parent

# a fresh interpreter: the fork server is one per process and takes its preload list when it starts
_RUN = """
import json, shard_hooks
from lugha.engine import LocalExecutor, Shard
out = LocalExecutor(2, preload=("lugha.lid.preload",)).map(shard_hooks.models_at_start, [Shard(i, "x") for i in range(4)])
print(json.dumps(out))
"""


@pytest.mark.slow
def test_workers_share_the_preloaded_models():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS_DIR), os.environ.get("PYTHONPATH")]))}
    p = subprocess.run([sys.executable, "-c", _RUN], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert all(r["loaded"] for r in out), out
    assert len({r["pid"] for r in out}) == 2, out
    for r in out:
        # the models are resident in the worker (~1 GB) but almost none of it is the worker's own
        assert r["rss"] > 800 and r["private"] < 250, r
