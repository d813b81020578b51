"""kill -9 of a run leaves no process behind: pool workers, the forkserver and the resource tracker
exit with it (issue 12, item 3). A real `lugha audit` / `lugha clean --workers 2` is started in a
child process, killed with SIGKILL once its pool workers are running, and every process that
descended from it must be gone within a few seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

GRACE_SECONDS = 10


def _corpus(shared_data, tmp_path):
    lines = (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()
    paths = []
    for i in range(2):  # two files: two shards, so both workers get one
        p = tmp_path / f"hau{i}.txt"
        p.write_text("".join(f"{ln} ({i}.{r})\n" for r in range(3) for ln in lines), encoding="utf-8")
        paths.append(p)
    return paths


def _descendants(proc: psutil.Process) -> dict[int, float]:
    try:
        return {c.pid: c.create_time() for c in proc.children(recursive=True)}
    except psutil.NoSuchProcess:
        return {}


def _still_there(pids: dict[int, float], sid: int) -> list[str]:
    """Processes of the killed run still alive: the recorded descendants (same pid and start time, so
    a reused pid is not mistaken for one), and anything else left in its session."""
    left = []
    for p in psutil.process_iter(["pid", "create_time", "cmdline", "status"]):
        try:
            ours = pids.get(p.pid) == p.info["create_time"] or os.getsid(p.pid) == sid
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
        if ours and p.info["status"] != psutil.STATUS_ZOMBIE:
            left.append(f"{p.pid} {' '.join(p.info['cmdline'] or [])[:120]}")
    return left


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_kill_9_mid_run_leaves_no_worker_forkserver_or_tracker(shared_data, tmp_path, command):
    inputs = _corpus(shared_data, tmp_path)
    args = [sys.executable, "-m", "lugha.cli", command, *map(str, inputs), "--lang", "ha", "--workers", "2",
            "--out", str(tmp_path / "out")]
    run = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    main = psutil.Process(run.pid)
    seen: dict[int, float] = {}
    try:
        deadline = time.monotonic() + 60
        # wait until the pool is up: forkserver + resource tracker + 2 workers
        while time.monotonic() < deadline and run.poll() is None:
            seen.update(_descendants(main))
            if len(seen) >= 4:
                break
            time.sleep(0.1)
        assert run.poll() is None, "the run finished before it could be killed; make the corpus larger"
        assert len(seen) >= 4, f"pool never started: {seen}"
        time.sleep(1.0)  # workers busy with their shards
        seen.update(_descendants(main))
        assert run.poll() is None
        os.kill(run.pid, signal.SIGKILL)
        run.wait(10)
        deadline = time.monotonic() + GRACE_SECONDS
        while (left := _still_there(seen, run.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == [], f"still running {GRACE_SECONDS} s after kill -9 of the run: {left}"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
        for pid, started in seen.items():  # never leave them for the next test (and only ours)
            try:
                p = psutil.Process(pid)
                if p.create_time() == started:
                    p.kill()
            except psutil.Error:
                pass
