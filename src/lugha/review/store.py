"""The review project: one SQLite file in WAL mode.

Durability: every label is written in its own transaction and committed before the server answers,
so the next page is only shown once the label is on disk. In WAL mode with synchronous=NORMAL a
committed transaction survives the process being killed (kill -9); only an operating-system crash or
power cut can roll back the last commits (SQLite docs, "WAL mode"). `--synchronous full` in
`lugha review serve` closes that gap at some latency cost.

Secrets (the admin token and reviewer tokens) are stored only as SHA-256 hashes; the plain token is
shown once, when it is created.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from lugha.errors import LughaError
from lugha.review.forms import FORMS

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- open_items: items with fewer than k claims, kept in the same transactions that change it (counting
-- them on every page view cost ~2 ms on 20k items).
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters(name, value) VALUES ('open_items', 0);
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT,
  params TEXT NOT NULL, population TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL REFERENCES batches(id), kind TEXT NOT NULL,
  position INTEGER NOT NULL, k INTEGER NOT NULL, n_assigned INTEGER NOT NULL DEFAULT 0,
  stratum TEXT, source TEXT, doc_id TEXT, line INTEGER, text TEXT,
  prompt TEXT, model TEXT, image BLOB, image_type TEXT, image_name TEXT,
  auto_category TEXT, lang TEXT, script TEXT, dup_of TEXT);
-- The queue: only items still short of k reviewers, in queue order (a partial index, so finding
-- the next item never walks over the items already full).
CREATE INDEX IF NOT EXISTS items_open ON items(position) WHERE n_assigned < k;
CREATE TABLE IF NOT EXISTS reviewers (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_sha256 TEXT NOT NULL UNIQUE,
  created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS assignments (
  item_id INTEGER NOT NULL REFERENCES items(id), reviewer_id INTEGER NOT NULL REFERENCES reviewers(id),
  claimed REAL NOT NULL, labelled INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (item_id, reviewer_id));
CREATE INDEX IF NOT EXISTS assignments_reviewer ON assignments(reviewer_id, labelled);
CREATE TABLE IF NOT EXISTS labels (
  item_id INTEGER NOT NULL, reviewer_id INTEGER NOT NULL,
  label TEXT NOT NULL, rating TEXT, flags TEXT NOT NULL DEFAULT '', comment TEXT NOT NULL DEFAULT '',
  created REAL NOT NULL, updated REAL NOT NULL,
  PRIMARY KEY (item_id, reviewer_id),
  FOREIGN KEY (item_id, reviewer_id) REFERENCES assignments(item_id, reviewer_id));
"""


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """The one way this module writes: BEGIN IMMEDIATE (take the write lock up front, so a read
    inside the transaction never has to upgrade and deadlock), COMMIT on success, ROLLBACK on any
    exception, which propagates. The connection is in autocommit mode (isolation_level=None)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(path: str | Path, synchronous: str = "NORMAL") -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if synchronous.upper() == 'FULL' else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def create_project(path: str | Path) -> str | None:
    """Create the project file if needed. Returns the new admin token, or None if it existed."""
    path = Path(path)
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        open_project(path).close()  # validates it is a lugha review project
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    token = secrets.token_urlsafe(24)
    conn.executescript(SCHEMA)
    with transaction(conn):
        for k, v in (("schema_version", SCHEMA_VERSION), ("admin_token_sha256", _sha(token)),
                     ("csrf_secret", secrets.token_hex(32)), ("created", str(time.time()))):
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (k, v))
    conn.close()
    return token


def open_project(path: str | Path, synchronous: str = "NORMAL") -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise LughaError("no such review project (create one with `lugha review sample` or "
                         "`lugha review import`)", path)
    try:
        conn = connect(path, synchronous)
        v = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as e:
        raise LughaError(f"not a lugha review project ({e})", path) from None
    if v is None or v[0] != SCHEMA_VERSION:
        conn.close()
        raise LughaError("not a lugha review project (no schema version)", path)
    return conn


def meta(conn: sqlite3.Connection, key: str) -> str | None:
    r = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return r[0] if r else None


def rotate_admin_token(conn: sqlite3.Connection) -> str:
    token = secrets.token_urlsafe(24)
    with transaction(conn):
        conn.execute("UPDATE meta SET value=? WHERE key='admin_token_sha256'", (_sha(token),))
    return token


def is_admin(conn: sqlite3.Connection, token: str) -> bool:
    want = meta(conn, "admin_token_sha256") or ""
    return bool(token) and hmac.compare_digest(_sha(token), want)


# ---- items ------------------------------------------------------------------------------------

ITEM_FIELDS = ("kind", "stratum", "source", "doc_id", "line", "text", "prompt", "model", "image",
               "image_type", "image_name", "auto_category", "lang", "script", "dup_of")


def add_batch(conn: sqlite3.Connection, kind: str, source: str, sha256: str | None, params: dict,
              population: dict, items: list[dict], k: int, order: list[int]) -> int:
    """Insert a batch of items in one transaction. ``order[i]`` is item i's queue position within
    the batch (a seeded shuffle), placed after any existing items."""
    if kind not in FORMS:
        raise ValueError(kind)
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO batches(kind, source, sha256, params, population, created) VALUES (?,?,?,?,?,?)",
            (kind, source, sha256, json.dumps({**params, "reviewers_per_item": k}, sort_keys=True), json.dumps(population, sort_keys=True),
             time.time()))
        batch_id = cur.lastrowid
        base = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM items").fetchone()[0]
        cols = ("batch_id", "position", "k") + ITEM_FIELDS
        sql = f"INSERT INTO items({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.executemany(sql, ([batch_id, base + order[i], k] + [it.get(f) if f != "kind" else kind
                                                                  for f in ITEM_FIELDS]
                               for i, it in enumerate(items)))
        conn.execute("UPDATE counters SET value = value + ? WHERE name='open_items'", (len(items),))
    return batch_id


def get_item(conn: sqlite3.Connection, item_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM items WHERE id=?", (item_id,)).fetchone()


def image_for(conn: sqlite3.Connection, reviewer_id: int, item_id: int) -> sqlite3.Row | None:
    """An item's image bytes and type, only for a reviewer the item is assigned to."""
    return conn.execute("SELECT i.image, i.image_type FROM items i JOIN assignments a ON a.item_id=i.id "
                        "WHERE i.id=? AND a.reviewer_id=? AND i.image IS NOT NULL",
                        (item_id, reviewer_id)).fetchone()


