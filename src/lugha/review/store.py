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
from lugha.review.forms import Form, package_form, stored_form

SCHEMA_VERSION = "2"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- open_items: items with fewer than k claims, kept in the same transactions that change it (counting
-- them on every page view cost ~2 ms on 20k items).
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters(name, value) VALUES ('open_items', 0);
-- form_toml: the form the batch's items are rated with, as declared (forms are data).
-- per_reviewer: every reviewer gets the batch's items in their own seeded order (reviewer_order).
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT,
  params TEXT NOT NULL, population TEXT NOT NULL, created REAL NOT NULL,
  form_name TEXT, form_toml TEXT, form_sha256 TEXT, seed INTEGER NOT NULL DEFAULT 0,
  per_reviewer INTEGER NOT NULL DEFAULT 0);
-- kind is the form's name. For blinded forms model/model_b/stratum hold opaque ids (blind_key).
-- text_b/model_b: the second answer of an A/B pair; swap_base: the seeded side of the first reviewer.
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL REFERENCES batches(id), kind TEXT NOT NULL,
  position INTEGER NOT NULL, k INTEGER NOT NULL, n_assigned INTEGER NOT NULL DEFAULT 0,
  stratum TEXT, source TEXT, doc_id TEXT, line INTEGER, text TEXT,
  prompt TEXT, model TEXT, image BLOB, image_type TEXT, image_name TEXT,
  auto_category TEXT, lang TEXT, script TEXT, dup_of TEXT,
  text_b TEXT, model_b TEXT, prompt_id TEXT, domain TEXT, risk TEXT, image_sha256 TEXT,
  swap_base INTEGER NOT NULL DEFAULT 0, per_reviewer INTEGER NOT NULL DEFAULT 0, attributes TEXT);
-- The queue: only items still short of k reviewers, in queue order (a partial index, so finding
-- the next item never walks over the items already full).
CREATE INDEX IF NOT EXISTS items_open ON items(position) WHERE n_assigned < k;
CREATE TABLE IF NOT EXISTS reviewers (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_sha256 TEXT NOT NULL UNIQUE,
  created REAL NOT NULL, role TEXT);
-- swapped: this reviewer was shown the pair's B answer first (A/B position, per reviewer).
CREATE TABLE IF NOT EXISTS assignments (
  item_id INTEGER NOT NULL REFERENCES items(id), reviewer_id INTEGER NOT NULL REFERENCES reviewers(id),
  claimed REAL NOT NULL, labelled INTEGER NOT NULL DEFAULT 0, swapped INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (item_id, reviewer_id));
CREATE INDEX IF NOT EXISTS assignments_reviewer ON assignments(reviewer_id, labelled);
-- answers: every criterion's answer as JSON (label/rating/flags/comment keep the first choice, the
-- second choice, the ticked flags and the first text, as before forms were data). scores: checklist
-- scores of this answer.
CREATE TABLE IF NOT EXISTS labels (
  item_id INTEGER NOT NULL, reviewer_id INTEGER NOT NULL,
  label TEXT NOT NULL, rating TEXT, flags TEXT NOT NULL DEFAULT '', comment TEXT NOT NULL DEFAULT '',
  created REAL NOT NULL, updated REAL NOT NULL,
  answers TEXT NOT NULL DEFAULT '{}', scores TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (item_id, reviewer_id),
  FOREIGN KEY (item_id, reviewer_id) REFERENCES assignments(item_id, reviewer_id));
