"""One section structure for every report, rendered to Markdown and to self-contained HTML.

A report is a `Report(title, blocks, subtitle=, signature=)`; blocks are the dataclasses below.
Inline content (a paragraph, a table cell, a list item) is a string, a number, one of the inline
types (`Code`, `Strong`, `Muted`, `Status`, `Sample`) or a list of those, concatenated.

Escaping is done here, once, for both formats: every string is untrusted (corpus text, file
names, model output, language names from the data). HTML: markupsafe.escape on every string;
the only raw markup is the SVG in a `Chart` (matplotlib drew it from numbers). Markdown: table
cells go through `md_escape` (one line, no HTML, no links); other text through `md_text`.
Each block has `only="html"` / `only="markdown"` for what one format shows and the other does not
(charts are HTML only by nature).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence, Union

from markupsafe import Markup, escape

# ---- inline content -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """Monospace: identifiers, paths, hashes, signatures."""

    text: Any


@dataclass(frozen=True)
class Strong:
    content: Any


@dataclass(frozen=True)
class Muted:
    """Secondary text (grey in HTML, plain in Markdown)."""

    content: Any


@dataclass(frozen=True)
class Status:
    """Good/bad coloured text (green/red in HTML, plain in Markdown)."""

    content: Any
    good: bool


@dataclass(frozen=True)
class Sample:
    """Untrusted text in some language: in HTML a `<div class="doc" lang=.. dir=..>` (or a span
    when `block=False`), isolated for bidi, so right-to-left text lays out on its own; in Markdown the
    escaped text. `lang` is a BCP 47 tag or None (unknown); `dir` is "auto", "rtl" or "ltr"."""

    text: Any
    lang: str | None = None
    dir: str = "auto"
    truncated: bool = False
    block: bool = True


Inline = Union[str, int, float, None, Code, Strong, Muted, Status, Sample, list]


def fmt(v: Any) -> str:
    """Numbers as the reports print them: ints with thousands separators, floats to 4 significant
    digits, NaN as an en dash, None as empty."""
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def md_escape(s: Any) -> str:
    """Make untrusted text inert in a Markdown table cell (no HTML, no links, one line)."""
    s = str(s).replace("\r", " ").replace("\n", " ⏎ ")
    for ch in "\\`*_{}[]<>|#!":
        s = s.replace(ch, "\\" + ch)
    return s


def md_text(s: Any) -> str:
    """Make untrusted text inert in Markdown running text: no raw HTML, links, images or code spans.
    (Emphasis characters are left alone: at worst they change the look, never what runs.)"""
    s = str(s).replace("\r", " ")
    for ch in "\\`<>":
        s = s.replace(ch, "\\" + ch)
    # a link, image or reference needs `](`, `][` or `]:`; a lone [x] stays as it reads
    return s.replace("](", "]\\(").replace("][", "]\\[").replace("]:", "]\\:")


def code_spans(text: str) -> list:
    """Answer text written with `backticks` as inline content: the quoted parts become `Code`."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unmatched backtick: leave the text as it is
        return [str(text)]
    return [Code(p) if i % 2 else p for i, p in enumerate(parts) if p or i % 2]


def _bcp47(tag: str | None) -> str | None:
    if not tag or tag == "und":
        return None
    try:
        import langcodes

        t = langcodes.Language.get(str(tag))
        return t.to_tag() if t.is_valid() else None
    except (LookupError, ValueError):
        return None


def inline_html(x: Inline) -> Markup:
    if isinstance(x, Markup):  # pre-rendered by this module only (never user text)
        return x
    if isinstance(x, list):
        return Markup("").join(inline_html(p) for p in x)
    if isinstance(x, Code):
        return Markup("<code>%s</code>") % inline_text(x.text)
    if isinstance(x, Strong):
        return Markup("<strong>%s</strong>") % inline_html(x.content)
    if isinstance(x, Muted):
        return Markup('<span class="muted">%s</span>') % inline_html(x.content)
    if isinstance(x, Status):
        return Markup('<span class="%s">%s</span>') % ("good" if x.good else "bad", inline_html(x.content))
    if isinstance(x, Sample):
        tag = "div" if x.block else "span"
        lang = _bcp47(x.lang)
        attrs = Markup(' lang="%s"') % lang if lang else Markup("")
        more = Markup(' <span class="muted">[…]</span>') if x.truncated else Markup("")
        return Markup('<%s class="doc"%s dir="%s">%s%s</%s>') % (
            Markup(tag), attrs, x.dir if x.dir in ("auto", "rtl", "ltr") else "auto", str(x.text), more, Markup(tag))
    return escape(fmt(x))


def inline_text(x: Inline) -> str:
    """The plain text of inline content (no markup, not escaped)."""
    if isinstance(x, list):
        return "".join(inline_text(p) for p in x)
    if isinstance(x, (Code, Sample)):
        return str(x.text)
    if isinstance(x, (Strong, Muted, Status)):
        return inline_text(x.content)
    return fmt(x)


