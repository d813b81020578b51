"""Sampling from audits, the claim queue, one label per item and reviewer, imports."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lugha.errors import LughaError
from lugha.review import store
from lugha.review.sampling import import_generations, import_images, sample_audit

from .helpers import make_project, write_audit

DOCS = [("CC", f"ሰላም ዓለም {i}") for i in range(40)] + [("WL", f"ሰላም ለዓለም {i}") for i in range(25)] + \
       [("NL", f"### {i}") for i in range(5)] + [("CS", f"ሰላም {i}") for i in range(10)]


def test_per_category_sample_is_stratified_and_reproducible(tmp_path):
    audit = write_audit(tmp_path / "a", DOCS)
    a = sample_audit(audit, n=8, per_category=True, seed=7)
    b = sample_audit(audit, n=8, per_category=True, seed=7)
    c = sample_audit(audit, n=8, per_category=True, seed=8)
    by_cat = {}
    for it in a.items:
        by_cat[it["stratum"]] = by_cat.get(it["stratum"], 0) + 1
    assert by_cat == {"CC": 8, "WL": 8, "NL": 5, "CS": 8}  # NL has only 5 documents
    assert a.population == {"CC": 40, "WL": 25, "NL": 5, "CS": 10}
    assert [i["doc_id"] for i in a.items] == [i["doc_id"] for i in b.items] and a.order == b.order
    assert [i["doc_id"] for i in a.items] != [i["doc_id"] for i in c.items]
    assert a.params["claimed_lang"] == "tir"
    # Every sampled item is the audit's row, text and category intact.
    src = {str(i + 1): (cat, t) for i, (cat, t) in enumerate(DOCS)}
    assert all(src[it["doc_id"]] == (it["auto_category"], it["text"]) for it in a.items)


def test_uniform_sample_size(tmp_path):
    audit = write_audit(tmp_path / "a", DOCS)
    s = sample_audit(audit, n=30, seed=1)
    assert len(s.items) == 30 and len({i["doc_id"] for i in s.items}) == 30
    assert sorted(s.order) == list(range(30))


def test_missing_column_names_file_and_column(tmp_path):
    tmp_path.joinpath("a").mkdir()
    pq.write_table(pa.table({"source": ["x"], "doc_id": ["1"], "text": ["t"]}), tmp_path / "a/annotations.parquet")
    with pytest.raises(LughaError) as e:
        sample_audit(tmp_path / "a")
    assert str(e.value) == (f"{tmp_path}/a/annotations.parquet: missing column(s) line, category, lang, "
                            "lang_score, script, dup_of; expected source, doc_id, line, text, category, lang, "
                            "lang_score, script, dup_of")
    with pytest.raises(LughaError, match="no annotations.parquet here"):
        sample_audit(tmp_path / "nowhere")


def test_each_item_goes_to_at_most_k_reviewers_and_each_reviewer_sees_it_once(tmp_path):
    db, _ = make_project(tmp_path, DOCS[:6], k=2)
    conn = store.open_project(db)
    ids = {}
    for name in ("a", "b", "c"):
        ids[name] = store.reviewer_for_token(conn, store.add_reviewer(conn, name)).id
    seen = {n: [] for n in ids}
    # Reviewers take turns until nobody gets anything.
    while True:
        progressed = False
        for n, rid in ids.items():
            item = store.current_item(conn, rid)
            if item is None:
                continue
            assert store.current_item(conn, rid) == item  # resume: same item until labelled
            store.save_label(conn, rid, item, "CC")
            seen[n].append(item)
            progressed = True
        if not progressed:
            break
    per_item = {}
    for n, items in seen.items():
        assert len(items) == len(set(items))
        for i in items:
            per_item[i] = per_item.get(i, 0) + 1
    assert len(per_item) == 6 and set(per_item.values()) == {2}
    assert store.counts(conn)["labels"] == 12
    assert store.progress(conn, ids["a"])["left"] == 0


def test_resubmit_updates_not_duplicates_and_foreign_items_are_refused(tmp_path):
    db, _ = make_project(tmp_path, DOCS[:3], k=1)
    conn = store.open_project(db)
    a = store.reviewer_for_token(conn, store.add_reviewer(conn, "a")).id
    b = store.reviewer_for_token(conn, store.add_reviewer(conn, "b")).id
    item = store.current_item(conn, a)
    assert store.save_label(conn, a, item, "CC") is True
    assert store.save_label(conn, a, item, "WL", flags=["offensive"]) is False
    rows = conn.execute("SELECT label, flags FROM labels").fetchall()
    assert [tuple(r) for r in rows] == [("WL", "offensive")]
    with pytest.raises(store.NotYours):
        store.save_label(conn, b, item, "CC")  # b was never given this item (k=1)
    with pytest.raises(ValueError, match="'XX' is not one of CC, CB, CS, WL, NL"):
        store.save_label(conn, a, item, "XX")
    with pytest.raises(LughaError, match="already exists"):
        store.add_reviewer(conn, "a")


def test_not_a_project(tmp_path):
    p = tmp_path / "x.db"
    p.write_bytes(b"hello, not sqlite" * 100)
    with pytest.raises(LughaError, match="not a lugha review project"):
        store.open_project(p)
    with pytest.raises(LughaError, match="no such review project"):
        store.open_project(tmp_path / "missing.db")


def test_import_generations_reports_file_and_line(tmp_path):
    f = tmp_path / "gen.jsonl"
    f.write_text(json.dumps({"prompt": "p", "output": "o", "model": "m"}) + "\n"
                 + json.dumps({"prompt": "p", "output": "o"}) + "\n", encoding="utf-8")
    with pytest.raises(LughaError) as e:
        import_generations(f)
    assert str(e.value) == f"{f}:2: missing field 'model' (need prompt, output, model)"
    f.write_text("prompt,output,model\nሰላም,ሰላም ንዓኻ,gemma\nhi,hello,gemma\n", encoding="utf-8")
    f2 = f.rename(tmp_path / "gen.csv")
    b = import_generations(f2)
    assert [(i["prompt"], i["text"], i["model"], i["line"]) for i in b.items] == \
        [("ሰላም", "ሰላም ንዓኻ", "gemma", 2), ("hi", "hello", "gemma", 3)]


PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082")


def test_import_images_needs_prompts_and_real_images(tmp_path):
    (tmp_path / "a.png").write_bytes(PNG_1PX)
    with pytest.raises(LughaError, match="no prompt for this image"):
        import_images(tmp_path)
    (tmp_path / "a.txt").write_text("A Tigrayan wedding", encoding="utf-8")
    (tmp_path / "b.png").write_bytes(b"<svg onload=alert(1)>")
    with pytest.raises(LughaError, match="b.png: not a PNG, JPEG, GIF or WebP image"):
        import_images(tmp_path)
    (tmp_path / "b.png").unlink()
    b = import_images(tmp_path)
    assert [(i["image_name"], i["prompt"], i["image_type"]) for i in b.items] == [("a.png", "A Tigrayan wedding", "image/png")]


def test_open_item_counter_matches_a_full_count(tmp_path):
    db, _ = make_project(tmp_path, DOCS[:9], k=2)
    conn = store.open_project(db)
    rids = [store.reviewer_for_token(conn, store.add_reviewer(conn, n)).id for n in "abc"]
    for step in range(12):
        rid = rids[step % 3]
        item = store.current_item(conn, rid)
        if step % 2:
            store.save_label(conn, rid, item, "CS")
        counted = conn.execute("SELECT COUNT(*) FROM items WHERE n_assigned < k").fetchone()[0]
        assert conn.execute("SELECT value FROM counters WHERE name='open_items'").fetchone()[0] == counted


def test_release_stale_claims_lets_someone_else_finish_the_item(tmp_path, cli):
    db, _ = make_project(tmp_path, DOCS[:1], k=1)
    conn = store.open_project(db)
    a = store.reviewer_for_token(conn, store.add_reviewer(conn, "a")).id
    b = store.reviewer_for_token(conn, store.add_reviewer(conn, "b")).id
    item = store.current_item(conn, a)  # a is shown the only item and walks away
    assert store.current_item(conn, b) is None
    assert store.release_stale_claims(conn, 3600) == 0  # too recent
    r = cli("review", "release", db, "--older-than-hours", "0")
    assert r.exit_code == 0 and r.stdout.strip() == "released 1 unanswered item older than 0 h"
    assert store.current_item(conn, b) == item
    store.save_label(conn, b, item, "CC")
    with pytest.raises(store.NotYours):
        store.save_label(conn, a, item, "WL")  # a's stale form no longer counts
    assert conn.execute("SELECT value FROM counters").fetchone()[0] == 0
    assert store.progress(conn, a) == {"done": 0, "left": 0, "total": 0}
