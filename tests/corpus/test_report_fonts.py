"""The demo audit report reads in headless Chromium on a machine with no Ethiopic or Arabic font:
the Ge'ez and Arabic examples are drawn with the subset fonts embedded in report.html, not as boxes.

Chromium (Debian's, driven by Playwright, as tests/review/test_browser.py) gets a fontconfig whose
only fonts are the system's Latin ones that cover neither script; `fc-list` confirms it. A control
page rendered without embedding shows that, in that browser, the same text would otherwise have no
font at all.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lugha.corpus import report as audit_report
from lugha.corpus.audit import run_audit
from lugha.corpus.demo import build_demo_corpus

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
ETHIOPIC, ARABIC = 0x1230, 0x0627  # ሰ, ا

pytestmark = pytest.mark.slow


def _fc(env: dict, *args: str) -> list[str]:
    r = subprocess.run(["fc-list", *args, "file"], env=env, capture_output=True, text=True, check=True)
    return sorted(line.strip().rstrip(":") for line in r.stdout.splitlines() if line.strip())


@pytest.fixture(scope="module")
def no_script_fonts(tmp_path_factory) -> dict:
    """An environment whose fontconfig holds only system fonts without Ethiopic or Arabic."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} missing: CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    d = tmp_path_factory.mktemp("fonts")
    fontdir = d / "fonts"
    fontdir.mkdir()
    env = dict(os.environ)
    have = set(_fc(env, ":charset=41"))  # fonts with a Latin A
    covering = set(_fc(env, f":charset={ETHIOPIC:x}")) | set(_fc(env, f":charset={ARABIC:x}"))
    for i, f in enumerate(sorted(have - covering)):
        (fontdir / f"{i}-{Path(f).name}").symlink_to(f)
    conf = d / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    f"<dir>{fontdir}</dir><cachedir>{d / 'cache'}</cachedir></fontconfig>\n")
    env["FONTCONFIG_FILE"] = str(conf)
    env.pop("FONTCONFIG_PATH", None)
    # What the browser will see: some Latin fonts, not one with Ge'ez or Arabic letters.
    assert _fc(env, f":charset={ETHIOPIC:x}") == [] and _fc(env, f":charset={ARABIC:x}") == []
    assert _fc(env, ":lang=am") == [] and _fc(env, ":lang=ar") == [] and _fc(env, ":lang=ti") == []
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    corpus = d / "claimed_tigrinya.txt"
    build_demo_corpus(corpus)
    res = run_audit([corpus], "tir", d / "audit", workers=1)
    return res.report_html


@pytest.fixture(scope="module")
def browser(no_script_fonts):
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True, env=no_script_fonts)
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")  # draw every example
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, requests


def _drawn_with(page, selector: str) -> dict[str, dict]:
    """The fonts Chromium actually used to draw the first matching node's text (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    return {f["familyName"]: f for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}


def _count(text: str, lo: int, hi: int) -> int:
    return sum(1 for ch in text if lo <= ord(ch) <= hi)


def test_demo_report_draws_geez_and_arabic_with_the_embedded_fonts(demo, browser):
    assert demo.stat().st_size < 1_000_000
    page, requests = _open(browser, demo)
    faces = page.evaluate("[...document.fonts].map(f => [f.family.replace(/\"/g, ''), f.status])")
    assert ["lugha Noto Sans Ethiopic", "loaded"] in faces and ["lugha Noto Sans Arabic", "loaded"] in faces, faces
    assert page.evaluate("document.fonts.check('16px \"lugha Noto Sans Ethiopic\"', 'ሰላም')")

    # A Tigrinya example (CC) and an Amharic one (WL, same script): every Ge'ez glyph from the embedded face.
    for sel in ('.doc[lang="ti"]', '.doc[lang="am"]'):
        text = page.locator(sel).first.text_content()
        used = _drawn_with(page, sel)
        geez = _count(text, 0x1200, 0x139F)
        assert geez > 10, text
        noto = used.get("Noto Sans Ethiopic")
        assert noto and noto["isCustomFont"] and noto["glyphCount"] == geez, (sel, used)
    text = page.locator('.doc[lang^="ar"]').first.text_content()
    used = _drawn_with(page, '.doc[lang^="ar"]')
    assert used["Noto Sans Arabic"]["isCustomFont"], used
    assert used["Noto Sans Arabic"]["glyphCount"] >= _count(text, 0x0600, 0x06FF) - text.count(" ")

    # Real glyphs, not boxes: Ge'ez letters differ in width in the embedded face; the fallback
    # (no font has them) draws the same box for each.
    widths = page.evaluate("""() => {
      const c = document.createElement('canvas').getContext('2d'), w = f => [...'ሀሰ።ቀ'].map(ch => {
        c.font = f; return Math.round(c.measureText(ch).width * 100); });
      return {embedded: w('32px "lugha Noto Sans Ethiopic"'), fallback: w('32px "Liberation Sans", sans-serif')};
    }""")
    assert len(set(widths["embedded"])) > 1 and widths["embedded"] != widths["fallback"], widths
    assert len(set(widths["fallback"])) == 1, widths  # every letter the same tofu box
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests), requests
    page.close()


def test_without_embedded_fonts_the_same_page_has_no_font_for_geez(demo, browser, tmp_path):
    """The control: this browser really has no font for the script, so the test above can fail."""
    import json

    summary = json.loads((demo.parent / "summary.json").read_text(encoding="utf-8"))
    bare = tmp_path / "bare.html"
    bare.write_text(audit_report.render_html(summary, embed_fonts=False), encoding="utf-8")
    page, _ = _open(browser, bare)
    assert page.evaluate("[...document.fonts].length") == 0
    used = _drawn_with(page, '.doc[lang="ti"]')
    assert not any(f["isCustomFont"] for f in used.values()), used
    assert not any("Ethiopic" in name for name in used), used
    page.close()
