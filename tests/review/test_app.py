"""The web app through Starlette's TestClient: reviewer flow, tokens, CSRF, escaping, images."""

import re

import pytest
from starlette.testclient import TestClient

from lugha.review import store
from lugha.review.app import create_app
from lugha.review.sampling import import_generations, import_images

from .helpers import make_project
from .test_store_sampling import PNG_1PX

XSS = [
    ("CC", "<script>window.__xss=1</script>ሰላም"),
    ("CC", '<a href="javascript:alert(1)">click</a> <img src=x onerror="window.__xss=2">'),
    ("WL", "abc \u202eevil\u202c ሰላም"),
    ("NL", "ሀ" * (1 << 20)),  # a 1 MB line
]


def _form(html):
    return {"item_id": re.search(r'name="item_id" value="(\d+)"', html).group(1),
            "csrf": re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)}


@pytest.fixture
def project(tmp_path):
    db, admin = make_project(tmp_path, XSS, k=2)
    conn = store.open_project(db)
    tokens = {n: store.add_reviewer(conn, n) for n in ("amina", "berhe")}
    conn.close()
    app = create_app(db)
    with TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False) as c:
        yield c, db, admin, tokens


def test_reviewer_labels_every_item_and_labels_are_stored(project):
    c, db, admin, tok = project
    seen = []
    for _ in range(4):
        r = c.get(f"/r/{tok['amina']}")
        assert r.status_code == 200
        f = _form(r.text)
        seen.append(f["item_id"])
        r = c.post(f"/r/{tok['amina']}", data={**f, "label": "WL", "flag": ["offensive"]})
        assert r.status_code == 303 and r.headers["location"] == f"/r/{tok['amina']}"
    r = c.get(f"/r/{tok['amina']}")
    assert 'id="done"' in r.text and "4 done · 0 left" in r.text
    assert len(set(seen)) == 4
    conn = store.open_project(db)
    assert [tuple(x) for x in conn.execute("SELECT label, flags FROM labels ORDER BY item_id")] == [("WL", "offensive")] * 4


def test_untrusted_text_is_escaped_cut_and_policed(project):
    c, *_, tok = project
    pages = []
    for _ in range(4):
        r = c.get(f"/r/{tok['amina']}")
        pages.append(r)
        c.post(f"/r/{tok['amina']}", data={**_form(r.text), "label": "CC"})
    html = "".join(p.text for p in pages)
    assert "<script>window" not in html and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "<a href=\"javascript" not in html and "onerror=\"window" not in html
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;" in html
    assert "invisible direction-control characters" in html
    big = next(p for p in pages if "ሀሀሀ" in p.text)
    assert "Showing the first 20000 of 1048576 characters." in big.text and len(big.content) < 200_000
    csp = pages[0].headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert pages[0].headers["referrer-policy"] == "no-referrer"
    # Every text is shown with dir="auto".
    assert all('id="item-text" dir="auto"' in p.text for p in pages)


def test_csrf_origin_and_tokens(project):
    c, db, admin, tok = project
    r = c.get(f"/r/{tok['amina']}")
    f = _form(r.text)
    assert c.post(f"/r/{tok['amina']}", data={"item_id": f["item_id"], "label": "CC"}).status_code == 403
    assert c.post(f"/r/{tok['amina']}", data={**f, "label": "CC"},
                  headers={"Origin": "http://evil.example"}).status_code == 403
    assert c.post(f"/r/{tok['amina']}", data={**f, "label": "CC"},
                  headers={"Sec-Fetch-Site": "cross-site", "Origin": "null"}).status_code == 403
    # berhe replaying amina's form (her CSRF token) is refused: the token binds reviewer and item.
    assert c.post(f"/r/{tok['berhe']}", data={**f, "label": "NL"}).status_code == 403
    assert c.get("/r/not-a-token").status_code == 404
    assert c.post("/r/not-a-token", data={**f, "label": "CC"}).status_code == 404
    assert c.get(f"/admin/{tok['amina']}/results").status_code == 404  # a reviewer token is not admin
    conn = store.open_project(db)
    assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0
    assert c.post(f"/r/{tok['amina']}", data={**f, "label": "CC"},
                  headers={"Origin": "http://127.0.0.1:8765"}).status_code == 303
    assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 1


