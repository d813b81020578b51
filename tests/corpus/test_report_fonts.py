"""The demo audit report reads in headless Chromium on a machine with no Ethiopic or Arabic font:
the Ge'ez and Arabic examples are drawn with the subset fonts embedded in report.html, not as boxes.

Chromium gets a fontconfig whose only fonts are the system's Latin ones that cover neither script
(tests/chromium_fonts.py, shared with the quickstart dashboard's test). A control
page rendered without embedding shows that, in that browser, the same text would otherwise have no
font at all.
"""

from __future__ import annotations

import pytest
from chromium_fonts import count as _count
from chromium_fonts import drawn_with as _drawn_with
from chromium_fonts import env_without_fonts, fc, launch
from chromium_fonts import open_page as _open

from lugha.corpus import report as audit_report
from lugha.corpus.audit import run_audit
from lugha.corpus.demo import build_demo_corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def no_script_fonts(tmp_path_factory) -> dict:
    """An environment whose fontconfig holds only system fonts without Ethiopic or Arabic."""
    env = env_without_fonts(tmp_path_factory.mktemp("fonts"))
    assert fc(env, ":lang=am") == [] and fc(env, ":lang=ar") == [] and fc(env, ":lang=ti") == []
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
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p, no_script_fonts)
        yield b
        b.close()


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
