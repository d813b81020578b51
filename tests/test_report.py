"""The report kit: one structure to Markdown and HTML, untrusted text inert in both, subset fonts
embedded only for the scripts on the page."""

from __future__ import annotations

import base64
import io
import re

import pytest

from lugha import report as kit
from lugha.report import fonts
from lugha.report.blocks import (BulletList, Callout, Card, Cards, Chart, Code, Details, Heading, KeyValues,
                                 Muted, Paragraph, Report, Sample, SignatureBlock, Status, Strong, Table)

XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&'
MD_XSS = "[click](javascript:alert(1)) ![i](http://x/y.png) <b>x</b> `code` [ref]: http://evil"


def _every_block(text):
    return Report(text, subtitle=text, signature={"lang": text}, blocks=[
        Heading(text), Paragraph([text, Strong(text), Code(text), Muted(text), Status(text, False)]),
        Callout(text), BulletList([text, Code(text)]), KeyValues([(text, text)], headers=(text, text)),
        Table([text, "n"], [[Sample(text, lang=text, dir=text), 1]]),
        Cards([Card(text, text, text)]), Details(text, [Paragraph(text)], open=True),
        SignatureBlock([{"x": text}, text])])


def test_every_block_escapes_untrusted_text_in_html():
    html = _every_block(XSS).html()
    body = html[html.index("<body>"):]
    assert "<script" not in html and "<img" not in body and "onerror=alert(2)>" not in body
    # the payload comes back as text, once per place it was put: <title> and <h1>, subtitle, heading, 5 in
    # the paragraph, callout, 2 list items, 4 key/value cells, header and sample, 3 in the card, summary and
    # its paragraph, 3 signatures (the report's and the block's two)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 26
    # a dir attribute outside auto/ltr/rtl, and a lang that is no language tag, are dropped
    assert 'dir="auto"' in body and 'lang="' not in body


def test_markdown_makes_links_images_and_html_inert():
    md = _every_block(MD_XSS).markdown()
    assert "`[click](javascript:alert(1)) ![i](http://x/y.png) <b>x</b> 'code' [ref]: http://evil`" in md
    # what Markdown would still read as markup: drop backslash-escaped characters, then code spans
    live = re.sub(r"`[^`]*`", "", re.sub(r"\\.", "", md))
    assert "](" not in live and "<" not in live and "]:" not in live and "][" not in live, live
    # inside a table cell the text stays on one line and cannot open a column
    t = Report("t", [Table(["a"], [["x | y\nz"]])]).markdown()
    assert "| x \\| y ⏎ z |" in t


def test_one_structure_both_formats_and_only():
    from lugha.signature import Signature

    sig = Signature("audit", {"a.txt": "ab" * 32}, {"lang": "tir"}, {"lid": {"pycld2": "0.42"}})
    rep = Report("T", [Paragraph("both 12,345"), Paragraph("html 1", only="html"),
                       Paragraph("md 2", only="markdown"), Chart(kit.bar_chart(["a", "b"], [1.0, 2.0]))],
                 signature=sig.to_dict())  # as read back from a result's JSON
    md, html = rep.markdown(), rep.html()
    assert "both 12,345" in md and "both 12,345" in html
    assert "md 2" in md and "md 2" not in html and "html 1" in html and "html 1" not in md
    assert "<svg" in html and "<svg" not in md
    line = sig.format(short=True)
    assert line.startswith("lugha:0.1.0|task:audit|lid:pycld2-0.42|lang:tir|inputs:1@")
    assert md.rstrip().endswith(f"## Signature\n\n`{line}`")
    assert f'<h2>Signature</h2><p class="sig">{line}</p>' in html
    assert "default-src 'none'" in html


def test_numbers_are_right_aligned_and_formatted():
    html = Report("t", [Table(["name", "docs", "share"], [["a", 1234, 0.5], ["b", 7, float("nan")]])]).html()
    assert '<td class="num">1,234</td>' in html and '<td class="num">–</td>' in html and "<td>a</td>" in html


def _decoded_faces(html: str) -> dict[str, tuple[str, bytes]]:
    out = {}
    for fam, rng, data in re.findall(r'font-family: "([^"]+)";[^}]*?unicode-range: ([^;]+);[^}]*?base64,([A-Za-z0-9+/=]+)\)',
                                     html):
        out[fam] = (rng, base64.b64decode(data))
    return out