def inline_md(x: Inline, cell: bool = False) -> str:
    esc = md_escape if cell else md_text
    if isinstance(x, list):
        return "".join(inline_md(p, cell) for p in x)
    if isinstance(x, Code):
        t = str(x.text).replace("`", "'").replace("\n", " ")
        return f"`{t}`"
    if isinstance(x, Strong):
        return f"**{inline_md(x.content, cell)}**"
    if isinstance(x, (Muted, Status)):
        return inline_md(x.content, cell)
    if isinstance(x, Sample):
        return esc(x.text) + (" […]" if x.truncated else "")
    return esc(fmt(x))


# ---- blocks -------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Block:
    only: str | None = None  # "html", "markdown" or None (both)


@dataclass
class Heading(Block):
    text: Inline
    level: int = 2


@dataclass
class Paragraph(Block):
    content: Inline
    cls: str = ""  # HTML class: "muted", "good", "bad", "warn"


@dataclass
class Callout(Block):
    """A marked box (a datasheet blank): `> ...` in Markdown."""

    content: Inline
    cls: str = "blank"


@dataclass
class BulletList(Block):
    items: list


@dataclass
class KeyValues(Block):
    """Two columns, a name and its value (configuration, thresholds)."""

    rows: list  # [(key, value), ...]
    headers: tuple | None = None  # Markdown needs a header row; HTML shows one only if given


@dataclass
class Table(Block):
    headers: list
    rows: list
    num: Sequence[int] | None = None  # right-aligned columns; None: every column whose cells are numbers
    row_headers: bool = False  # first cell of each row as <th> (matrices)


@dataclass
class Chart(Block):
    """Inline SVG from the chart helpers (lugha.report.bar_chart etc.). HTML only."""

    svg: Markup
    only: str | None = field(default="html", kw_only=True)


@dataclass
class Card:
    big: Inline
    label: Inline
    sub: Inline = None
    cls: str = ""


@dataclass
class Cards(Block):
    """The headline figures in boxes (HTML); a bullet list in Markdown."""

    cards: list


@dataclass
class Details(Block):
    """Collapsible in HTML (<details>), a heading and its blocks in Markdown."""

    summary: Inline
    blocks: list
    open: bool = False
    md_level: int = 3


@dataclass
class SignatureBlock(Block):
    """One signature or several (compare), each on its own line."""

    signature: Any
    heading: str = "Signature"


@dataclass
class Report:
    title: str
    blocks: list = field(default_factory=list)
    subtitle: str = ""  # HTML page chrome
    signature: Any = None  # rendered last by both formats (see signature_text)
    md_preamble: list = field(default_factory=list)  # Markdown-only lines after the title

    def markdown(self) -> str:
        return to_markdown(self)

    def html(self, embed_fonts: bool = True) -> str:
        return to_html(self, embed_fonts)


def signature_text(sig: Any) -> str:
    """The one place a report turns a signature into text: `lugha.signature.format_signature`
    (short form), which reads a `Signature` and every signature dict lugha has written. A string is
    taken as already formatted."""
    if sig is None:
        return ""
    if isinstance(sig, str):
        return sig
    from lugha.signature import format_signature

    return format_signature(sig, short=True)


def _sigs(sig: Any) -> list[str]:
    if sig is None:
        return []
    if isinstance(sig, (list, tuple)):
        return [signature_text(s) for s in sig]
    return [signature_text(sig)]


# ---- Markdown ------------------------------------------------------------------------------------


def _md_table(headers: Sequence, rows: Sequence[Sequence]) -> str:
    out = ["| " + " | ".join(inline_md(h, cell=True) for h in headers) + " |",
           "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(inline_md(c, cell=True) for c in r) + " |")
    return "\n".join(out)


def _md_blocks(blocks: list, out: list[str]) -> None:
    for b in blocks:
        if b.only == "html":
            continue
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + inline_md(b.text), ""]
        elif isinstance(b, Paragraph):
            out += [inline_md(b.content), ""]
        elif isinstance(b, Callout):
            out += ["> " + inline_md(b.content), ""]
        elif isinstance(b, BulletList):
            out += [f"- {inline_md(it)}" for it in b.items] + [""]
        elif isinstance(b, KeyValues):
            out += [_md_table(list(b.headers or ("name", "value")), [list(r) for r in b.rows]), ""]
        elif isinstance(b, Table):
            out += [_md_table(b.headers, b.rows), ""]
        elif isinstance(b, Cards):
            out += [f"- **{inline_md(c.big)}** {inline_md(c.label)}" + (f" ({inline_md(c.sub)})" if c.sub else "")
                    for c in b.cards] + [""]
        elif isinstance(b, Details):
            out += ["#" * b.md_level + " " + inline_md(b.summary), ""]
            _md_blocks(b.blocks, out)
        elif isinstance(b, SignatureBlock):
            sigs = _sigs(b.signature)
            if sigs:
                out += [f"## {b.heading}", ""]
                out += ([f"`{sigs[0]}`"] if len(sigs) == 1 else [f"- `{s}`" for s in sigs]) + [""]
        elif isinstance(b, Chart):
            continue
        else:
            raise TypeError(f"not a report block: {type(b).__name__}")


