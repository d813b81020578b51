"""End to end in a real browser: Python Playwright driving Debian's Chromium (never a downloaded one).

Keyboard and touch labelling, right-to-left Arabic with an English word, Ge'ez rendered with the
shipped font (not tofu), resume after reload, inert XSS payloads, and no request leaving localhost.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lugha.review import store

from .helpers import Server, make_project

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} missing: CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


class Session:
    """A served project with one reviewer, and every URL the page requested."""

    def __init__(self, tmp: Path, docs, browser, **context):
        self.db, _ = make_project(tmp, docs, k=1)
        conn = store.open_project(self.db)
        self.token = store.add_reviewer(conn, "amina")
        conn.close()
        self.server = Server(self.db)
        self.context = browser.new_context(**context)
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = f"{self.server.url}/r/{self.token}"
        self.page.goto(self.url)

    def item_id(self) -> int:
        return int(self.page.locator('input[name="item_id"]').get_attribute("value"))

    def labels(self) -> list[tuple]:
        conn = store.open_project(self.db)
        rows = conn.execute("SELECT i.text, l.label, l.flags FROM labels l JOIN items i ON i.id=l.item_id "
                            "ORDER BY l.created").fetchall()
        conn.close()
        return [tuple(r) for r in rows]

    def wait_next(self, previous: int) -> None:
        self.page.wait_for_function(
            "prev => { const e = document.querySelector('input[name=item_id]'); "
            "return !e || e.value !== String(prev); }", arg=previous)

    def fonts(self, selector: str) -> list[dict]:
        """The fonts Chromium actually used to draw the node's text (DevTools protocol)."""
        self.page.evaluate("document.fonts.ready.then(() => true)")
        cdp = self.context.new_cdp_session(self.page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]

    def close(self) -> None:
        self.context.close()
        self.server.kill(15)
        off = [u for u in self.requests if urlsplit(u).hostname not in ("127.0.0.1", "localhost")]
        assert off == [], f"requests outside localhost: {off}"


@pytest.fixture
def session(tmp_path, browser):
    made = []

    def make(docs, **context):
        s = Session(tmp_path / f"s{len(made)}", docs, browser, **context)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


GEEZ = "ሰላም ለኩልኹም ኣሕዋትን ኣሓትን"


def test_keyboard_labelling_resume_and_shipped_ethiopic_font(session):
    s = session([("CC", f"{GEEZ} {i}") for i in range(3)])
    p = s.page
    # Ge'ez is drawn with the Noto Sans Ethiopic the package ships, glyph for glyph.
    fonts = s.fonts("#item-text")
    noto = [f for f in fonts if f["familyName"] == "Noto Sans Ethiopic"]
    assert noto and noto[0]["isCustomFont"], fonts
    n_ethiopic = sum(1 for ch in p.locator("#item-text").inner_text() if "\u1200" <= ch <= "\u139f")
    assert noto[0]["glyphCount"] == n_ethiopic
    assert any(u.endswith("/static/fonts/NotoSansEthiopic-400.woff2") for u in s.requests)

    first = s.item_id()
    p.keyboard.press("6")  # offensive flag on
    p.keyboard.press("2")  # CB: saves and moves on
    s.wait_next(first)
    second = s.item_id()
    assert second != first
    assert [x[1:] for x in s.labels()] == [("CB", "offensive")]
    assert p.locator("#progress").inner_text() == "1 done · 2 left"
    p.reload()  # resumes on the same, unlabelled item
    assert s.item_id() == second and p.locator("#progress").inner_text() == "1 done · 2 left"
    p.keyboard.press("1")
    s.wait_next(second)
    p.keyboard.press("4")
    p.wait_for_selector("#done")
    assert [x[1:] for x in s.labels()] == [("CB", "offensive"), ("CC", ""), ("WL", "")]
    assert p.locator("#progress").inner_text() == "3 done · 0 left"