# ---- reviewers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reviewer:
    id: int
    name: str


def add_reviewer(conn: sqlite3.Connection, name: str) -> str:
    name = name.strip()
    if not name:
        raise LughaError("a reviewer needs a non-empty name")
    token = secrets.token_urlsafe(24)
    try:
        with transaction(conn):
            conn.execute("INSERT INTO reviewers(name, token_sha256, created) VALUES (?,?,?)",
                         (name, _sha(token), time.time()))
    except sqlite3.IntegrityError:
        raise LughaError(f"a reviewer named {name!r} already exists") from None
    return token


def reviewer_for_token(conn: sqlite3.Connection, token: str) -> Reviewer | None:
    if not token:
        return None
    r = conn.execute("SELECT id, name FROM reviewers WHERE token_sha256=?", (_sha(token),)).fetchone()
    return Reviewer(r["id"], r["name"]) if r else None


def reviewers(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute(
        "SELECT r.id, r.name, r.created, (SELECT COUNT(*) FROM labels l WHERE l.reviewer_id=r.id) AS done "
        "FROM reviewers r ORDER BY r.id").fetchall()
    return [dict(r) for r in rows]


# ---- the queue ----------------------------------------------------------------------------------

def current_item(conn: sqlite3.Connection, reviewer_id: int) -> int | None:
    """The item this reviewer should see now: an open claim (resume after reload), else a new claim
    on the first item in queue order that this reviewer has not seen and fewer than k people have
    claimed. Claims are taken in a write transaction, so no item gets more than k reviewers."""
    with transaction(conn):
        r = conn.execute(
            "SELECT a.item_id FROM assignments a JOIN items i ON i.id=a.item_id "
            "WHERE a.reviewer_id=? AND a.labelled=0 ORDER BY i.position LIMIT 1",
            (reviewer_id,)).fetchone()
        if r is None:
            r = conn.execute(
                "SELECT i.id AS item_id FROM items i WHERE i.n_assigned < i.k AND NOT EXISTS "
                "(SELECT 1 FROM assignments a WHERE a.item_id=i.id AND a.reviewer_id=?) "
                "ORDER BY i.position LIMIT 1", (reviewer_id,)).fetchone()
            if r is not None:
                conn.execute("INSERT INTO assignments(item_id, reviewer_id, claimed) VALUES (?,?,?)",
                             (r["item_id"], reviewer_id, time.time()))
                full = conn.execute("UPDATE items SET n_assigned = n_assigned + 1 WHERE id=? "
                                    "RETURNING n_assigned >= k", (r["item_id"],)).fetchone()[0]
                if full:
                    conn.execute("UPDATE counters SET value = value - 1 WHERE name='open_items'")
    return r["item_id"] if r else None


def release_stale_claims(conn: sqlite3.Connection, older_than_s: float, now: float | None = None) -> int:
    """Give back items a reviewer was shown but has not answered for ``older_than_s`` seconds, so
    another reviewer can take them (a reviewer who walked away would otherwise hold them forever).
    Returns the number of claims released."""
    cutoff = (time.time() if now is None else now) - older_than_s
    with transaction(conn):
        stale = conn.execute("SELECT item_id, reviewer_id FROM assignments WHERE labelled=0 AND claimed < ?",
                             (cutoff,)).fetchall()
        for item_id, reviewer_id in stale:
            conn.execute("DELETE FROM assignments WHERE item_id=? AND reviewer_id=?", (item_id, reviewer_id))
            was_full = conn.execute("UPDATE items SET n_assigned = n_assigned - 1 WHERE id=? "
                                    "RETURNING n_assigned + 1 >= k", (item_id,)).fetchone()[0]
            if was_full:
                conn.execute("UPDATE counters SET value = value + 1 WHERE name='open_items'")
    return len(stale)


class NotYours(Exception):
    """The item is not assigned to this reviewer (forged or stale form)."""


def save_label(conn: sqlite3.Connection, reviewer_id: int, item_id: int, label: str,
               rating: str | None = None, flags: Iterable[str] = (), comment: str = "") -> bool:
    """Store one answer, committed before returning. A repeated submit (double click, replay after a
    lost response) updates the same row: one label per (item, reviewer), never a duplicate.
    Returns True if this was a new label."""
    item = conn.execute("SELECT kind FROM items WHERE id=?", (item_id,)).fetchone()
    if item is None:
        raise NotYours(item_id)
    form = FORMS[item["kind"]]
    if label not in form.labels:
        raise ValueError(f"{label!r} is not one of {', '.join(form.labels)}")
    if form.second_choices and rating not in form.ratings:
        raise ValueError(f"{form.second_question} needs one of {', '.join(form.ratings)}")
    if not form.second_choices:
        rating = None
    allowed = {f.value for f in form.flags}
    flags = sorted(set(flags))
    bad = [f for f in flags if f not in allowed]
    if bad:
        raise ValueError(f"unknown flag {bad[0]!r}")
    now = time.time()
    with transaction(conn):
        if conn.execute("SELECT 1 FROM assignments WHERE item_id=? AND reviewer_id=?",
                        (item_id, reviewer_id)).fetchone() is None:
            raise NotYours(item_id)
        new = conn.execute("SELECT 1 FROM labels WHERE item_id=? AND reviewer_id=?",
                           (item_id, reviewer_id)).fetchone() is None
        conn.execute(
            "INSERT INTO labels(item_id, reviewer_id, label, rating, flags, comment, created, updated) "
            "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(item_id, reviewer_id) DO UPDATE SET "
            "label=excluded.label, rating=excluded.rating, flags=excluded.flags, "
            "comment=excluded.comment, updated=excluded.updated",
            (item_id, reviewer_id, label, rating, ",".join(flags), comment[:10000], now, now))
        conn.execute("UPDATE assignments SET labelled=1 WHERE item_id=? AND reviewer_id=?", (item_id, reviewer_id))
    return new


def progress(conn: sqlite3.Connection, reviewer_id: int) -> dict:
    """done: this reviewer's labels; left: items this reviewer could still get (not yet full and
    not yet theirs) plus their open claim; total = done + left."""
    q = lambda sql: conn.execute(sql, (reviewer_id,)).fetchone()[0]  # noqa: E731
    done = q("SELECT COUNT(*) FROM assignments WHERE reviewer_id=? AND labelled=1")
    open_ = q("SELECT COUNT(*) FROM assignments WHERE reviewer_id=? AND labelled=0")
    not_full = conn.execute("SELECT value FROM counters WHERE name='open_items'").fetchone()[0]
    mine_not_full = q("SELECT COUNT(*) FROM assignments a JOIN items i ON i.id=a.item_id "
                      "WHERE a.reviewer_id=? AND i.n_assigned < i.k")
    left = not_full - mine_not_full + open_
    return {"done": done, "left": left, "total": done + left}


def label_rows(conn: sqlite3.Connection) -> list[dict]:
    """Every label with its item's audit fields and the reviewer's name (admin only)."""
    rows = conn.execute(
        "SELECT l.item_id, i.kind, i.batch_id, i.stratum, i.source, i.doc_id, i.line, i.auto_category, "
        "i.lang, i.model, i.image_name, r.name AS reviewer, l.label, l.rating, l.flags, l.comment, "
        "l.created, l.updated FROM labels l JOIN items i ON i.id=l.item_id "
        "JOIN reviewers r ON r.id=l.reviewer_id ORDER BY i.position, r.id").fetchall()
    return [dict(r) for r in rows]


def counts(conn: sqlite3.Connection) -> dict[str, Any]:
    q = lambda s: conn.execute(s).fetchone()[0]  # noqa: E731
    return {"items": q("SELECT COUNT(*) FROM items"), "labels": q("SELECT COUNT(*) FROM labels"),
            "reviewers": q("SELECT COUNT(*) FROM reviewers"),
            "target_labels": q("SELECT COALESCE(SUM(k), 0) FROM items")}
