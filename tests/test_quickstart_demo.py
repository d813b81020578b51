"""`lugha quickstart --demo` (what `make demo` runs): the embedded claimed-Tigrinya crawl and the
Tigrinya reference share no sentence, the story's figures come out of them, and the dashboard reads
in Chromium with no font for Ge'ez on the machine (the embedded subset draws every letter) and
without a request off the page."""

from __future__ import annotations

import json
import re

import pytest

TOKENIZERS = ["gpt4-cl100k", "bytes"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from lugha.quickstart import Settings, run_quickstart
    from lugha.quickstart_demo import build_demo_inputs

    d = tmp_path_factory.mktemp("demo")
    made = build_demo_inputs(d / "inputs")
    s = Settings(lang="ti", reference=made.reference, crawl=[made.crawl], out=d / "out", notes=[made.note],
                 models=[], tokenizers=TOKENIZERS, stages=("split", "lid", "crawl", "tokens", "localtok"))
    return made, run_quickstart(s)


def test_demo_reference_is_not_in_the_crawl_and_the_story_comes_out(demo):
    from lugha.corpus.demo import _sentences

    made, r = demo
    ref = made.reference.read_text(encoding="utf-8").splitlines()
    crawl = made.crawl.read_text(encoding="utf-8").splitlines()
    tir = _sentences("ti_Ethi")
    assert len(ref) == made.reference_sentences == 12 and set(ref) < set(tir)
    # no reference sentence in the crawl, not even as a near duplicate or the start of a fragment
    assert not any(t in line or line in t for t in ref for line in crawl if len(line) > 20)
    assert sum(1 for line in crawl if line in tir) == 7 + 6  # the other 7, and 6 exact repeats of them
    s = r.summary
    assert s["split"] == {"documents": 12, "train": 10, "heldout": 2}
    assert s["crawl"]["total"] == len(crawl) == 64  # every crawl line accounted for
    assert s["crawl"]["WL"] >= 24  # the 12 Amharic, 8 English, 4 Hausa, 4 Arabic lines, mostly
    assert s["verdicts"][0]["text"] == "the crawl is 38% Tigrinya"
    # the tax: Tigrinya and English UDHR paragraphs of the same articles (gflanguages), paired by article
    par = (r.out / "tokens" / "parallel" / "eng.txt").read_text(encoding="utf-8").splitlines()
    assert par[0].startswith("No one shall be held in slavery") and len(par) == 5
    assert "UDHR articles 4, 8, 9, 10, 12" in r.stages["tokens"].result["origin"]
    assert s["tokens"]["gpt4-cl100k"] > 3  # cl100k spells Ge'ez out byte by byte
    assert 1.0 < s["tokens"]["bytes"] < s["tokens"]["gpt4-cl100k"]
    assert s["tokens"]["hf:localtok/bpe"] < s["tokens"]["gpt4-cl100k"]
    assert made.note in s["notes"]


@pytest.mark.slow
def test_dashboard_reads_in_chromium_with_embedded_fonts_and_no_request_off_the_page(demo, tmp_path):
    from chromium_fonts import ETHIOPIC, count, drawn_with, env_without_fonts, launch, open_page
    from playwright.sync_api import sync_playwright

    made, r = demo
    index = r.index_html
    html = index.read_text(encoding="utf-8")
    assert "<script" not in html and index.stat().st_size < 1_000_000
    held = (r.out / "split" / "heldout.txt").read_text(encoding="utf-8").splitlines()
    env = env_without_fonts(tmp_path / "fc", codepoints=(ETHIOPIC,))
    outside = index.parent / "outside.html"  # the control: the same page with one image from the web
    outside.write_text(html.replace("</body>", '<img src="https://example.org/pixel.png"></body>'), encoding="utf-8")

    def links(page) -> list[str]:
        """Every URL the page names: src/href attributes and url(...) in its style sheets."""
        return page.evaluate("""() => [
          ...[...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') ?? e.getAttribute('href')),
          ...[...document.styleSheets].flatMap(s => [...s.cssRules]).flatMap(r =>
              [...r.cssText.matchAll(/url\\(\\s*["']?([^"')]+)/g)].map(m => m[1]))]""")

    def off_page(urls: list[str]) -> list[str]:
        return [u for u in urls if re.match(r"^[a-z][a-z0-9+.-]*:", u, re.I) and not u.startswith(("data:", "file:"))
                or u.startswith("//")]

    with sync_playwright() as p:
        b = launch(p, env)
        page, requests = open_page(b, index)
        faces = page.evaluate("[...document.fonts].map(f => [f.family.replace(/\"/g, ''), f.status])")
        assert ["lugha Noto Sans Ethiopic", "loaded"] in faces, faces
        # the held-out Tigrinya lines: every Ge'ez letter from the embedded face
        docs = page.locator('.doc[lang="ti"]')
        assert docs.count() >= 2
        assert [docs.nth(i).text_content() for i in range(2)] == [t[:300] for t in held[:2]]
        text = docs.first.text_content()
        used = drawn_with(page, '.doc[lang="ti"]')
        noto, geez = used.get("Noto Sans Ethiopic"), count(text, 0x1200, 0x139F)
        assert geez > 20 and noto and noto["isCustomFont"] and noto["glyphCount"] == geez, used
        # nothing leaves the page: what it names is relative (the stage reports, in OUT) or data:, and
        # what it loaded is the file itself and data: fonts
        named = links(page)
        assert named and off_page(named) == [], named
        assert all((index.parent / u.split("#")[0]).is_file() for u in named if not u.startswith(("data:", "#")))
        assert requests and all(u.startswith(("file://", "data:")) for u in requests), requests
        page.close()
        page, requests = open_page(b, outside)
        assert off_page(links(page)) == ["https://example.org/pixel.png"]  # the check sees an added URL
        page.close()
        b.close()
    assert json.loads((r.out / "summary.json").read_text(encoding="utf-8"))["verdicts"] == r.summary["verdicts"]