def test_reviewers_are_blind_to_each_other(project):
    c, db, admin, tok = project
    r = c.get(f"/r/{tok['amina']}")
    c.post(f"/r/{tok['amina']}", data={**_form(r.text), "label": "NL", "flag": "porn"})
    r2 = c.get(f"/r/{tok['berhe']}")
    assert "amina" not in r2.text and 'checked' not in r2.text


def test_admin_adds_reviewer_and_sees_results(project):
    c, db, admin, tok = project
    r = c.get(f"/admin/{admin}")
    assert r.status_code == 200 and "amina" in r.text
    assert '<p id="counts">4 items · 0 of 8 labels · 2 reviewers</p>' in r.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', r.text).group(1)
    assert c.post(f"/admin/{admin}/reviewers", data={"name": "chaltu"}).status_code == 403
    r = c.post(f"/admin/{admin}/reviewers", data={"name": "<b>chaltu</b>", "csrf": csrf})
    link = re.search(r"http://127\.0\.0\.1:8765/r/([\w-]+)", r.text).group(1)
    assert "&lt;b&gt;chaltu&lt;/b&gt;" in r.text
    assert c.get(f"/r/{link}").status_code == 200
    r = c.get(f"/admin/{admin}/results")
    assert r.status_code == 200 and "Human review results" in r.text and "<script" not in r.text
    assert "Corpus items: 0 of 4 labelled (0 labels)" in r.text
    assert c.get(f"/admin/{admin}/results.json").json()["counts"]["reviewers"] == 3


def test_generation_needs_both_answers(tmp_path):
    f = tmp_path / "gen.jsonl"
    f.write_text('{"prompt": "ሰላም በል", "output": "ሰላም", "model": "m1"}\n', encoding="utf-8")
    db = tmp_path / "p.db"
    store.create_project(db)
    b = import_generations(f)
    conn = store.open_project(db)
    store.add_batch(conn, b.kind, b.source, b.sha256, b.params, b.population, b.items, 1, b.order)
    t = store.add_reviewer(conn, "a")
    with TestClient(create_app(db), follow_redirects=False) as c:
        r = c.get(f"/r/{t}")
        assert "Is the output in the language?" in r.text and "Output of m1" in r.text
        r2 = c.post(f"/r/{t}", data={**_form(r.text), "label": "yes"})
        assert r2.status_code == 422 and "Is it fluent? needs one of fluent, understandable, not_fluent" in r2.text
        r3 = c.post(f"/r/{t}", data={**_form(r.text), "label": "yes", "rating": "fluent",
                                      "flag": "unsafe", "comment": "wrong date"})
        assert r3.status_code == 303
    row = conn.execute("SELECT label, rating, flags, comment FROM labels").fetchone()
    assert tuple(row) == ("yes", "fluent", "unsafe", "wrong date")


def test_images_only_for_the_assigned_reviewer(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs/a.png").write_bytes(PNG_1PX)
    (tmp_path / "imgs/prompts.jsonl").write_text('{"image": "a.png", "prompt": "Hausa market", "model": "sd"}\n')
    db = tmp_path / "p.db"
    store.create_project(db)
    b = import_images(tmp_path / "imgs")
    conn = store.open_project(db)
    store.add_batch(conn, b.kind, b.source, b.sha256, b.params, b.population, b.items, 1, b.order)
    ta, tb = store.add_reviewer(conn, "a"), store.add_reviewer(conn, "b")
    with TestClient(create_app(db), follow_redirects=False) as c:
        r = c.get(f"/r/{ta}")
        src = re.search(r'id="item-image" src="([^"]+)"', r.text).group(1)
        img = c.get(src)
        assert img.status_code == 200 and img.headers["content-type"] == "image/png" and img.content == PNG_1PX
        assert img.headers["x-content-type-options"] == "nosniff"
        assert c.get(src.replace(ta, tb)).status_code == 404


def test_a_released_item_is_not_saved_and_the_reviewer_moves_on(project):
    c, db, admin, tok = project
    r = c.get(f"/r/{tok['amina']}")
    conn = store.open_project(db)
    assert store.release_stale_claims(conn, 0, now=10**10) == 1
    r2 = c.post(f"/r/{tok['amina']}", data={**_form(r.text), "label": "CC"})
    assert r2.status_code == 409 and "your answer was not saved" in r2.text
    assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0
