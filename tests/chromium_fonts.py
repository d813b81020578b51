"""Headless Chromium with no system font for a script: the shared helper of the browser tests that
check a report draws its scripts with the fonts embedded in the page (tests/corpus/test_report_fonts.py,
tests/test_quickstart_demo.py).

Chromium (Debian's, driven by Playwright, as tests/review/test_browser.py) gets a fontconfig whose
only fonts are the system's Latin ones that cover none of the given scripts; `fc-list` confirms it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
ETHIOPIC, ARABIC = 0x1230, 0x0627  # ሰ, ا


def fc(env: dict, *args: str) -> list[str]:
    r = subprocess.run(["fc-list", *args, "file"], env=env, capture_output=True, text=True, check=True)
    return sorted(line.strip().rstrip(":") for line in r.stdout.splitlines() if line.strip())


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} missing: CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


def env_without_fonts(d: Path, codepoints=(ETHIOPIC, ARABIC)) -> dict:
    """An environment whose fontconfig (under d) holds only system fonts with none of the codepoints."""
    need_chromium()
    fontdir = d / "fonts"
    fontdir.mkdir(parents=True)
    env = dict(os.environ)
    have = set(fc(env, ":charset=41"))  # fonts with a Latin A
    covering = set().union(*(fc(env, f":charset={c:x}") for c in codepoints))
    for i, f in enumerate(sorted(have - covering)):
        (fontdir / f"{i}-{Path(f).name}").symlink_to(f)
    conf = d / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    f"<dir>{fontdir}</dir><cachedir>{d / 'cache'}</cachedir></fontconfig>\n")
    env["FONTCONFIG_FILE"] = str(conf)
    env.pop("FONTCONFIG_PATH", None)
    # What the browser will see: some Latin fonts, not one with these letters.
    assert all(fc(env, f":charset={c:x}") == [] for c in codepoints)
    return env


def launch(playwright, env: dict):
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True, env=env)


def open_page(browser, path: Path):
    """The page at path with every <details> open and its fonts loaded, and the list of the URLs it
    requested."""
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")  # draw every example
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, requests


def drawn_with(page, selector: str) -> dict[str, dict]:
    """The fonts Chromium actually used to draw the first matching node's text (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    return {f["familyName"]: f for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}


def count(text: str, lo: int, hi: int) -> int:
    return sum(1 for ch in text if lo <= ord(ch) <= hi)
