"""Builders for review tests: a small audit output written with pyarrow, projects, reviewers."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lugha.review import store
from lugha.review.sampling import sample_audit

AUDIT_SCHEMA = pa.schema([("source", pa.string()), ("doc_id", pa.string()), ("line", pa.int64()),
                          ("text", pa.string()), ("category", pa.string()), ("lang", pa.string()),
                          ("lang_score", pa.float32()), ("script", pa.string()), ("dup_of", pa.string())])


def write_audit(folder: Path, docs: list[tuple[str, str]], lang: str = "tir") -> Path:
    """docs: (category, text) pairs -> folder/annotations.parquet + summary.json."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"source": "corpus.txt", "doc_id": str(i + 1), "line": i + 1, "text": t, "category": c,
             "lang": lang if c in ("CC", "CB", "CS") else "amh", "lang_score": 0.9,
             "script": "Ethi", "dup_of": None} for i, (c, t) in enumerate(docs)]
    pq.write_table(pa.Table.from_pylist(rows, schema=AUDIT_SCHEMA), folder / "annotations.parquet")
    (folder / "summary.json").write_text(json.dumps({"lang": {"code": lang}}), encoding="utf-8")
    return folder


def make_project(tmp: Path, docs: list[tuple[str, str]], k: int = 2, n: int = 1000,
                 per_category: bool = False, seed: int = 0) -> tuple[Path, str]:
    audit = write_audit(tmp / "audit", docs)
    db = tmp / "project.db"
    admin = store.create_project(db)
    b = sample_audit(audit, n=n, per_category=per_category, seed=seed)
    conn = store.open_project(db)
    store.add_batch(conn, b.kind, b.source, b.sha256, b.params, b.population, b.items, k, b.order)
    conn.close()
    return db, admin


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`lugha review serve` in a child process (so a test can kill -9 it)."""

    def __init__(self, db: Path, port: int | None = None):
        import subprocess
        import sys
        import time

        import httpx

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "lugha.cli", "review", "serve", str(db),
                                      "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()}")
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("server did not start in 30 s")

    def kill(self, sig: int = 9) -> None:
        import os

        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(10)
        if self.proc.stderr:
            self.proc.stderr.close()
