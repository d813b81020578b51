"""Results from a project with known answers: shares, intervals, agreement, confusion, export, CLI."""

import json

import pyarrow.parquet as pq
import pytest

from lugha.review import stats, store
from lugha.review.results import compute

from .helpers import make_project

# 6 CC items and 4 WL items from the audit; 3 reviewers label every item.
DOCS = [("CC", f"ሰላም {i}") for i in range(6)] + [("WL", f"hello {i}") for i in range(4)]
# Human answers per doc text: the audit is wrong on two CC items (humans say WL) and one is a tie.
ANSWERS = {
    "ሰላም 0": ["CC", "CC", "CC"], "ሰላም 1": ["CC", "CC", "CB"], "ሰላም 2": ["WL", "WL", "WL"],
    "ሰላም 3": ["WL", "WL", "CC"], "ሰላም 4": ["CC", "CB", "WL"], "ሰላም 5": ["CC", "CC", "CC"],
    "hello 0": ["WL", "WL", "WL"], "hello 1": ["WL", "WL", "WL"], "hello 2": ["WL", "NL", "WL"],
    "hello 3": ["WL", "WL", "WL"],
}


@pytest.fixture
def labelled(tmp_path):
    db, admin = make_project(tmp_path, DOCS, k=3)
    conn = store.open_project(db)
    rids = [store.reviewer_for_token(conn, store.add_reviewer(conn, n)).id for n in ("r1", "r2", "r3")]
    for slot, rid in enumerate(rids):
        while (item := store.current_item(conn, rid)) is not None:
            text = store.get_item(conn, item)["text"]
            store.save_label(conn, rid, item, ANSWERS[text][slot],
                             flags=["offensive"] if text == "hello 1" and slot < 2 else [])
    return db, conn


def test_results_match_hand_computed_figures(labelled):
    db, conn = labelled
    res = compute(conn)
    k = res["kinds"]["corpus"]
    assert res["counts"] == {"items": 10, "labels": 30, "reviewers": 3, "target_labels": 30}
    cc = k["shares"]["strata"]["CC"]
    # CC stratum majorities: CC, CC, WL, WL, (tie), CC -> 3/5 CC, 2/5 WL, one without majority.
    assert (cc["decided"], cc["no_majority"]) == (5, 1)
    assert cc["labels"]["CC"]["count"] == 3 and cc["labels"]["CC"]["share"] == pytest.approx(0.6)
    assert (cc["labels"]["CC"]["low"], cc["labels"]["CC"]["high"]) == tuple(pytest.approx(x) for x in stats.wilson(3, 5))
    assert k["shares"]["strata"]["WL"]["labels"]["WL"]["share"] == 1.0
    # Population weights: 6 CC and 4 WL documents in the audit, all sampled.
    # WL overall = .6 * 2/5 + .4 * 1 = 0.64
    assert k["shares"]["overall"]["WL"]["share"] == pytest.approx(0.64)
    # Confusion: audit CC -> human CC 3, WL 2, no majority 1; audit WL -> WL 4.
    assert k["confusion"]["counts"]["CC"]["CC"] == 3 and k["confusion"]["counts"]["CC"]["WL"] == 2
    assert k["confusion"]["counts"]["CC"]["no_majority"] == 1 and k["confusion"]["counts"]["WL"]["WL"] == 4
    assert k["audit_agreement"]["agree"] == 7 and k["audit_agreement"]["decided"] == 9
    # Agreement, on exactly the units above.
    units = [ANSWERS[t] for t in ANSWERS]
    assert k["agreement"]["fleiss_kappa"] == pytest.approx(stats.fleiss_kappa(units))
    assert k["agreement"]["krippendorff_alpha"] == pytest.approx(stats.krippendorff_alpha(units))
    assert k["agreement"]["kappa_units"] == 10 and k["agreement"]["kappa_raters"] == 3
    # Disagreements: every item whose three answers are not all equal.
    assert sorted(d["snippet"] for d in k["disagreements"]) == ["hello 2", "ሰላም 1", "ሰላም 3", "ሰላም 4"]
    assert k["flags"]["offensive"]["share"] == pytest.approx(0.1)  # hello 1: 2 of 3 ticked
    sig = res["signature"]
    assert sig["task"] == "review" and sig["params"]["labels"] == 30 and len(sig["params"]["labels_sha256"]) == 64
    assert len(list(sig["inputs"].values())[0]) == 64
    assert "reviewers_per_item=3" in sig["params"]["batches"][0] and "seed=0" in sig["params"]["batches"][0]
    # A changed answer changes the signature (equal signatures, equal figures).
    rid = conn.execute("SELECT reviewer_id, item_id FROM labels LIMIT 1").fetchone()
    store.save_label(conn, rid[0], rid[1], "NL")
    assert compute(conn)["signature"]["params"]["labels_sha256"] != sig["params"]["labels_sha256"]


