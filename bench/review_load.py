"""Load benchmark for `lugha review serve`: N concurrent simulated reviewers on loopback.

Each reviewer loops: GET its page (the next item), wait `--think` seconds (a human reading), POST a
label (committed before the 303 answer). Afterwards the labels are counted in the database: every
acknowledged label must be there exactly once, and no item may exceed its k reviewers.

    .venv/bin/python bench/review_load.py --reviewers 50 --seconds 60 --think 0
    .venv/bin/python bench/review_load.py --reviewers 50 --seconds 60 --think 2

Prints a table; the server runs in its own process, the clients in this one (same 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from lugha.review import store  # noqa: E402

ITEM = re.compile(r'name="item_id" value="(\d+)"')
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def build_project(db: Path, items: int, k: int, reviewers: int) -> list[str]:
    store.create_project(db)
    conn = store.open_project(db)
    docs = [{"stratum": "CC", "source": "bench.txt", "doc_id": str(i), "line": i + 1,
             "text": f"ሰላም ለኩልኹም ኣሕዋትን ኣሓትን ቁጽሪ {i}", "auto_category": "CC", "lang": "tir"} for i in range(items)]
    store.add_batch(conn, "corpus", "bench", None, {}, {"CC": items}, docs, k, list(range(items)))
    tokens = [store.add_reviewer(conn, f"r{i}") for i in range(reviewers)]
    conn.close()
    return tokens


def server_cpu_seconds(pid: int) -> float:
    """User+system CPU the server process has used (Linux /proc), independent of what else runs."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] * 1000


async def reviewer(url: str, tok: str, start: float, until: float, think: float, out: dict) -> None:
    # Reviewers arrive spread over the first second, as people opening links would.
    await asyncio.sleep(random.random())
    async with httpx.AsyncClient(base_url=url, timeout=30, follow_redirects=False) as c:
        while time.monotonic() < until:
            try:
                t0 = time.perf_counter()
                r = await c.get(f"/r/{tok}")
                if time.monotonic() >= start:  # latencies after the warm-up only
                    out["get"].append(time.perf_counter() - t0)
                m = ITEM.search(r.text)
                if r.status_code != 200 or not m:
                    if 'id="done"' in r.text:
                        return
                    out["errors"] += 1
                    continue
                item = int(m.group(1))
                if think:
                    await asyncio.sleep(think)
                t0 = time.perf_counter()
                r = await c.post(f"/r/{tok}", data={"item_id": item, "csrf": CSRF.search(r.text).group(1),
                                                    "label": "CC"})
                if time.monotonic() >= start:
                    out["post"].append(time.perf_counter() - t0)
                if r.status_code == 303:
                    out["acked"].append((tok, item))
                else:
                    out["errors"] += 1
            except httpx.HTTPError:
                out["errors"] += 1


async def run(url: str, tokens: list[str], start: float, until: float, think: float) -> dict:
    out = {"get": [], "post": [], "acked": [], "errors": 0}
    await asyncio.gather(*(reviewer(url, t, start, until, think, out) for t in tokens))
    return out


def _client_proc(args) -> dict:
    return asyncio.run(run(*args))


def run_clients(url: str, tokens: list[str], seconds: float, think: float, warmup: float, procs: int) -> dict:
    """Reviewers split over `procs` client processes, so the clients' own HTTP parsing does not
    queue requests behind one Python event loop (50 browsers are 50 processes, after all)."""
    from concurrent.futures import ProcessPoolExecutor

    now = time.monotonic()  # CLOCK_MONOTONIC is system-wide on Linux: shared by the children
    start, until = now + warmup, now + warmup + seconds
    groups = [tokens[i::procs] for i in range(procs)]
    out = {"get": [], "post": [], "acked": [], "errors": 0}
    with ProcessPoolExecutor(procs) as ex:
        for part in ex.map(_client_proc, [(url, g, start, until, think) for g in groups if g]):
            for k in ("get", "post", "acked"):
                out[k] += part[k]
            out["errors"] += part["errors"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reviewers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, default=0.0, help="seconds a reviewer reads before answering")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds before latencies are recorded")
    ap.add_argument("--items", type=int, default=20000)
    ap.add_argument("--client-procs", type=int, default=5, help="client processes the reviewers are spread over")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--synchronous", default="normal")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        tokens = build_project(db, a.items, a.k, a.reviewers)
        port = 18765
        srv = subprocess.Popen([sys.executable, "-m", "lugha.cli", "review", "serve", str(db), "--port", str(port),
                                "--synchronous", a.synchronous])
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(url + "/", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            cpu0 = server_cpu_seconds(srv.pid)  # after start-up imports
            out = run_clients(url, tokens, a.seconds, a.think, a.warmup, a.client_procs)
            server_cpu = server_cpu_seconds(srv.pid) - cpu0
        finally:
            srv.terminate()
            srv.wait(30)
        conn = store.open_project(db)
        stored = {(r[0], r[1]) for r in conn.execute(
            "SELECT r.token_sha256, l.item_id FROM labels l JOIN reviewers r ON r.id = l.reviewer_id")}
        n_rows = conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
        over_k = conn.execute("SELECT COUNT(*) FROM (SELECT item_id FROM labels l JOIN items i ON i.id = l.item_id "
                              "GROUP BY item_id HAVING COUNT(*) > MAX(i.k))").fetchone()[0]
        conn.close()
    acked = {(store._sha(t), i) for t, i in out["acked"]}
    n_requests = 2 * len(out["acked"]) + out["errors"]  # approximate: GET + POST per label (incl. warm-up)
    lost = len(acked - stored)
    dup_acks = len(out["acked"]) - len(acked)
    rows = [
        ("reviewers (concurrent)", f"{a.reviewers} in {a.client_procs} client processes"), ("duration s", a.seconds), ("think time s", a.think),
        ("labels acknowledged", len(out["acked"])), ("labels/s", f"{len(out['acked']) / (a.seconds + a.warmup):.1f}"),
        ("warm-up s (latency not recorded)", a.warmup),
        ("POST label p50 ms", f"{pct(out['post'], .5):.1f}"), ("POST label p99 ms", f"{pct(out['post'], .99):.1f}"),
        ("GET next item p50 ms", f"{pct(out['get'], .5):.1f}"), ("GET next item p99 ms", f"{pct(out['get'], .99):.1f}"),
        ("server CPU ms per request", f"{1000 * server_cpu / max(1, n_requests):.2f}"),
        ("HTTP errors", out["errors"]), ("labels in database", n_rows),
        ("acknowledged but lost", lost), ("duplicated (same reviewer+item)", dup_acks + (n_rows - len(stored))),
        ("items over k reviewers", over_k), ("synchronous", a.synchronous),
    ]
    w = max(len(r[0]) for r in rows)
    print(f"{'metric':<{w}} | value")
    print(f"{'-' * w}-|------")
    for name, v in rows:
        print(f"{name:<{w}} | {v}")


if __name__ == "__main__":
    main()
