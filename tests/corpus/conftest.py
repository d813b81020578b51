"""Fixtures of the corpus tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def write_corpus():
    """write(folder, lines, as_jsonl) -> path: raw lines as a .txt, or as a .jsonl whose undecodable
    lines stay raw bytes (each one an unreadable JSON line the run must account for)."""
    def write(d: Path, lines: list[bytes], as_jsonl: bool) -> Path:
        if as_jsonl:
            p = d / "c.jsonl"
            body = []
            for b in lines:
                try:
                    body.append(json.dumps({"text": b.decode("utf-8")}).encode())
                except UnicodeDecodeError:
                    body.append(b)
        else:
            p = d / "c.txt"
            body = lines
        p.write_bytes(b"\n".join(body) + b"\n")
        return p

    return write
