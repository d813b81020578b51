"""Console output is literal: paths, messages and corpus text are never read as Rich markup or
emoji codes (issue 12, item 6)."""

from __future__ import annotations

import io

from lugha.progress import console, line, styled


def test_console_prints_markup_and_emoji_codes_literally():
    c = console()
    c.file = io.StringIO()
    c.print("a[x]b.txt :-1: [bold]x[/bold] [red]", line("ok ", styled("[green]", "green")))
    assert c.file.getvalue() == "a[x]b.txt :-1: [bold]x[/bold] [red] ok [green]\n"


def test_audit_and_clean_print_paths_and_records_as_they_are(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "a[x]b.jsonl"
    src.write_text('{"text": "Habari za asubuhi, rafiki yangu mpendwa wa siku nyingi sana."}\n'
                   ":-1: [bold]not json[/bold]\n", encoding="utf-8")
    r = cli("audit", src.name, "--lang", "sw", "--out", "out[x]:-1:")
    assert r.exit_code == 0, r.output
    assert "Report: out[x]:-1:/report.html" in r.stdout
    assert "a[x]b.jsonl:2: bad JSON" in r.stderr  # the unreadable record, named as it is
    r = cli("clean", src.name, "--lang", "sw", "--out", "clean[y]:+1:", "--audit", "out[x]:-1:")
    assert r.exit_code == 0, r.output
    assert "Audit reused: out[x]:-1:" in r.stdout
    assert "Output: clean[y]:+1:/kept, clean[y]:+1:/removed" in r.stdout
    assert "👍" not in r.stdout + r.stderr and "👎" not in r.stdout + r.stderr
