"""Worker processes die with the run that started them.

When `lugha audit`/`clean` is killed (kill -9, the OOM killer), nothing tells its pool workers:
a forkserver worker blocks forever on a task queue whose write end it holds itself, and it keeps the
forkserver and the multiprocessing resource tracker alive with it (1 GB+ each, seen in issue 12).
`die_with(pid)`, run as the pool's initializer in every worker, makes each worker exit as soon as
the run's main process is gone:

- a watchdog thread waits on a pidfd of the main process (Linux >= 5.3: woken the moment it exits, no
  polling, immune to pid reuse) or, elsewhere, polls `os.kill(pid, 0)` twice a second;
- on Linux, PR_SET_PDEATHSIG (through ctypes) also sends SIGKILL to the worker when its own parent,
  the forkserver, dies.

The watchdog calls `os._exit`: a worker whose run is gone has nobody to report to, and its
unfinished outputs are temporary files that the next run removes (finished ones are marked done).
Once every worker has exited, the forkserver and the resource tracker see their pipes close and exit
too (a test kills a real run with -9 and checks that no process of it remains).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

EXIT_CODE = 70  # a worker that outlived its run (sysexits: internal software error)
POLL_SECONDS = 0.5


def _set_pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # the pid belongs to someone else now: ours is gone
    return True


def _watch(pid: int) -> None:
    fd = None
    if hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            os._exit(EXIT_CODE)
        except OSError:  # kernel without pidfd, or not permitted: fall back to polling
            fd = None
    if fd is not None:
        import select

        while True:
            r, _, _ = select.select([fd], [], [])  # readable once the process has exited
            if r:
                os._exit(EXIT_CODE)
    while _alive(pid):
        time.sleep(POLL_SECONDS)
    os._exit(EXIT_CODE)


def die_with(pid: int) -> None:
    """Make this (worker) process exit when process `pid` (the run's main process) is gone."""
    _set_pdeathsig()
    if pid == os.getpid():
        return
    if not _alive(pid):
        os._exit(EXIT_CODE)
    threading.Thread(target=_watch, args=(pid,), name="lugha-lifeline", daemon=True).start()
