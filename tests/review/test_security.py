"""Issue 12 items 5 and 9: every response carries nosniff and a CSP; `--host` says what it exposes."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest
from starlette.testclient import TestClient

from lugha.review.app import CSP_ADMIN, CSP_REVIEWER, create_app

from .helpers import free_port, make_project


@pytest.fixture
def client(tmp_path):
    db, admin = make_project(tmp_path, [("CC", "ሰላም ለኩልኩም")], k=1)
    with TestClient(create_app(db), base_url="http://127.0.0.1:8765", follow_redirects=False) as c:
        yield c, admin


@pytest.mark.parametrize("path,status", [("/static/review.css", 200), ("/static/review.js", 200),
                                         ("/static/nothing.css", 404), ("/no/such/page", 404),
                                         ("/static/../app.py", 404)])
def test_static_files_and_plain_404s_carry_nosniff_and_the_pages_csp(client, path, status):
    c, _ = client
    r = c.get(path)
    assert r.status_code == status
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == CSP_REVIEWER
    assert r.headers["x-frame-options"] == "DENY"


def test_a_pages_own_policy_is_kept(client):
    c, admin = client
    r = c.get(f"/admin/{admin}/results")
    assert r.status_code == 200
    assert r.headers.get_list("content-security-policy") == [CSP_ADMIN]


class _Serve:
    """`lugha review serve DB --host HOST` in a child process; its stderr lines collected by a thread."""

    def __init__(self, db, host):
        import threading

        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "lugha.cli", "review", "serve", str(db), "--host", host,
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(ln.rstrip("\n") for ln in self.proc.stderr),
                                        daemon=True)
        self._reader.start()

    def get(self, url: str) -> httpx.Response:
        deadline = time.monotonic() + 30
        while True:
            try:
                return httpx.get(url, timeout=2)
            except httpx.TransportError:
                assert time.monotonic() < deadline and self.proc.poll() is None, self.lines
                time.sleep(0.2)

    def banner(self) -> list[str]:
        """What serve printed before it started answering (it prints, then serves)."""
        self.get(f"http://127.0.0.1:{self.port}/no/such/page")
        time.sleep(0.2)
        return list(self.lines)

    def stop(self):
        self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)


def test_serve_on_every_interface_lists_real_addresses_and_warns(tmp_path):
    db, _ = make_project(tmp_path, [("CC", "ሰላም")], k=1)
    srv = _Serve(db, "0.0.0.0")
    port = srv.port
    try:
        lines = srv.banner()
        urls = re.findall(r"http://[^\s,]+", lines[0])
        assert urls and urls[0] == f"http://127.0.0.1:{port}"
        assert "0.0.0.0" not in lines[0]
        import psutil

        ours = {a.address for addrs in psutil.net_if_addrs().values() for a in addrs if a.family == 2}
        assert {u.split("//")[1].rsplit(":", 1)[0] for u in urls} == ours
        assert lines[1].startswith("warning: --host 0.0.0.0 makes this review project reachable from the network")
        assert len(lines) == 2, lines
        for u in urls:  # each printed address answers
            assert srv.get(u + "/no/such/page").status_code == 404
    finally:
        srv.stop()


def test_serve_on_loopback_does_not_warn(tmp_path):
    db, _ = make_project(tmp_path, [("CC", "ሰላም")], k=1)
    srv = _Serve(db, "127.0.0.1")
    try:
        assert srv.banner() == [f"lugha review: serving {db} (Ctrl-C stops) on http://127.0.0.1:{srv.port}"]
    finally:
        srv.stop()