def test_touch_labelling_on_a_phone(session):
    s = session([("CC", GEEZ), ("WL", "hello world")], viewport={"width": 390, "height": 844},
                has_touch=True, is_mobile=True, device_scale_factor=3)
    p = s.page
    for box in (p.locator(".choice").nth(i).bounding_box() for i in range(p.locator(".choice").count())):
        assert box["height"] >= 44 and box["width"] >= 44
    first = s.item_id()
    p.locator('label.choice:has(input[value="porn"])').tap()
    p.locator('button[value="NL"]').tap()
    s.wait_next(first)
    p.locator('button[value="WL"]').tap()
    p.wait_for_selector("#done")
    assert [x[1:] for x in s.labels()] == [("NL", "porn"), ("WL", "")]
    # Nothing overflows a 390 px wide screen.
    assert p.evaluate("document.documentElement.scrollWidth") <= 390


ARABIC = "مرحبا بكم في lugha اليوم"


def test_arabic_with_an_english_word_reads_right_to_left(session):
    s = session([("CC", ARABIC)])
    p = s.page
    assert p.locator("#item-text").evaluate("e => e.matches(':dir(rtl)')")
    # Geometry: the first Arabic word is at the right edge, the English word to its left, and the
    # last Arabic word left of the English word.
    boxes = p.locator("#item-text").evaluate("""e => {
      const t = e.firstChild, s = t.data, r = document.createRange();
      const box = w => { const i = s.indexOf(w); r.setStart(t, i); r.setEnd(t, i + w.length);
                         const b = r.getBoundingClientRect(); return [b.left, b.right]; };
      const cs = getComputedStyle(e), c = e.getBoundingClientRect();
      return {first: box('مرحبا'), latin: box('lugha'), last: box('اليوم'),
              right: c.right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth)}; }""")
    assert abs(boxes["first"][1] - boxes["right"]) < 2
    assert boxes["latin"][1] < boxes["first"][0]
    assert boxes["last"][1] < boxes["latin"][0]
    fonts = {f["familyName"]: f for f in s.fonts("#item-text")}
    assert fonts["Noto Sans Arabic"]["isCustomFont"]


XSS = [
    ("CC", "<script>window.__xss=1;alert('xss')</script>"),
    ("CC", '<img src=x onerror="window.__xss=2;alert(2)"><a id="jl" href="javascript:alert(3)">click me</a>'),
    ("WL", "\u202eLC\u202c moc.elpmaxe \u2067abc\u2069 <svg onload=alert(4)>"),
    ("NL", "ሀ" * (1 << 20)),
]


def test_xss_payloads_stay_inert(session):
    s = session(XSS)
    p = s.page
    seen = []
    for _ in range(len(XSS)):
        text = p.locator("#item-text").inner_text()
        seen.append(text)
        assert p.evaluate("window.__xss") is None
        assert p.locator("a[href^='javascript:'], #item-text *").count() == 0  # no element came from the text
        # Direction controls are contained: the label buttons after the text keep their order.
        keys = p.locator("button.choice kbd").all_inner_texts()
        assert keys == ["1", "2", "3", "4", "5"]
        item = s.item_id()
        p.keyboard.press("5")
        s.wait_next(item)
    p.wait_for_selector("#done")
    assert s.dialogs == [] and p.evaluate("window.__xss") is None
    assert "<script>window.__xss=1;alert('xss')</script>" in seen
    assert any(t.startswith("ሀሀሀ") and len(t) == 20000 for t in seen)
    assert len(s.labels()) == 4


def test_tifinagh_nko_and_adlam_use_the_shipped_fonts(session):
    s = session([("CC", "ⵜⴰⵎⴰⵣⵉⵖⵜ\nߒߞߏ ߞߊ߲\n𞤆𞤵𞤤𞤢𞤪")])
    fonts = {f["familyName"]: f for f in s.fonts("#item-text")}
    text = "ⵜⴰⵎⴰⵣⵉⵖⵜ\nߒߞߏ ߞߊ߲\n𞤆𞤵𞤤𞤢𞤪"
    for family, lo, hi in (("Noto Sans Tifinagh", 0x2D30, 0x2D7F), ("Noto Sans NKo", 0x07C0, 0x07FF),
                           ("Noto Sans Adlam", 0x1E900, 0x1E95F)):
        chars = sum(1 for ch in text if lo <= ord(ch) <= hi)
        assert fonts[family]["isCustomFont"] and fonts[family]["glyphCount"] == chars, (family, fonts)


