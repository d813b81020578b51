"""A label acknowledged by the server survives `kill -9`: counted in the database afterwards."""

import re
import threading
import time

import httpx
import pytest

from lugha.review import store

from .helpers import Server, make_project


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_label(tmp_path):
    db, _ = make_project(tmp_path, [("CC", f"ሰላም {i}") for i in range(400)], k=2)
    conn = store.open_project(db)
    tokens = [store.add_reviewer(conn, f"r{i}") for i in range(6)]
    conn.close()
    server = Server(db)
    acked: list[tuple[str, int]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def reviewer(tok: str):
        with httpx.Client(base_url=server.url, timeout=5, follow_redirects=False) as c:
            while not stop.is_set():
                try:
                    page = c.get(f"/r/{tok}").text
                    item = int(re.search(r'name="item_id" value="(\d+)"', page).group(1))
                    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
                    r = c.post(f"/r/{tok}", data={"item_id": item, "csrf": csrf, "label": "CC"})
                except (httpx.TransportError, AttributeError):
                    return  # the server is gone
                if r.status_code == 303:  # acknowledged: the label must be on disk
                    with lock:
                        acked.append((tok, item))

    threads = [threading.Thread(target=reviewer, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    time.sleep(3)
    server.kill(9)  # mid-session, with requests in flight
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) > 20
    conn = store.open_project(db)
    rows = conn.execute("SELECT r.token_sha256, l.item_id FROM labels l JOIN reviewers r ON r.id=l.reviewer_id").fetchall()
    stored = {(r[0], r[1]) for r in rows}
    acked_h = {(store._sha(t), i) for t, i in acked}
    assert len(acked_h) == len(acked)  # nobody was acknowledged twice for the same item
    assert acked_h <= stored
    # At most one request per reviewer was in flight when the server died.
    assert len(stored) - len(acked_h) <= len(tokens)
    # And no item got more than k=2 labels.
    assert conn.execute("SELECT MAX(c) FROM (SELECT COUNT(*) c FROM labels GROUP BY item_id)").fetchone()[0] <= 2


@pytest.mark.slow
def test_serve_binds_loopback_by_default(tmp_path):
    db, _ = make_project(tmp_path, [("CC", "ሰላም")], k=1)
    server = Server(db)
    try:
        # /proc/net/tcp: local address as hex IP:port; state 0A is LISTEN.
        listening = []
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            f = line.split()
            ip, port = f[1].split(":")
            if int(port, 16) == server.port and f[3] == "0A":
                listening.append(".".join(str(int(ip[i:i + 2], 16)) for i in (6, 4, 2, 0)))
        assert listening == ["127.0.0.1"]
        assert httpx.get(server.url + "/", timeout=5).headers["content-security-policy"].startswith("default-src 'none'")
    finally:
        server.kill(15)
