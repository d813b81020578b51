"""Embedded web fonts for self-contained reports: the Noto faces lugha ships, subset to the
characters the page uses and inlined as base64 `@font-face` rules.

A report is opened on whatever machine its reader has; Ge'ez, Arabic, N'Ko, Tifinagh or Adlam text
must not come out as empty boxes there. For each shipped script font, the characters of the page in
that script's Unicode blocks are kept (fontTools' subsetter keeps the OpenType layout closure, so
Arabic joining forms and Ethiopic ligatures still shape), written as WOFF2 (brotli) and declared
with exactly that `unicode-range`; the faces come first in the CSS font stack, so they draw their
script and nothing else, whatever the machine has installed. A page with no such text embeds
nothing. The font files and their licence (SIL OFL 1.1) are in `FONT_DIR` (FONTS.md, OFL.txt),
shared with the review app, which serves the same files whole.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

# Shared with the review app (which serves them as /static/fonts/...): one copy in the package.
FONT_DIR = Path(__file__).resolve().parent.parent / "review" / "static" / "fonts"


@dataclass(frozen=True)
class Face:
    family: str  # the CSS family name (prefixed, so it never matches an installed font by accident)
    file: str
    script: str
    ranges: tuple[tuple[int, int], ...]
    # Code points whose placement needs GPOS (combining marks). A page without any gets the face
    # without GPOS: for Noto Sans Ethiopic, 218 KB of mostly kerning pairs whose parsing alone takes
    # seconds; what is lost is kerning only. None: always keep GPOS.
    gpos_only_for: tuple[tuple[int, int], ...] | None = None


# Unicode blocks of each script (Unicode 15.1). Characters shared between scripts (digits, ASCII
# punctuation, combining marks) are left to the reader's fonts.
FACES = (
    Face("lugha Noto Sans Ethiopic", "NotoSansEthiopic-400.woff2", "Ethiopic",
         ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F), (0x1E7E0, 0x1E7FF)),
         gpos_only_for=((0x135D, 0x135F),)),
    Face("lugha Noto Sans Arabic", "NotoSansArabic-400.woff2", "Arabic",
         ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
          (0x10EC0, 0x10EFF))),
    Face("lugha Noto Sans NKo", "NotoSansNKo-400.woff2", "N'Ko", ((0x07C0, 0x07FF),)),
    Face("lugha Noto Sans Tifinagh", "NotoSansTifinagh-400.woff2", "Tifinagh", ((0x2D30, 0x2D7F),)),
    Face("lugha Noto Sans Adlam", "NotoSansAdlam-400.woff2", "Adlam", ((0x1E900, 0x1E95F),)),
)

FAMILIES = tuple(f.family for f in FACES)


def _in(cp: int, ranges) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


@functools.lru_cache(maxsize=None)
def _cmap(file: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(FONT_DIR / file), lazy=True).getBestCmap())


@functools.lru_cache(maxsize=None)
def _font_bytes(file: str) -> bytes:
    return (FONT_DIR / file).read_bytes()


def flavor() -> str:
    """woff2 when brotli is importable (it is a dependency of lugha), else woff (zlib)."""
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "woff"
    return "woff2"


def subset(face: Face, codepoints: set[int], flavor_: str | None = None) -> bytes:
    """The face cut down to `codepoints` (plus the glyphs shaping them needs)."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    # recalcTimestamp=False: keep the face's own `head.modified`, not the time of subsetting (same bytes each run)
    font = TTFont(io.BytesIO(_font_bytes(face.file)), recalcTimestamp=False)
    opts = ft_subset.Options()
    opts.flavor = flavor_ or flavor()
    opts.layout_features = ["*"]  # keep every OpenType feature: joining, ligatures, marks
    opts.name_IDs = ["*"]  # keep the copyright and licence records (OFL)
    opts.notdef_outline = True
    opts.drop_tables += ["DSIG"]
    if (face.gpos_only_for is not None and "GPOS" in font
            and not any(_in(c, face.gpos_only_for) for c in codepoints)):
        del font["GPOS"]  # before the subsetter parses it
    sub = ft_subset.Subsetter(opts)
    sub.populate(unicodes=sorted(codepoints))
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = opts.flavor
    font.save(buf)
    return buf.getvalue()