def test_fonts_embedded_only_for_scripts_on_the_page_and_only_their_glyphs():
    from fontTools.ttLib import TTFont

    assert "@font-face" not in Report("Latin only", [Paragraph("café, naïve")]).html()
    # a no-break space and guillemets are in these fonts too, but belong to the reader's Latin font
    geez, arabic = "ሰላም\u00a0ዓለም «»", "مرحبا بالعالم"
    html = Report("t", [Table(["text"], [[Sample(geez, lang="ti")], [Sample(arabic, lang="ar")]])]).html()
    faces = _decoded_faces(html)
    assert set(faces) == {"lugha Noto Sans Ethiopic", "lugha Noto Sans Arabic"}
    rng, data = faces["lugha Noto Sans Ethiopic"]
    want = sorted({ord(c) for c in geez if ord(c) > 0x1000})
    assert rng == ", ".join(f"U+{c:X}" for c in want)
    font = TTFont(io.BytesIO(data))
    assert data[:4] == b"wOF2" and sorted(font.getBestCmap()) == want
    full = TTFont(str(fonts.FONT_DIR / "NotoSansEthiopic-400.woff2"))
    assert len(data) < (fonts.FONT_DIR / "NotoSansEthiopic-400.woff2").stat().st_size / 10
    assert font["name"].getDebugName(0) == full["name"].getDebugName(0)  # the copyright notice stays
    # Arabic: the joining forms come along (glyph closure through GSUB), else the text would not shape
    ar = TTFont(io.BytesIO(faces["lugha Noto Sans Arabic"][1]))
    assert set(ar.getBestCmap()) == {ord(c) for c in arabic if c != " "}
    assert len(ar.getGlyphOrder()) > 2 * len(set(arabic))
    assert '"lugha Noto Sans Ethiopic"' in html[html.index("body {"):]  # first in the font stack


def test_unicode_range_merges_runs():
    assert fonts._range([0x1200, 0x1201, 0x1202, 0x1210, 0x1E900]) == "U+1200-1202, U+1210, U+1E900"


@pytest.mark.parametrize("text,family", [("ⵜⴰⵎⴰⵣⵉⵖⵜ", "Tifinagh"), ("ߒߞߏ", "NKo"), ("𞤆𞤵𞤤𞤢𞤪", "Adlam")])
def test_other_focus_scripts_get_their_face(text, family):
    faces = _decoded_faces(Report("t", [Paragraph(Sample(text))]).html())
    assert list(faces) == [f"lugha Noto Sans {family}"]


def test_font_subsets_are_cached_between_pages(tmp_path, monkeypatch):
    """A page asking for the same characters of a face again gets the cached subset, byte for byte,
    without running fontTools; a damaged entry is subset afresh; LUGHA_FONT_CACHE=0 writes nothing."""
    monkeypatch.setenv("LUGHA_CACHE", str(tmp_path))
    text = "ሰላም ዓለም مرحبا"
    first = fonts.font_faces(text)
    entries = sorted((tmp_path / "fonts").iterdir())
    assert len(entries) == 2 and set(first.faces) == {"lugha Noto Sans Ethiopic", "lugha Noto Sans Arabic"}

    def boom(*a, **k):
        raise AssertionError("fontTools ran although the subset was cached")

    monkeypatch.setattr(fonts, "subset", boom)
    again = fonts.font_faces(text)
    assert again.css == first.css and again.faces == first.faces and again.bytes == first.bytes
    with pytest.raises(AssertionError, match="fontTools ran"):
        fonts.font_faces(text + " ሀ")  # another character set is another entry
    monkeypatch.undo()
    monkeypatch.setenv("LUGHA_CACHE", str(tmp_path))
    entries[0].write_bytes(b"not json\n")
    assert fonts.font_faces(text).faces == first.faces
    assert entries[0].read_bytes().startswith(b'{"codepoints": [')
    monkeypatch.setenv("LUGHA_CACHE", str(tmp_path / "off"))
    monkeypatch.setenv("LUGHA_FONT_CACHE", "0")
    assert fonts.font_faces(text).faces == first.faces and not (tmp_path / "off").exists()


def test_the_same_report_gives_the_same_bytes(tmp_path, monkeypatch):
    """No run-dependent bytes: chart ids are hashes of their content, no date in the SVG, and the subset
    fonts keep their face's timestamp (fonts subset afresh each time: the cache is off)."""
    import time

    monkeypatch.setenv("LUGHA_FONT_CACHE", "0")

    def html():
        r = Report("ሰላም ዓለም", signature={"lang": "tir"}, blocks=[
            Chart(kit.bar_chart(["ሀ", "ለ"], [0.4, 0.6], title="ሰላም")),
            Chart(kit.line_chart([1, 2, 3], {"a": [1, 2, 3], "b": [3, 2, 1]}, title="two"))])
        return r.html()

    first = html()
    assert "clipPath" in first and "@font-face" in first
    time.sleep(1.1)  # a timestamp in seconds would differ now
    assert html() == first
    ids = re.findall(r'\bid="([^"]+)"', first)
    assert len(ids) == len(set(ids)) > 10  # two charts, no id shared between them
    refs = set(re.findall(r'url\(#([^)]+)\)', first)) | set(re.findall(r'href="#([^"]+)"', first))
    assert refs and refs <= set(ids)  # every clip-path and marker reference still points at its definition