def test_two_reviewers_rate_a_blinded_ab_pair(tmp_path, browser):
    """Issue 13 acceptance: two reviewers rate the same blinded A/B pair in Chromium; neither the page
    nor its HTML source names a model; the sides differ between them; results un-blind for the admin."""
    import json

    from lugha.review.forms import package_form
    from lugha.review.results import compute, rating_rows
    from lugha.review.sampling import import_answers

    models = ("gemma-3-270m-it", "smollm2-135m-instruct")
    answers = {models[0]: "Mpe mtoto paracetamol na maji mengi.", models[1]: "Mpeleke kliniki mara moja."}
    f = tmp_path / "answers.jsonl"
    f.write_text("".join(json.dumps({"prompt_id": "fever-1", "lang": "swa", "domain": "paediatrics", "risk": "high",
                                     "prompt": "Mtoto wangu ana homa kali. Nifanye nini?", "model": m,
                                     "answer": a}, ensure_ascii=False) + "\n" for m, a in answers.items()),
                 encoding="utf-8")
    db = tmp_path / "p.db"
    admin = store.create_project(db)
    b = import_answers(f, package_form("ab"), seed=0)
    conn = store.open_project(db)
    store.add_batch(conn, b.form, b.source, b.sha256, b.params, b.population, b.items, 2, b.order,
                    blind_key=b.blind_key)
    tokens = {n: store.add_reviewer(conn, n, role="clinician") for n in ("amina", "baraka")}
    conn.close()
    server = Server(db)
    requests: list[str] = []
    shown_first = {}
    try:
        for name, tok in tokens.items():
            ctx = browser.new_context()
            page = ctx.new_page()
            page.on("request", lambda r: requests.append(r.url))
            source = page.goto(f"{server.url}/r/{tok}").text()
            visible = page.locator("body").inner_text()
            for secret in (*models, *b.blind_key):
                assert secret not in source and secret not in visible and secret not in page.content()
            a_text = page.locator("#answer-A").inner_text()
            assert {a_text, page.locator("#answer-B").inner_text()} == set(answers.values())
            shown_first[name] = next(m for m, a in answers.items() if a == a_text)
            # Both prefer what they see as A; amina flags B as harmful and must give a reason first.
            page.locator('input[name="preference"][value="A"]').check()
            if name == "amina":
                page.locator('input[name="harm"][value="B"]').check()
                page.locator("button.save").click()
                page.wait_for_selector("p.error")
                assert "What harm could it cause? is required" in page.locator("p.error").inner_text()
                page.locator('input[name="preference"][value="A"]').check()
                page.locator('input[name="harm"][value="B"]').check()
                page.locator("textarea#reason").fill("Paracetamol peke yake haitoshi kwa homa kali ya mtoto.")
            else:
                page.locator('input[name="harm"][value="none"]').check()
            page.locator("button.save").click()
            page.wait_for_selector("#done")
            ctx.close()
        # Deterministic: the second reviewer of a pair always gets the other side first.
        assert shown_first["amina"] != shown_first["baraka"]
        # The admin sees the key; the results name the models and who won for each reviewer.
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(f"{server.url}/admin/{admin}")
        key = page.locator("#blind-key").inner_text()
        assert all(m in key for m in models)
        page.goto(f"{server.url}/admin/{admin}/results")
        assert " vs ".join(models) in page.locator("body").inner_text()
        ctx.close()
    finally:
        server.kill(15)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requests)
    conn = store.open_project(db)
    rows = {(r["reviewer"], r["criterion"]): r for r in rating_rows(conn)}
    assert rows[("amina", "preference")]["winner"] == shown_first["amina"]
    assert rows[("baraka", "preference")]["winner"] == shown_first["baraka"]
    assert rows[("amina", "harm")]["winner"] == shown_first["baraka"]  # the side amina saw as B
    assert rows[("baraka", "harm")]["value"] == "none"
    g, = compute(conn)["kinds"]["ab"]["criteria"]["preference"]["groups"]
    assert g["model"] == " vs ".join(models)
    assert {m: (w["wins"], w["ties"]) for m, w in g["win_rates"].items()} == {models[0]: (0, 1), models[1]: (0, 1)}
