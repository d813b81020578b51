"""lugha clean/audit on the spine (issue 16 d, issue 12 items 8 and 10): one resolved context, skipped
files of input directories reported, rule hashes free of input hashes."""

from __future__ import annotations

import json
from pathlib import Path

from lugha import records
from lugha.corpus import audit as audit_mod
from lugha.corpus.clean import run_clean

HAU = ["Hukumar wasan motsa jiki ta duniya ta cire sunan dan wasan daga shafinta a yau.",
       "Gwamnatin jihar ta ce za ta gina sababbin makarantu guda goma a shekara mai zuwa.",
       "Everyone has the right to life, liberty and security of person in every country."]


def _corpus(d: Path, lines: list[str]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "a.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def test_clean_resolves_hashes_and_loads_config_once(tmp_path, monkeypatch):
    src = _corpus(tmp_path / "c", HAU) / "a.txt"
    loads, hashed = [], []
    real_load, real_hash = audit_mod.load_config, records._sha256_uncached
    monkeypatch.setattr(audit_mod, "load_config", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr(records, "_sha256_uncached", lambda p, *a: hashed.append(str(p)) or real_hash(p, *a))
    monkeypatch.setattr(records, "_hash_cache", {})
    res = run_clean([src], "ha", tmp_path / "out", workers=1, write_datasheet=False)
    assert res.manifest["counts"]["input"] == 3
    assert len(loads) == 1
    assert hashed.count(str(src)) == 1  # hashed once for clean, the audit reuse check and the audit


def test_same_rules_on_other_inputs_give_the_same_rule_hash(tmp_path):
    a = run_clean([_corpus(tmp_path / "a", HAU)], "hau", tmp_path / "oa", workers=1, write_datasheet=False)
    b = run_clean([_corpus(tmp_path / "b", HAU[:2])], "hau", tmp_path / "ob", workers=1, write_datasheet=False)
    sa, sb = a.manifest["signature"], b.manifest["signature"]
    assert sa["inputs"] != sb["inputs"]
    assert sa["params"]["rules"] == sb["params"]["rules"] and len(sa["params"]["rules"]) == 64
    assert sa["params"]["audit_config"] == sb["params"]["audit_config"]
    c = run_clean([tmp_path / "a"], "hau", tmp_path / "oc", pii="drop", workers=1, write_datasheet=False)
    assert c.manifest["signature"]["params"]["rules"] != sa["params"]["rules"]


def test_directory_inputs_report_what_was_skipped(tmp_path, cli):
    d = _corpus(tmp_path / "corpus", HAU)
    (d / "readme.md").write_text("# about this corpus\n", encoding="utf-8")
    (d / "tool.bin").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(200))
    (d / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    r = cli("audit", d, "--lang", "hau", "--out", tmp_path / "audit", "--workers", "1")
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "audit" / "summary.json").read_text(encoding="utf-8"))
    assert {Path(s["path"]).name: s["reason"] for s in summary["skipped"]} == {
        "gone.txt": "dangling symbolic link", "readme.md": "not a corpus file name (.md)",
        "tool.bin": "not a corpus file name (.bin)"}
    line = [ln for ln in r.stderr.splitlines() if ln.startswith("skipped")]
    assert len(line) == 1 and "skipped 3 file(s) in input directories" in line[0] and "readme.md" in line[0]
    assert summary["counts"]["total"] == 3
    r = cli("clean", d, "--lang", "hau", "--out", tmp_path / "clean", "--workers", "1")
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "clean" / "manifest.json").read_text(encoding="utf-8"))
    assert len(m["skipped"]) == 3 and sum("skipped 3 file(s)" in ln for ln in r.stderr.splitlines()) == 1
