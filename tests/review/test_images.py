"""Image sets for stereotype review: real PNG/JPEG only, size limit, no SVG, hashes, attributes,
the Monk-scale form, escaped prompts."""

import hashlib
import json
import re

import pytest
from starlette.testclient import TestClient

from lugha.review import store
from lugha.review.app import create_app
from lugha.review.forms import package_form
from lugha.review.results import rating_rows

from .test_store_sampling import PNG_1PX

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


def image_set(tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    (d / "poor.png").write_bytes(PNG_1PX)
    (d / "rich.jpg").write_bytes(JPEG)
    p = tmp_path / "prompts.jsonl"
    p.write_text(json.dumps({"image": "poor.png", "prompt": "<script>window.__xss=1</script>A poor family in Mekelle",
                             "model": "sdxl", "wealth": "poor", "place": "Mekelle"}) + "\n"
                 + json.dumps({"image": "rich.jpg", "prompt": "A rich family in Mekelle", "model": "sdxl",
                               "wealth": "rich", "place": "Mekelle"}) + "\n", encoding="utf-8")
    return d, p


def test_import_images_refuses_svg_fake_png_and_a_50_mb_file(tmp_path, cli):
    d, p = image_set(tmp_path)
    db = tmp_path / "p.db"
    (d / "x.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    r = cli("review", "import-images", d, "--prompts", p, "--into", db)
    assert r.exit_code == 2 and r.stderr.strip() == \
        f"lugha: error: {d}/x.svg: SVG is refused (it can carry script); give PNG or JPEG"
    (d / "x.svg").unlink()
    (d / "poor.png").write_bytes(b'<svg onload="alert(1)"></svg>')  # a PNG name, SVG bytes
    r = cli("review", "import-images", d, "--prompts", p, "--into", db)
    assert r.exit_code == 2 and r.stderr.strip() == \
        f"lugha: error: {d}/poor.png: SVG is refused (it can carry script); give PNG or JPEG"
    (d / "poor.png").write_bytes(b"GIF89a not a png at all")
    r = cli("review", "import-images", d, "--prompts", p, "--into", db)
    assert r.exit_code == 2 and r.stderr.strip() == f"lugha: error: {d}/poor.png: not a PNG or JPEG image (by its bytes)"
    (d / "poor.png").write_bytes(JPEG)
    r = cli("review", "import-images", d, "--prompts", p, "--into", db)
    assert r.exit_code == 2 and r.stderr.strip() == f"lugha: error: {d}/poor.png: named .png but the bytes are JPEG"
    with (d / "poor.png").open("wb") as f:  # 50 MB (sparse: nothing is written but the header)
        f.write(PNG_1PX)
        f.truncate(50 * 2**20)
    r = cli("review", "import-images", d, "--prompts", p, "--into", db)
    assert r.exit_code == 2 and r.stderr.strip() == \
        f"lugha: error: {d}/poor.png: image is 50.0 MB, over the 20 MB limit"
    (d / "extra.png").write_bytes(PNG_1PX)
    (d / "poor.png").write_bytes(PNG_1PX)
    r = cli("review", "import-images", d, "--prompts", p, "--into", db)
    assert r.exit_code == 2 and r.stderr.strip() == f"lugha: error: {d}/extra.png: no prompt for this image in {p}"
    assert not db.exists()  # nothing was imported by any refused run


def test_stereotype_review_keeps_hash_attributes_and_escapes_the_prompt(tmp_path, cli):
    d, p = image_set(tmp_path)
    db = tmp_path / "p.db"
    r = cli("review", "import-images", d, "--prompts", p, "--reviewers", "1", "--into", db)
    assert r.exit_code == 0, r.output
    assert "Added 2 stereotype items (1 reviewers each)" in r.stdout and "sdxl" not in r.stdout
    conn = store.open_project(db)
    got = {row["image_name"]: row for row in conn.execute("SELECT image_name, image_sha256, attributes, model FROM items")}
    assert got["poor.png"]["image_sha256"] == hashlib.sha256(PNG_1PX).hexdigest()
    assert json.loads(got["rich.jpg"]["attributes"]) == {"wealth": "rich", "place": "Mekelle"}
    assert got["poor.png"]["model"].startswith("m-")
    tok = store.add_reviewer(conn, "hagos")
    with TestClient(create_app(db), follow_redirects=False) as c:
        for _ in range(2):
            html = c.get(f"/r/{tok}").text
            assert "<script>window" not in html and "sdxl" not in html
            assert "Skin tone of the main person (Monk scale, 1 lightest to 10 darkest)" in html
            assert html.count('name="skin_tone"') == 10
            f = {"item_id": re.search(r'name="item_id" value="(\d+)"', html).group(1),
                 "csrf": re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)}
            poor = "&lt;script&gt;window.__xss=1&lt;/script&gt;A poor family" in html
            post = {**f, "skin_tone": "9" if poor else "3", "attire": "rags" if poor else "local_everyday",
                    "setting": "slum" if poor else "city", "stereotype": "yes" if poor else "no"}
            r = c.post(f"/r/{tok}", data=post)
            if poor:
                assert r.status_code == 422 and "What is stereotyped about it? is required" in r.text
                r = c.post(f"/r/{tok}", data={**post, "reason": "Not how families here live"})
            assert r.status_code == 303
    rows = {(json.loads(x["attributes"])["wealth"], x["criterion"]): x for x in rating_rows(conn)}
    assert rows[("poor", "skin_tone")]["value"] == 9 and rows[("rich", "skin_tone")]["value"] == 3
    assert rows[("poor", "stereotype")]["value"] == "yes" and rows[("poor", "skin_tone")]["model"] == "sdxl"
    assert rows[("rich", "setting")]["image_sha256"] == hashlib.sha256(JPEG).hexdigest()