-- Blinded batches: opaque id -> model name (admin only; reviewers' pages never read this table).
CREATE TABLE IF NOT EXISTS blind_key (
  batch_id INTEGER NOT NULL REFERENCES batches(id), opaque TEXT NOT NULL, model TEXT NOT NULL,
  PRIMARY KEY (batch_id, opaque));
-- Per-reviewer item order for batches with per_reviewer = 1, made the first time a reviewer asks.
CREATE TABLE IF NOT EXISTS reviewer_order (
  reviewer_id INTEGER NOT NULL REFERENCES reviewers(id), item_id INTEGER NOT NULL REFERENCES items(id),
  position INTEGER NOT NULL, PRIMARY KEY (reviewer_id, item_id));
CREATE INDEX IF NOT EXISTS reviewer_order_pos ON reviewer_order(reviewer_id, position);
CREATE TABLE IF NOT EXISTS reviewer_batches (
  reviewer_id INTEGER NOT NULL, batch_id INTEGER NOT NULL, PRIMARY KEY (reviewer_id, batch_id));
"""

# Columns added in schema 2, for opening a schema-1 project (table, column, declaration).
_V2_COLUMNS = (
    ("batches", "form_name", "TEXT"), ("batches", "form_toml", "TEXT"), ("batches", "form_sha256", "TEXT"),
    ("batches", "seed", "INTEGER NOT NULL DEFAULT 0"), ("batches", "per_reviewer", "INTEGER NOT NULL DEFAULT 0"),
    ("items", "text_b", "TEXT"), ("items", "model_b", "TEXT"), ("items", "prompt_id", "TEXT"),
    ("items", "domain", "TEXT"), ("items", "risk", "TEXT"), ("items", "image_sha256", "TEXT"),
    ("items", "swap_base", "INTEGER NOT NULL DEFAULT 0"), ("items", "per_reviewer", "INTEGER NOT NULL DEFAULT 0"),
    ("items", "attributes", "TEXT"),
    ("reviewers", "role", "TEXT"), ("assignments", "swapped", "INTEGER NOT NULL DEFAULT 0"),
    ("labels", "answers", "TEXT NOT NULL DEFAULT '{}'"), ("labels", "scores", "TEXT NOT NULL DEFAULT '{}'"),
)

ROLES = ("speaker", "clinician", "linguist", "other")


def _statements(script: str) -> list[str]:
    body = "\n".join(ln for ln in script.splitlines() if not ln.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


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
    if v is not None and v[0] == "1":
        _migrate_1_to_2(conn)
    elif v is None or v[0] != SCHEMA_VERSION:
        conn.close()
        what = "no schema version" if v is None else f"schema {v[0]}, this lugha reads 1 and {SCHEMA_VERSION}"
        raise LughaError(f"not a lugha review project ({what})", path)
    return conn


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Schema 1 (before forms were data) to 2, in one transaction: new columns and tables; every batch
    gets the package form of its kind (the same questions it was rated with); every label gets its
    answers JSON from its label, rating, flags and comment columns. Nothing is dropped."""
    with transaction(conn):
        if conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] != "1":
            return  # another process migrated it first
        for table, col, decl in _V2_COLUMNS:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {col} {decl}")
        for stmt in _statements(SCHEMA):
            if stmt.startswith("CREATE"):
                conn.execute(stmt)
        for b in conn.execute("SELECT id, kind, params FROM batches").fetchall():
            form = package_form(b["kind"])
            seed = json.loads(b["params"]).get("seed", 0)
            conn.execute("UPDATE batches SET form_name=?, form_toml=?, form_sha256=?, seed=? WHERE id=?",
                         (form.name, form.toml, form.sha256, int(seed or 0), b["id"]))
        for r in conn.execute("SELECT l.item_id, l.reviewer_id, l.label, l.rating, l.flags, l.comment, i.kind "
                              "FROM labels l JOIN items i ON i.id=l.item_id").fetchall():
            form = package_form(r["kind"])
            answers = form.validate(_legacy_answers(form, r["label"], r["rating"],
                                                    [f for f in r["flags"].split(",") if f], r["comment"]))
            conn.execute("UPDATE labels SET answers=? WHERE item_id=? AND reviewer_id=?",
                         (json.dumps(answers, ensure_ascii=False, sort_keys=True), r["item_id"], r["reviewer_id"]))
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (SCHEMA_VERSION,))


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
               "image_type", "image_name", "auto_category", "lang", "script", "dup_of",
               "text_b", "model_b", "prompt_id", "domain", "risk", "image_sha256", "swap_base", "attributes")