def _range(cps: list[int]) -> str:
    """CSS unicode-range for a sorted list of code points, runs merged."""
    out, start, prev = [], cps[0], cps[0]
    for c in cps[1:] + [None]:
        if c is not None and c == prev + 1:
            prev = c
            continue
        out.append(f"U+{start:X}" if start == prev else f"U+{start:X}-{prev:X}")
        if c is not None:
            start = prev = c
    return ", ".join(out)


@dataclass
class Embedded:
    css: str  # the @font-face rules ("" when the page needs none)
    faces: dict[str, int]  # CSS family -> glyph-bearing code points embedded
    bytes: int  # font data embedded (before base64)


def cache_dir() -> Path | None:
    """Where subset fonts are kept between runs: $LUGHA_CACHE/fonts, else ~/.cache/lugha/fonts.
    LUGHA_FONT_CACHE=0 turns the cache off (every page subsets its fonts afresh)."""
    if os.environ.get("LUGHA_FONT_CACHE", "1") == "0":
        return None
    base = os.environ.get("LUGHA_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "lugha") / "fonts"


@functools.lru_cache(maxsize=1)
def _code_key() -> str:
    """What else decides a subset's bytes: fontTools' and brotli's versions and this module's own
    source (its subsetting options), so a changed subsetter never serves an old subset."""
    from lugha.records import sha256_file
    from lugha.signature import package_version

    return f"fonttools-{package_version('fonttools')}|brotli-{package_version('brotli')}|{sha256_file(__file__)}"


def _cache_key(face: Face, wanted: list[int], flavor_: str) -> str:
    from lugha.records import sha256_file

    h = hashlib.sha256()
    h.update(f"{sha256_file(FONT_DIR / face.file)}|{face.family}|{flavor_}|{_code_key()}|".encode())
    h.update(",".join(map(str, wanted)).encode())
    return h.hexdigest()


def _cached_subset(face: Face, wanted: list[int], flavor_: str) -> tuple[list[int], bytes]:
    """(the code points of `wanted` the face has, the face subset to them), from the font cache when
    an equal request was subset before (keyed by the font file's SHA-256, the requested code points,
    the flavour and _code_key): fontTools' subsetting and WOFF2 compression took 0.5-2 s of every
    audit report. The cached bytes are what `subset` wrote for that request."""
    folder = cache_dir()
    path = folder / f"{_cache_key(face, wanted, flavor_)}.{flavor_}" if folder else None
    if path is not None:
        try:
            head, _, data = path.read_bytes().partition(b"\n")
            cps = json.loads(head)["codepoints"]
            if isinstance(cps, list) and (data or not cps):
                return cps, data
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no entry yet, or a damaged one: subset afresh (and replace it)
    cmap = _cmap(face.file)
    cps = [c for c in wanted if c in cmap]
    data = subset(face, set(cps), flavor_) if cps else b""
    if path is not None:
        from lugha.records import write_bytes

        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_bytes(path, json.dumps({"codepoints": cps}).encode() + b"\n" + data)
        except OSError:
            pass  # a read-only home: the page is still right, only the next one is not faster
    return cps, data


def font_faces(text: str) -> Embedded:
    """@font-face rules with subset fonts for every shipped script that occurs in `text`."""
    used = {ord(ch) for ch in set(text) if ord(ch) > 0x7F}
    rules, faces, total = [], {}, 0
    fl = None
    for face in FACES:
        wanted = sorted(c for c in used if _in(c, face.ranges))
        if not wanted:
            continue
        fl = fl or flavor()
        cps, data = _cached_subset(face, wanted, fl)
        if not cps:
            continue
        total += len(data)
        faces[face.family] = len(cps)
        rules.append(
            f'@font-face {{ font-family: "{face.family}"; font-style: normal; font-weight: 400; '
            f"font-display: block; unicode-range: {_range(cps)}; "
            f'src: url(data:font/{fl};base64,{base64.b64encode(data).decode("ascii")}) format("{fl}"); }}')
    css = ""
    if rules:
        css = ("/* Noto Sans subsets (SIL Open Font License 1.1; see lugha/review/static/fonts/OFL.txt):"
               " only the characters on this page. */\n" + "\n".join(rules))
    return Embedded(css, faces, total)


def font_stack(base: str = 'system-ui, "Noto Sans", sans-serif') -> str:
    """The CSS font-family list: the embedded script faces first (each only covers its own
    script's characters, by unicode-range), then the reader's fonts for everything else."""
    return ", ".join(f'"{f}"' for f in FAMILIES) + ", " + base