def test_cli_results_json_html_and_exports(labelled, cli, tmp_path):
    db, conn = labelled
    r = cli("review", "results", db, "--json", tmp_path / "r.json", "--html", tmp_path / "r.html",
            "--export", tmp_path / "labels.parquet")
    assert r.exit_code == 0, r.output
    assert "30 of 30 labels on 10 items from 3 reviewers" in r.stdout
    assert "audit category = human majority: 77.8% [45.3–93.7] (7/9)" in r.stdout
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["kinds"]["corpus"]["audit_agreement"]["agree"] == 7 and "signature" in res
    t = pq.read_table(tmp_path / "labels.parquet")
    assert t.num_rows == 30 and sorted(set(t.column("reviewer").to_pylist())) == ["r1", "r2", "r3"]
    html = (tmp_path / "r.html").read_text()
    assert "<svg" in html
    assert not any(x in html for x in ('src="http', "href=\"http", "url(http", "@import"))
    item = conn.execute("SELECT reviewer_id, item_id FROM labels LIMIT 1").fetchone()
    store.save_label(conn, item[0], item[1], "CC", comment='=HYPERLINK("http://x.example","y")')
    r = cli("review", "results", db, "--export", tmp_path / "labels.csv")
    csv_text = (tmp_path / "labels.csv").read_text()
    assert csv_text.count("\n") == 31
    assert "'=HYPERLINK" in csv_text and ',"=HYPERLINK' not in csv_text  # no live formula
    r = cli("review", "results", db, "--export", tmp_path / "labels.xlsx")
    assert r.exit_code == 2 and r.stderr.strip() == f"lugha: error: {tmp_path}/labels.xlsx: export needs a .csv or .parquet file name"


def test_cli_sample_and_add_reviewer(cli, tmp_path):
    from .helpers import write_audit

    audit = write_audit(tmp_path / "audit", DOCS)
    r = cli("review", "sample", audit, "--n", "3", "--per-category", "--reviewers", "2", "--seed", "5",
            "--into", tmp_path / "p.db")
    assert r.exit_code == 0, r.output
    assert "Added 6 corpus items (2 reviewers each)" in r.stdout and "CC 3, WL 3" in r.stdout
    assert "Admin token (shown once" in r.stdout
    r = cli("review", "add-reviewer", "amina", "--project", tmp_path / "p.db")
    assert r.exit_code == 0 and r.stdout.startswith("http://127.0.0.1:8765/r/")
    r = cli("review", "add-reviewer", "amina", "--project", tmp_path / "p.db")
    assert r.exit_code == 2 and r.stderr.strip() == "lugha: error: a reviewer named 'amina' already exists"
    r = cli("review", "sample", tmp_path / "nothing", "--into", tmp_path / "p.db")
    assert r.exit_code == 2 and "nothing: no annotations.parquet here" in r.stderr


@pytest.mark.slow
def test_sample_from_a_real_audit(cli, shared_data, tmp_path):
    """Audit a real mix (NTREX Tigrinya with Amharic and English lines), sample it, and check the
    sample is the audit's rows, stratified by the audit's own categories."""
    nt = shared_data / "ntrex128"
    lines = (nt / "newstest2019-ref.tir.txt").read_text(encoding="utf-8").splitlines()[:120] \
        + (nt / "newstest2019-ref.amh.txt").read_text(encoding="utf-8").splitlines()[:40] \
        + (nt / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()[:40]
    corpus = tmp_path / "claimed_tir.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli("audit", corpus, "--lang", "tir", "--out", tmp_path / "audit", "--workers", "1")
    assert r.exit_code == 0, r.output
    table = pq.read_table(tmp_path / "audit/annotations.parquet").to_pylist()
    cats = {}
    for row in table:
        cats[row["category"]] = cats.get(row["category"], 0) + 1
    assert cats.get("WL", 0) >= 40  # the Amharic and English lines at least
    r = cli("review", "sample", tmp_path / "audit", "--n", "20", "--per-category", "--into", tmp_path / "p.db")
    assert r.exit_code == 0, r.output
    conn = store.open_project(tmp_path / "p.db")
    items = conn.execute("SELECT doc_id, text, auto_category FROM items").fetchall()
    by_id = {str(row["doc_id"]): row for row in table}
    assert len(items) == sum(min(20, n) for n in cats.values())
    for it in items:
        assert by_id[it["doc_id"]]["text"] == it["text"] and by_id[it["doc_id"]]["category"] == it["auto_category"]
    assert json.loads(conn.execute("SELECT population FROM batches").fetchone()[0]) == cats


def test_generation_results_per_model(tmp_path):
    from lugha.review.sampling import import_generations

    f = tmp_path / "gen.jsonl"
    rows = [{"prompt": f"p{i}", "output": f"o{i}", "model": "m1" if i < 4 else "m2"} for i in range(6)]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    db = tmp_path / "p.db"
    store.create_project(db)
    b = import_generations(f)
    conn = store.open_project(db)
    store.add_batch(conn, b.kind, b.source, b.sha256, b.params, b.population, b.items, 2, b.order)
    for name in ("a", "b"):
        rid = store.reviewer_for_token(conn, store.add_reviewer(conn, name)).id
        while (item := store.current_item(conn, rid)) is not None:
            it = store.get_item(conn, item)
            in_lang = "yes" if it["model"] == "m1" and it["text"] != "o0" else "no"
            store.save_label(conn, rid, item, in_lang, rating="fluent" if name == "a" else "understandable")
    g = compute(conn)["kinds"]["generation"]
    assert g["shares"]["strata"]["m1"]["labels"]["yes"]["share"] == pytest.approx(0.75)
    assert g["shares"]["strata"]["m2"]["labels"]["no"]["share"] == 1.0
    assert g["agreement"]["krippendorff_alpha"] == pytest.approx(1.0)
    # Fluency: the two reviewers always differ -> no majority anywhere, alpha below zero.
    assert all(s["no_majority"] == s["items"] for s in g["rating_shares"]["strata"].values())
    assert g["rating_agreement"]["krippendorff_alpha"] < 0


def test_admin_link_rotates_the_token(cli, tmp_path):
    from .helpers import write_audit

    write_audit(tmp_path / "audit", DOCS)
    r = cli("review", "sample", tmp_path / "audit", "--n", "2", "--into", tmp_path / "p.db")
    old = r.stdout.split("Admin token (shown once; keep it secret): ")[1].split()[0]
    conn = store.open_project(tmp_path / "p.db")
    assert store.is_admin(conn, old)
    r = cli("review", "admin-link", tmp_path / "p.db", "--port", "9000")
    new = r.stdout.strip().split("http://127.0.0.1:9000/admin/")[1]
    assert store.is_admin(conn, new) and not store.is_admin(conn, old) and not store.is_admin(conn, "")