def add_batch(conn: sqlite3.Connection, kind: str | Form, source: str, sha256: str | None, params: dict,
              population: dict, items: list[dict], k: int, order: list[int],
              blind_key: dict[str, str] | None = None) -> int:
    """Insert a batch of items in one transaction. ``kind`` is a Form or the name of a package form;
    the form's TOML is stored with the batch. ``order[i]`` is item i's queue position within the
    batch (a seeded shuffle), placed after any existing items. ``blind_key`` maps the opaque model
    ids the items carry to model names (blinded forms)."""
    form = kind if isinstance(kind, Form) else package_form(kind)
    seed = int(params.get("seed", 0) or 0)
    with transaction(conn):
        other = conn.execute("SELECT form_sha256, form_toml FROM batches WHERE form_name=? AND form_sha256 != ? "
                             "LIMIT 1", (form.name, form.sha256)).fetchone()
        if other is not None:
            raise LughaError(f"this project already has a different form named {form.name!r}; give the new "
                             "form another name", form.source)
        cur = conn.execute(
            "INSERT INTO batches(kind, source, sha256, params, population, created, form_name, form_toml, "
            "form_sha256, seed, per_reviewer) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (form.name, source, sha256,
             json.dumps({**params, "reviewers_per_item": k, "form": f"{form.name}@{form.sha256[:12]}"},
                        sort_keys=True),
             json.dumps(population, sort_keys=True), time.time(), form.name, form.toml, form.sha256, seed,
             int(form.per_reviewer_order)))
        batch_id = cur.lastrowid
        base = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM items").fetchone()[0]
        cols = ("batch_id", "position", "k", "per_reviewer") + ITEM_FIELDS
        sql = f"INSERT INTO items({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.executemany(sql, ([batch_id, base + order[i], k, int(form.per_reviewer_order)]
                               + [it.get(f) if f not in ("kind", "swap_base") else
                                  form.name if f == "kind" else int(it.get(f) or 0) for f in ITEM_FIELDS]
                               for i, it in enumerate(items)))
        conn.executemany("INSERT INTO blind_key(batch_id, opaque, model) VALUES (?,?,?)",
                         ((batch_id, o, m) for o, m in sorted((blind_key or {}).items())))
        conn.execute("UPDATE counters SET value = value + ? WHERE name='open_items'", (len(items),))
    return batch_id


_FORMS_BY_SHA: dict[str, Form] = {}


def form_of_batch(conn: sqlite3.Connection, batch_id: int) -> Form:
    """The form a batch's items are rated with (parsed once per process, looked up by its hash)."""
    sha = conn.execute("SELECT form_sha256 FROM batches WHERE id=?", (batch_id,)).fetchone()[0]
    form = _FORMS_BY_SHA.get(sha)
    if form is None:
        text = conn.execute("SELECT form_toml FROM batches WHERE id=?", (batch_id,)).fetchone()[0]
        form = _FORMS_BY_SHA[sha] = stored_form(text, f"batch {batch_id} form")
    return form


def forms_by_name(conn: sqlite3.Connection) -> dict[str, Form]:
    """Every form in the project, by name, in the order batches were added."""
    out: dict[str, Form] = {}
    for b in conn.execute("SELECT id, form_name, form_toml FROM batches ORDER BY id"):
        if b["form_name"] not in out:
            out[b["form_name"]] = stored_form(b["form_toml"], f"batch {b['id']} form")
    return out


