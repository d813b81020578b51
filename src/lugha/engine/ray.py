"""The Ray executor: one Ray task per shard, retried when a worker dies.

`pip install 'lugha[ray]'`, then `--engine ray [--ray-address ADDR]`. With no address a private
local Ray instance is started (num_cpus = workers, no dashboard, no usage stats, nothing fetched
from the network) and shut down again when the map is over; a Ray the caller already started, or a
cluster named by address, is left running.

The shard function is the same plain, picklable function the local executor runs: it writes its
outputs through `ShardOutput` (atomic rename + completion marker), so a task that Ray re-runs after
its worker was killed simply redoes that one shard, and a rerun of the whole job skips shards whose
markers exist.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Sequence

import ray  # noqa: F401  (an ImportError here becomes get_executor's "needs the ray extra" message)

from lugha.engine.local import OnDone
from lugha.engine.shards import Shard

# A local instance only ever moves small per-shard statistics through the object store; Ray's
# default (30% of RAM) would reserve gigabytes of shared memory on a laptop.
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024


def _run_shard(fn: Callable[[Shard], Any], shard: Shard) -> Any:
    return fn(shard)


class RayExecutor:
    """Runs `fn(shard)` as one Ray task per shard; results come back in shard order and
    `on_done(shard, result)` is called in the driver as each task finishes."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, max_retries: int = 3):
        # RAY_ADDRESS is how Ray's own tools name a cluster; honour it like --ray-address.
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.max_retries = max_retries
        self._workers = workers

    @property
    def workers(self) -> int:
        """Parallel tasks: as asked, else the machine's cores (local) or the cluster's CPUs."""
        if self._workers:
            return max(1, self._workers)
        if self.address:
            started = self._start()
            try:
                self._workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
            finally:
                if started:
                    ray.shutdown()
            return self._workers
        return max(1, os.cpu_count() or 1)

    def _start(self) -> bool:
        """Connect to (or start) Ray; True when this call started it and so must shut it down."""
        if ray.is_initialized():
            return False
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline: no usage-stats prompt or upload
        kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False,
                                      logging_level=logging.WARNING, configure_logging=True)
        if self.address:
            ray.init(address=self.address, **kwargs)
        else:
            ray.init(num_cpus=self.workers, object_store_memory=LOCAL_OBJECT_STORE_BYTES, **kwargs)
        return True

    def map(self, fn: Callable[[Shard], Any], shards: Sequence[Shard], on_done: OnDone | None = None) -> list[Any]:
        if not shards:
            return []
        started = self._start()
        try:
            # max_retries re-runs a task whose worker process died (kill -9, OOM); exceptions raised by
            # fn itself are not retried (retry_exceptions=False): a bad input fails the same way twice.
            task = ray.remote(num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)(_run_shard)
            fn_ref = ray.put(fn)  # shipped once, not once per task
            refs = {task.remote(fn_ref, s): s for s in shards}
            results: dict[int, Any] = {}
            pending = list(refs)
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                for ref in ready:
                    s = refs[ref]
                    r = _get(ref)
                    results[s.index] = r
                    if on_done:
                        on_done(s, r)
            return [results[s.index] for s in shards]
        finally:
            if started:
                ray.shutdown()


def _get(ref):
    """ray.get, re-raising the shard function's own exception (e.g. LughaError) rather than Ray's
    wrapper, so the CLI prints the same one-line error as with the local executor."""
    from ray.exceptions import RayTaskError

    try:
        return ray.get(ref)
    except RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise
