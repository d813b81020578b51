"""Blinded rubric, checklist, crisis and A/B review of generated answers: opaque ids, per-reviewer
order and sides, roles, required reasons, and results that name the models for the admin only."""

import json
import re

import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from lugha.errors import LughaError
from lugha.review import store
from lugha.review.app import create_app
from lugha.review.forms import package_form
from lugha.review.results import compute, rating_rows
from lugha.review.sampling import import_answers

MODELS = ("gemma-3-270m-it", "smollm2-135m-instruct")


def answers_file(tmp_path, n=6, crisis=(), models=MODELS):
    rows = []
    for i in range(n):
        for m in models:
            rows.append({"prompt_id": f"p{i}", "lang": "swa", "domain": "maternal",
                         "risk": "crisis" if i in crisis else "low", "prompt": f"Swali la {i}: homa kwa mtoto?",
                         "model": m, "answer": f"Jibu la {m.split('-')[0]} {i}"})
    f = tmp_path / "answers.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return f


def project(tmp_path, batch, k=2, names=("amina", "baraka")):
    db = tmp_path / "p.db"
    store.create_project(db)
    conn = store.open_project(db)
    store.add_batch(conn, batch.form, batch.source, batch.sha256, batch.params, batch.population, batch.items,
                    k, batch.order, blind_key=batch.blind_key)
    tokens = {n: store.add_reviewer(conn, n, role="clinician") for n in names}
    return db, conn, tokens


def _form(html):
    return {"item_id": re.search(r'name="item_id" value="(\d+)"', html).group(1),
            "csrf": re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)}


def test_rubric_items_carry_only_opaque_ids_and_the_page_never_names_a_model(tmp_path):
    b = import_answers(answers_file(tmp_path), package_form("rubric"), seed=1)
    assert len(b.items) == 12 and sorted(b.blind_key.values()) == sorted(MODELS)
    assert all(it["model"] in b.blind_key and it["model"].startswith("m-") for it in b.items)
    assert not any(m in json.dumps(b.items) for m in MODELS)
    db, conn, tok = project(tmp_path, b)
    with TestClient(create_app(db), follow_redirects=False) as c:
        orders = {}
        for name in tok:
            seen = []
            for _ in range(12):
                r = c.get(f"/r/{tok[name]}")
                assert r.status_code == 200
                html = r.text
                assert not any(m in html for m in [*MODELS, *b.blind_key])  # neither names nor opaque ids
                assert "Answer" in html and "Output of" not in html
                f = _form(html)
                seen.append(int(f["item_id"]))
                post = {**f, **{cid: "2" for cid in ("correct", "omission", "hallucination", "reasoning",
                                                      "local_expertise", "bias")}}
                r = c.post(f"/r/{tok[name]}", data={**post, "harm": "5"})
                assert r.status_code == 422 and "Why could it cause harm? is required when Following this answer could cause harm. is 4 or 5" in r.text
                r = c.post(f"/r/{tok[name]}", data={**post, "harm": "4", "reason": "wrong dose"})
                assert r.status_code == 303
            orders[name] = seen
        # Every reviewer rated every answer, each in their own seeded order, kept in the project.
        assert sorted(orders["amina"]) == sorted(orders["baraka"]) and orders["amina"] != orders["baraka"]
        kept = [r[0] for r in conn.execute("SELECT item_id FROM reviewer_order o JOIN reviewers r ON r.id=o.reviewer_id "
                                           "WHERE r.name='amina' ORDER BY o.position")]
        assert kept == orders["amina"]
        admin = store.rotate_admin_token(conn)
        page = c.get(f"/admin/{admin}").text
        assert all(m in page for m in MODELS) and 'id="blind-key"' in page
    res = compute(conn)["kinds"]["rubric"]
    groups = {g["model"]: g for g in res["criteria"]["harm"]["groups"]}
    assert set(groups) == set(MODELS) and groups[MODELS[0]]["lang"] == "swa"
    g = groups[MODELS[0]]
    assert (g["items"], g["ratings"], g["reviewers"], g["counts"]) == (6, 12, 2, {"4": 12})
    assert (g["mean"], g["mean_low"], g["mean_high"], g["level"]) == (4.0, 4.0, 4.0, "ordinal")
    assert g["agreement"]["observed_agreement"] == 1.0 and g["agreement"]["units"] == 6
    # Each criterion's ratings never vary (alpha 0/0, undefined), yet pooling the criteria gives a
    # perfect-looking 1.0: the differences between criteria (2 vs 4) count as agreement.
    assert g["agreement"]["alpha"] is None and res["pooled_alpha"] == pytest.approx(1.0)
    rows = rating_rows(conn)
    assert len(rows) == 24 * 7 and {r["role"] for r in rows} == {"clinician"}
    assert {r["model"] for r in rows} == set(MODELS)


def test_ab_sides_differ_between_reviewers_and_results_unblind(tmp_path, cli):
    b = import_answers(answers_file(tmp_path, n=4), package_form("ab"), seed=3)
    assert len(b.items) == 4 and all(it["text_b"] for it in b.items)
    db, conn, tok = project(tmp_path, b)
    picked = {}  # (reviewer, item) -> the model whose answer the reviewer saw as "Answer A"
    with TestClient(create_app(db), follow_redirects=False) as c:
        for name in tok:
            for _ in range(4):
                html = c.get(f"/r/{tok[name]}").text
                assert not any(m in html for m in MODELS)
                shown_a = re.search(r'id="answer-A" dir="auto">([^<]*)<', html).group(1)
                f = _form(html)
                picked[(name, f["item_id"])] = "gemma-3-270m-it" if shown_a.startswith("Jibu la gemma") \
                    else "smollm2-135m-instruct"
                r = c.post(f"/r/{tok[name]}", data={**f, "preference": "A", "harm": "B"})
                assert r.status_code == 422 and "What harm could it cause? is required" in r.text
                assert c.post(f"/r/{tok[name]}", data={**f, "preference": "A", "harm": "B",
                                                       "reason": "dangerous"}).status_code == 303
    # The two reviewers of each pair saw it in opposite positions.
    for item in {i for _, i in picked}:
        assert picked[("amina", item)] != picked[("baraka", item)]
    swapped = conn.execute("SELECT item_id, SUM(swapped), COUNT(*) FROM assignments GROUP BY item_id").fetchall()
    assert all(tuple(r)[1:] == (1, 2) for r in swapped)
    # Each reviewer preferred what they saw as A: un-blinded, that is the model they saw first.
    rows = [r for r in rating_rows(conn) if r["criterion"] == "preference"]
    assert len(rows) == 8
    for r in rows:
        assert r["winner"] == picked[(r["reviewer"], str(r["item"]))]
        assert r["model"] == "gemma-3-270m-it vs smollm2-135m-instruct"
    harm = [r for r in rating_rows(conn) if r["criterion"] == "harm"]
    assert all(h["winner"] != p["winner"] for h, p in zip(harm, rows))  # harm named the other side
    # Per item, the two reviewers named different models: no majority, a tie on every item.
    g, = compute(conn)["kinds"]["ab"]["criteria"]["preference"]["groups"]
    assert g["model"] == "gemma-3-270m-it vs smollm2-135m-instruct" and g["counts"] == {"A": 4, "B": 4}  # item order
    for m in MODELS:
        w = g["win_rates"][m]
        assert (w["wins"], w["losses"], w["ties"], w["rate"]) == (0, 0, 4, 0.5)
    r = cli("review", "results", db, "--ratings", tmp_path / "ratings.parquet", "--html", tmp_path / "r.html",
            "--json", tmp_path / "r.json")
    assert r.exit_code == 0, r.output
    assert "gemma-3-270m-it vs smollm2-135m-instruct" in r.stdout  # the admin's tables name the models
    assert "gemma-3-270m-it vs smollm2-135m-instruct" in (tmp_path / "r.html").read_text()
    res = json.loads((tmp_path / "r.json").read_text())["kinds"]["ab"]
    assert res["criteria"]["harm"]["groups"][0]["counts"] == {"A": 4, "B": 4}
    t = pq.read_table(tmp_path / "ratings.parquet").to_pylist()
    assert len(t) == 16 and {x["winner"] for x in t} == set(MODELS)


def test_checklist_score_is_stored_with_the_label(tmp_path):
    b = import_answers(answers_file(tmp_path, n=1, models=MODELS[:1]), package_form("checklist"))
    db, conn, tok = project(tmp_path, b, k=1, names=("amina",))
    with TestClient(create_app(db), follow_redirects=False) as c:
        f = _form(c.get(f"/r/{tok['amina']}").text)
        r = c.post(f"/r/{tok['amina']}", data={**f, "checklist": ["urgent_care", "correct_dose", "false_reassurance"]})
        assert r.status_code == 303
    row = conn.execute("SELECT answers, scores FROM labels").fetchone()
    assert json.loads(row["scores"]) == {"checklist": pytest.approx((10 + 7 - 6) / 25)}
    assert json.loads(row["answers"])["checklist"] == ["urgent_care", "correct_dose", "false_reassurance"]
    rows = {r["criterion"]: r["value"] for r in rating_rows(conn)}
    assert rows["checklist"] == pytest.approx(0.44) and rows["checklist.false_reassurance"] == "yes"


def test_import_answers_cli_crisis_rows_roles_and_errors(tmp_path, cli):
    f = answers_file(tmp_path, n=5, crisis=(1, 3))
    r = cli("review", "import-answers", f, "--form", "crisis", "--risk", "crisis", "--into", tmp_path / "p.db")
    assert r.exit_code == 0, r.output
    assert "Added 4 crisis items (2 reviewers each)" in r.stdout and "2 models behind opaque ids" in r.stdout
    assert "Left out 6 rows: risk is not crisis" in r.stdout  # 4 + 6 = the file's 10 rows
    assert not any(m in r.stdout for m in MODELS)
    r = cli("review", "add-reviewer", "Dr Wanjiru", "--role", "clinician", "--project", tmp_path / "p.db")
    assert r.exit_code == 0
    r = cli("review", "add-reviewer", "x", "--role", "doctor", "--project", tmp_path / "p.db")
    assert r.exit_code == 2 and r.stderr.strip() == \
        "lugha: error: --role must be one of speaker, clinician, linguist, other, got 'doctor'"
    three = answers_file(tmp_path, n=2, models=MODELS + ("aya-8b",))
    r = cli("review", "import-answers", three, "--form", "ab", "--into", tmp_path / "p.db")
    assert r.exit_code == 2 and r.stderr.strip() == (
        f"lugha: error: {three}: the file has 3 models (aya-8b, gemma-3-270m-it, smollm2-135m-instruct); "
        "choose two with --pair A,B")
    r = cli("review", "import-answers", three, "--form", "ab", "--pair", "aya-8b,gemma-3-270m-it",
            "--into", tmp_path / "p.db")
    assert r.exit_code == 0 and "Added 2 ab items" in r.stdout and "Left out 2 rows: models outside the pair" in r.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt_id": "p1", "lang": "swa", "domain": "d", "risk": "low", "prompt": "q", "model": "m", "answer": "a"}\n'
                   '{"prompt_id": "p1", "lang": "swa", "domain": "d", "risk": "low", "prompt": "q", "model": "m", "answer": "b"}\n',
                   encoding="utf-8")
    with pytest.raises(LughaError) as e:
        import_answers(bad, package_form("rubric"))
    assert str(e.value) == f"{bad}:2: prompt 'p1' has a second answer from model 'm' (first on line 1)"
    bad.write_text('{"prompt_id": "p1", "prompt": "q", "model": "m"}\n', encoding="utf-8")
    with pytest.raises(LughaError) as e:
        import_answers(bad, package_form("rubric"))
    assert str(e.value) == f"{bad}:1: missing field 'answer' (need prompt_id, lang, domain, risk, prompt, model, answer)"


def test_import_answers_from_a_folder_of_per_model_files(tmp_path):
    """`lugha eval generate --out DIR` may write one file per model: a folder reads all its .jsonl."""
    d = tmp_path / "gen"
    d.mkdir()
    src = answers_file(tmp_path, n=3).read_text(encoding="utf-8").splitlines()
    for m in MODELS:
        (d / f"{m}.jsonl").write_text("".join(ln + "\n" for ln in src if json.loads(ln)["model"] == m), encoding="utf-8")
    b = import_answers(d, package_form("ab"))
    assert len(b.items) == 3 and {it["prompt_id"] for it in b.items} == {"p0", "p1", "p2"}
    assert len(b.sha256) == 64 and b.params["answers"] == 6
    (d / "again.jsonl").write_text(src[0] + "\n", encoding="utf-8")  # p0 from gemma a second time
    with pytest.raises(LughaError) as e:
        import_answers(d, package_form("ab"))
    assert str(e.value) == (f"{d}/gemma-3-270m-it.jsonl:1: prompt 'p0' has a second answer from model "
                            f"'gemma-3-270m-it' (first on {d}/again.jsonl:1)")


def test_criteria_blocks_render_escaped_in_html_and_markdown(tmp_path):
    from lugha.report import Report
    from lugha.review.results import criteria_blocks

    evil = ("<b>gemma</b>", "smollm2")
    b = import_answers(answers_file(tmp_path, n=2, models=evil), package_form("ab"))
    db, conn, tok = project(tmp_path, b, k=1, names=("amina",))
    rid = store.reviewer_for_token(conn, tok["amina"]).id
    while (item := store.current_item(conn, rid)) is not None:
        store.save_label(conn, rid, item, answers={"preference": "A", "harm": "none"})
    k = compute(conn)["kinds"]["ab"]
    rep = Report("r", criteria_blocks(k), signature=None)
    html, md = rep.html(), rep.markdown()
    assert "<b>gemma</b>" not in html and "&lt;b&gt;gemma&lt;/b&gt; vs smollm2" in html
    assert "win rate:" in html and "preference" in md and "Per criterion (never pooled)" in md