def blind_key_rows(conn: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT batch_id, opaque, model FROM blind_key ORDER BY batch_id, model")]


def blind_key(conn: sqlite3.Connection) -> dict[str, str]:
    """Opaque model id -> model name, over all batches (admin only)."""
    return {r["opaque"]: r["model"] for r in conn.execute("SELECT opaque, model FROM blind_key")}


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
    role: str | None = None


def add_reviewer(conn: sqlite3.Connection, name: str, role: str | None = "speaker") -> str:
    """Add a reviewer with their role (speaker, clinician, linguist, other: recorded with every
    answer they give) and return their token, shown once."""
    name = name.strip()
    if not name:
        raise LughaError("a reviewer needs a non-empty name")
    if role is not None and role not in ROLES:
        raise LughaError(f"--role must be one of {', '.join(ROLES)}, got {role!r}")
    token = secrets.token_urlsafe(24)
    try:
        with transaction(conn):
            conn.execute("INSERT INTO reviewers(name, token_sha256, created, role) VALUES (?,?,?,?)",
                         (name, _sha(token), time.time(), role))
    except sqlite3.IntegrityError:
        raise LughaError(f"a reviewer named {name!r} already exists") from None
    return token


def reviewer_for_token(conn: sqlite3.Connection, token: str) -> Reviewer | None:
    if not token:
        return None
    r = conn.execute("SELECT id, name, role FROM reviewers WHERE token_sha256=?", (_sha(token),)).fetchone()
    return Reviewer(r["id"], r["name"], r["role"]) if r else None


def reviewers(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute(
        "SELECT r.id, r.name, r.role, r.created, (SELECT COUNT(*) FROM labels l WHERE l.reviewer_id=r.id) AS done "
        "FROM reviewers r ORDER BY r.id").fetchall()
    return [dict(r) for r in rows]


# ---- the queue ----------------------------------------------------------------------------------

def _order_for(conn: sqlite3.Connection, reviewer_id: int) -> None:
    """For every per-reviewer batch this reviewer has no order for yet: a seeded permutation of the
    batch's queue positions (seed = the batch's seed and the reviewer id), kept in reviewer_order, so
    each reviewer meets the items in their own order and the order can be read back later."""
    import numpy as np

    pending = conn.execute(
        "SELECT b.id, b.seed FROM batches b WHERE b.per_reviewer=1 AND NOT EXISTS "
        "(SELECT 1 FROM reviewer_batches rb WHERE rb.batch_id=b.id AND rb.reviewer_id=?)",
        (reviewer_id,)).fetchall()
    for b in pending:
        rows = conn.execute("SELECT id, position FROM items WHERE batch_id=? ORDER BY position",
                            (b["id"],)).fetchall()
        perm = np.random.default_rng([int(b["seed"]), reviewer_id]).permutation(len(rows))
        conn.executemany("INSERT INTO reviewer_order(reviewer_id, item_id, position) VALUES (?,?,?)",
                         ((reviewer_id, rows[i]["id"], rows[int(p)]["position"]) for i, p in enumerate(perm)))
        conn.execute("INSERT INTO reviewer_batches(reviewer_id, batch_id) VALUES (?,?)", (reviewer_id, b["id"]))


def _swapped(conn: sqlite3.Connection, item_id: int, swap_base: int) -> int:
    """Which side this new reviewer of an A/B pair sees first: the side fewer of the item's reviewers
    have seen so far; on a tie (the first reviewer, the third, ...) the item's seeded side. So two
    reviewers of a pair always see it in opposite positions, and position bias cancels."""
    n1, n = conn.execute("SELECT COALESCE(SUM(swapped), 0), COUNT(*) FROM assignments WHERE item_id=?",
                         (item_id,)).fetchone()
    if n1 * 2 == n:
        return int(swap_base)
    return int(n1 * 2 < n)


def current_item(conn: sqlite3.Connection, reviewer_id: int) -> int | None:
    """The item this reviewer should see now: an open claim (resume after reload), else a new claim
    on the first item in queue order that this reviewer has not seen and fewer than k people have
    claimed (queue order: the batch's shuffle, or this reviewer's own order for per-reviewer
    batches). Claims are taken in a write transaction, so no item gets more than k reviewers."""
    with transaction(conn):
        r = conn.execute(
            "SELECT a.item_id FROM assignments a JOIN items i ON i.id=a.item_id "
            "WHERE a.reviewer_id=? AND a.labelled=0 ORDER BY i.position LIMIT 1",
            (reviewer_id,)).fetchone()
        if r is None:
            _order_for(conn, reviewer_id)
            r = conn.execute(
                "SELECT item_id, pair, swap_base FROM ("
                " SELECT * FROM (SELECT i.id AS item_id, i.position AS pos, i.text_b IS NOT NULL AS pair, i.swap_base"
                "  FROM items i"
                "  WHERE i.n_assigned < i.k AND i.per_reviewer=0 AND NOT EXISTS "
                "  (SELECT 1 FROM assignments a WHERE a.item_id=i.id AND a.reviewer_id=?) "
                "  ORDER BY i.position LIMIT 1)"
                " UNION ALL"
                " SELECT * FROM (SELECT o.item_id, o.position AS pos, i.text_b IS NOT NULL AS pair, i.swap_base"
                "  FROM reviewer_order o"
                "  JOIN items i ON i.id=o.item_id WHERE o.reviewer_id=? AND i.n_assigned < i.k AND NOT EXISTS "
                "  (SELECT 1 FROM assignments a WHERE a.item_id=o.item_id AND a.reviewer_id=?) "
                "  ORDER BY o.position LIMIT 1)"
                ") ORDER BY pos LIMIT 1", (reviewer_id, reviewer_id, reviewer_id)).fetchone()
            if r is not None:
                swapped = _swapped(conn, r["item_id"], r["swap_base"]) if r["pair"] else 0
                conn.execute("INSERT INTO assignments(item_id, reviewer_id, claimed, swapped) VALUES (?,?,?,?)",
                             (r["item_id"], reviewer_id, time.time(), swapped))
                full = conn.execute("UPDATE items SET n_assigned = n_assigned + 1 WHERE id=? "
                                    "RETURNING n_assigned >= k", (r["item_id"],)).fetchone()[0]
                if full:
                    conn.execute("UPDATE counters SET value = value - 1 WHERE name='open_items'")
    return r["item_id"] if r else None


def assignment(conn: sqlite3.Connection, reviewer_id: int, item_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM assignments WHERE item_id=? AND reviewer_id=?",
                        (item_id, reviewer_id)).fetchone()


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


def _legacy_answers(form: Form, label: str | None, rating: str | None, flags: Iterable[str],
                    comment: str) -> dict:
    """The answers dict for a call in the old shape (label, rating, flags, comment)."""
    flags = sorted(set(flags))
    allowed = {f.value for f in form.flags}
    bad = [f for f in flags if f not in allowed]
    if bad:
        raise ValueError(f"unknown flag {bad[0]!r}")
    answers: dict[str, Any] = {f: "yes" for f in flags}
    if form.primary:
        answers[form.primary.id] = label
    if form.second:
        answers[form.second.id] = rating
    if form.comment_criterion and comment:
        answers[form.comment_criterion.id] = comment
    return answers


def save_label(conn: sqlite3.Connection, reviewer_id: int, item_id: int, label: str | None = None,
               rating: str | None = None, flags: Iterable[str] = (), comment: str = "",
               answers: dict | None = None) -> bool:
    """Store one reviewer's answers to an item, committed before returning. ``answers`` maps each
    criterion of the item's form to its answer; the older call shape (label, rating, flags, comment)
    fills the form's first choice, second choice, flags and first text. For an A/B pair, answers
    that name a side (A, B) are as the reviewer saw them and are stored in the item's own order
    (the assignment records whether this reviewer saw B first). A repeated submit (double click,
    replay after a lost response) updates the same row: one label per (item, reviewer), never a
    duplicate. Returns True if this was a new label."""
    item = conn.execute("SELECT i.batch_id, b.form_sha256 FROM items i JOIN batches b ON b.id=i.batch_id "
                        "WHERE i.id=?", (item_id,)).fetchone()
    if item is None:
        raise NotYours(item_id)
    form = _FORMS_BY_SHA.get(item["form_sha256"]) or form_of_batch(conn, item["batch_id"])
    if answers is None:
        answers = _legacy_answers(form, label, rating, flags, comment)
    answers = form.validate(answers)
    now = time.time()
    with transaction(conn):
        a = conn.execute("SELECT swapped FROM assignments WHERE item_id=? AND reviewer_id=?",
                         (item_id, reviewer_id)).fetchone()
        if a is None:
            raise NotYours(item_id)
        if a["swapped"]:
            answers = form.swap_sides(answers)
        scores = form.scores(answers)
        primary = answers.get(form.primary.id) if form.primary else None
        second = answers.get(form.second.id) if form.second else None
        ticked = ",".join(f.value for f in form.flags if answers.get(f.value) == "yes")
        # A form without a text criterion (corpus) still keeps a comment passed in the old call shape.
        text = answers.get(form.comment_criterion.id, "") if form.comment_criterion else comment[:10000]
        new = conn.execute("SELECT 1 FROM labels WHERE item_id=? AND reviewer_id=?",
                           (item_id, reviewer_id)).fetchone() is None
        conn.execute(
            "INSERT INTO labels(item_id, reviewer_id, label, rating, flags, comment, created, updated, answers, scores) "
            "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(item_id, reviewer_id) DO UPDATE SET "
            "label=excluded.label, rating=excluded.rating, flags=excluded.flags, "
            "comment=excluded.comment, updated=excluded.updated, answers=excluded.answers, scores=excluded.scores",
            (item_id, reviewer_id, "" if primary is None else str(primary), None if second is None else str(second),
             ticked, text, now, now, json.dumps(answers, ensure_ascii=False, sort_keys=True),
             json.dumps(scores, sort_keys=True)))
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
        "l.created, l.updated, r.role, i.prompt_id, i.model_b, l.answers, l.scores "
        "FROM labels l JOIN items i ON i.id=l.item_id "
        "JOIN reviewers r ON r.id=l.reviewer_id ORDER BY i.position, r.id").fetchall()
    return [dict(r) for r in rows]


def counts(conn: sqlite3.Connection) -> dict[str, Any]:
    q = lambda s: conn.execute(s).fetchone()[0]  # noqa: E731
    return {"items": q("SELECT COUNT(*) FROM items"), "labels": q("SELECT COUNT(*) FROM labels"),
            "reviewers": q("SELECT COUNT(*) FROM reviewers"),
            "target_labels": q("SELECT COALESCE(SUM(k), 0) FROM items")}