def to_markdown(report: Report) -> str:
    out = [f"# {md_text(report.title)}", ""]
    out += report.md_preamble
    blocks = list(report.blocks)
    if report.signature is not None:
        blocks.append(SignatureBlock(report.signature))
    _md_blocks(blocks, out)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


# ---- HTML ----------------------------------------------------------------------------------------


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _html_table(headers: Sequence, rows: Sequence[Sequence], num: Sequence[int] | None, row_headers: bool) -> Markup:
    if num is None:
        ncol = max([len(headers)] + [len(r) for r in rows])
        num = [i for i in range(ncol) if rows and all(_is_num(r[i]) or r[i] is None for r in rows if i < len(r))
               and any(i < len(r) and _is_num(r[i]) for r in rows)]
    num = set(num)

    def cls(i):
        return Markup(' class="num"') if i in num else Markup("")

    parts = [Markup("<table>")]
    if headers:
        parts.append(Markup("<tr>") + Markup("").join(Markup("<th%s>%s</th>") % (cls(i), inline_html(h))
                                                     for i, h in enumerate(headers)) + Markup("</tr>"))
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            t = "th" if (row_headers and i == 0) else "td"
            cells.append(Markup("<%s%s>%s</%s>") % (Markup(t), cls(i), inline_html(c), Markup(t)))
        parts.append(Markup("<tr>") + Markup("").join(cells) + Markup("</tr>"))
    parts.append(Markup("</table>"))
    return Markup("\n").join(parts)


def _cls(c: str) -> Markup:
    return Markup(' class="%s"') % c if c else Markup("")


def blocks_html(blocks: list) -> Markup:
    out: list[Markup] = []
    for b in blocks:
        if b.only == "markdown":
            continue
        if isinstance(b, Heading):
            lv = min(max(int(b.level), 1), 6)
            out.append(Markup("<h%d>%s</h%d>") % (lv, inline_html(b.text), lv))
        elif isinstance(b, Paragraph):
            out.append(Markup("<p%s>%s</p>") % (_cls(b.cls), inline_html(b.content)))
        elif isinstance(b, Callout):
            out.append(Markup("<p%s>%s</p>") % (_cls(b.cls), inline_html(b.content)))
        elif isinstance(b, BulletList):
            out.append(Markup("<ul>") + Markup("").join(Markup("<li>%s</li>") % inline_html(i) for i in b.items)
                       + Markup("</ul>"))
        elif isinstance(b, KeyValues):
            out.append(_html_table(list(b.headers) if b.headers else [], [list(r) for r in b.rows], None, False))
        elif isinstance(b, Table):
            out.append(_html_table(b.headers, b.rows, b.num, b.row_headers))
        elif isinstance(b, Chart):
            out.append(Markup('<div class="chart">%s</div>') % Markup(b.svg))
        elif isinstance(b, Cards):
            cards = [Markup('<div class="card"><div class="big%s">%s</div>%s%s</div>') % (
                Markup(" ") + c.cls if c.cls else "", inline_html(c.big), inline_html(c.label),
                Markup('<br><span class="muted">%s</span>') % inline_html(c.sub) if c.sub is not None else "")
                for c in b.cards]
            out.append(Markup('<div class="cards">') + Markup("").join(cards) + Markup("</div>"))
        elif isinstance(b, Details):
            out.append(Markup("<details%s><summary>%s</summary>\n%s\n</details>") % (
                Markup(" open") if b.open else "", inline_html(b.summary), blocks_html(b.blocks)))
        elif isinstance(b, SignatureBlock):
            sigs = _sigs(b.signature)
            if sigs:
                out.append(Markup("<h2>%s</h2>") % b.heading + Markup("").join(
                    Markup('<p class="sig">%s</p>') % s for s in sigs))
        else:
            raise TypeError(f"not a report block: {type(b).__name__}")
    return Markup("\n").join(out)


def to_html(report: Report, embed_fonts: bool = True) -> str:
    """A complete self-contained page: no request leaves it (CSP), fonts for the scripts on the
    page embedded as subsets (see lugha.report.fonts)."""
    from lugha.report import page

    blocks = list(report.blocks)
    if report.signature is not None:
        blocks.append(SignatureBlock(report.signature))
    return page(report.title, blocks_html(blocks), subtitle=report.subtitle, embed_fonts=embed_fonts)

