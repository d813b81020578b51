"""Language tags: resolve what a user types to ISO 639-3, handle macrolanguages, expected scripts.

All data comes from libraries (langcodes/language_data: the IANA subtag registry and CLDR's
dominant-language table; gflanguages: the scripts each language is written in), not from a hand table.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import langcodes
from langcodes.data_dicts import NORMALIZED_MACROLANGUAGES
from langcodes.tag_parser import LanguageTagError

from lugha.errors import LughaError

UNDETERMINED = "und"


@lru_cache(maxsize=1)
def _registry_entries() -> tuple[dict[str, str], ...]:
    """The entries of the IANA language subtag registry that langcodes ships, each as its fields
    (the first value of a repeated field, e.g. the first Description)."""
    path = Path(langcodes.__file__).parent / "data" / "language-subtag-registry.txt"
    entries = []
    for entry in path.read_text(encoding="utf-8").split("%%"):
        fields: dict[str, str] = {}
        for ln in entry.strip().splitlines():
            if ": " in ln and not ln.startswith(" "):
                k, v = ln.split(": ", 1)
                fields.setdefault(k, v)
        entries.append(fields)
    return tuple(entries)


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Parse the IANA registry that langcodes ships.

    Returns (subtag -> description, subtag -> macrolanguage subtag, subtag -> suppress-script).
    """
    names: dict[str, str] = {}
    macro: dict[str, str] = {}
    script: dict[str, str] = {}
    for fields in _registry_entries():
        if fields.get("Type") != "language":
            continue
        sub = fields["Subtag"]
        if ".." in sub:  # private-use range
            continue
        names[sub] = fields.get("Description", sub)
        if "Macrolanguage" in fields:
            macro[sub] = fields["Macrolanguage"]
        if "Suppress-Script" in fields:
            script[sub] = fields["Suppress-Script"]
    return names, macro, script


@lru_cache(maxsize=4096)
def to_iso3(code: str) -> str:
    """Any registered language subtag (2- or 3-letter) -> ISO 639-3 (terminology) code."""
    code = code.strip().lower().replace("_", "-").split("-")[0]
    if not code or code == UNDETERMINED:
        return UNDETERMINED
    try:
        return langcodes.Language.get(code).to_alpha3()
    except (LookupError, ValueError, LanguageTagError):
        return code


@lru_cache(maxsize=1)
def _macro_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(individual iso3 -> macrolanguage iso3, macrolanguage iso3 -> dominant individual iso3)."""
    _, macro, _ = _registry()
    member_to_macro = {to_iso3(m): to_iso3(M) for m, M in macro.items()}
    dominant: dict[str, str] = {}
    # CLDR names one dominant member per macrolanguage (arb for ar, swh for sw); Akan lists two
    # (fat, tw): keep the first in sorted order that the registry says is a member, Twi wins by
    # being more widely written.
    for member, M in sorted(NORMALIZED_MACROLANGUAGES.items(), key=lambda kv: (kv[1], kv[0] != "tw")):
        dominant.setdefault(to_iso3(M), to_iso3(member))
    return member_to_macro, dominant


def macrolanguage_of(iso3: str) -> str | None:
    return _macro_tables()[0].get(iso3)


def canonical(iso3: str) -> str:
    """A macrolanguage code becomes its dominant individual language (swa -> swh, aka -> twi)."""
    return _macro_tables()[1].get(iso3, iso3)


def same_language(a: str | None, b: str | None) -> bool:
    """True when two ISO 639-3 codes name the same language, counting a macrolanguage as the
    same as each of its members (a backend that only knows 'kur' is right about 'ckb' text)."""
    if not a or not b or a == UNDETERMINED or b == UNDETERMINED:
        return False
    if a == b:
        return True
    ma, mb = macrolanguage_of(a), macrolanguage_of(b)
    return ma == b or mb == a


_GF_ID = re.compile(r'^id:\s*"([^"]*)"', re.M)


def _gf_language_ids() -> list[str]:
    """The ids of gflanguages' language records ('ha_Latn', 'ti_Ethi', ...): the keys of
    `gflanguages.LoadLanguages()`, read from each record's top-level `id:` line instead of parsing
    all 1,693 text protos with protobuf (3 s of every audit's start-up; equal keys, tested)."""
    import importlib.util

    spec = importlib.util.find_spec("gflanguages")
    locations = list(spec.submodule_search_locations or ()) if spec else []
    folder = Path(locations[0]) / "data" / "languages" if locations else None
    if folder is None or not folder.is_dir():  # not installed as plain files: let gflanguages read them
        import gflanguages

        return list(gflanguages.LoadLanguages())
    ids: list[str] = []
    for f in sorted(folder.glob("*.textproto")):
        ids += _GF_ID.findall(f.read_text(encoding="utf-8"))
    return ids


@lru_cache(maxsize=1)
def _gf_scripts() -> dict[str, set[str]]:
    """iso3 -> scripts, from gflanguages' language_script keys (e.g. 'ha_Arab', 'ti_Ethi')."""
    out: dict[str, set[str]] = {}
    for key in _gf_language_ids():
        if "_" not in key:
            continue
        lang, *rest = key.split("_")
        scripts = [r for r in rest if len(r) == 4 and r.istitle()]  # skip 'akuapem', 'BJ'
        out.setdefault(to_iso3(lang), set()).update(scripts)
    return out


@lru_cache(maxsize=1)
def _script_aliases() -> dict[str, tuple[str, ...]]:
    """ISO 15924 codes that name a union or a variant of scripts -> the Unicode scripts they cover,
    read from the IANA registry's script descriptions (which quote ISO 15924): "Japanese (alias for
    Han + Hiragana + Katakana)" makes Jpan -> (Hani, Hira, Kana); "Han (Simplified variant)" makes
    Hans -> (Hani,); "Jamo (alias for Jamo subset of Hangul)" makes Jamo -> (Hang,).

    A text's script profile is measured with the Unicode Script property, which only knows the base
    scripts (Hani, Hang, Hira, Kana, Bopo, Cyrl, Latn, ...): CLDR's Hans/Hant/Kore/Jpan/Hanb must be
    compared as the scripts they stand for."""
    names: dict[str, str] = {}  # script code -> its first description
    for fields in _registry_entries():
        if fields.get("Type") == "script" and ".." not in fields.get("Subtag", ".."):
            names[fields["Subtag"]] = fields.get("Description", "")
    # a script's name, as other descriptions refer to it: "Han (Hanzi, Kanji, Hanja)" -> "Han"
    by_name: dict[str, str] = {}
    for code, desc in names.items():
        if "(" in desc and ("alias for" in desc or "variant)" in desc):
            continue
        by_name.setdefault(desc.split(" (")[0].strip().lower(), code)
    out: dict[str, tuple[str, ...]] = {}
    for code, desc in names.items():
        m = re.search(r"\(alias for (.+)\)$", desc)
        if m:
            parts = [p.strip().removeprefix("Jamo subset of ").lower() for p in m.group(1).split("+")]
        else:
            m = re.match(r"(.+?) \(.*variant\)$", desc)
            if not m:
                continue
            parts = [m.group(1).strip().lower()]
        members = tuple(by_name[p] for p in parts if p in by_name and by_name[p] != code)
        if members and len(members) == len(parts):
            out[code] = members
    return out


def script_members(script: str) -> tuple[str, ...]:
    """The Unicode scripts an ISO 15924 code covers: Jpan -> (Hani, Hira, Kana), Kore -> (Hang, Hani),
    Hanb -> (Hani, Bopo), Hans/Hant -> (Hani,); a base script is itself (Ethi -> (Ethi,))."""
    return _script_aliases().get(script, (script,))


def _unicode_scripts(scripts) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for s in scripts for m in script_members(s)))


@dataclass(frozen=True)
class Lang:
    """A resolved language: what the user asked for, and what counts as a match."""

    tag: str  # as the user typed it
    code: str  # canonical ISO 639-3 (individual language where a macrolanguage was given)
    name: str
    equivalents: frozenset[str] = field(default_factory=frozenset)  # iso3 codes that count as it
    scripts: tuple[str, ...] = ()  # Unicode scripts (ISO 15924) it is written in, most likely first

    def matches(self, iso3: str | None) -> bool:
        return bool(iso3) and (iso3 in self.equivalents or same_language(iso3, self.code))


def expected_scripts(iso3: str) -> tuple[str, ...]:
    """Scripts a language is written in: CLDR's likely script first, then every other script
    Google Fonts' language data lists for it (Hausa: Latn, Arab). Union and variant codes are given
    as the Unicode scripts they cover (Japanese: Hani, Hira, Kana; Korean: Hang, Hani), because
    that is what a text's script profile reports."""
    first: list[str] = []
    try:
        likely = langcodes.Language.get(iso3).maximize().script
        if likely:
            first.append(likely)
    except (LookupError, ValueError, LanguageTagError):
        pass
    others = set(_gf_scripts().get(iso3, set()))
    M = macrolanguage_of(iso3)
    if M and not others:
        others |= _gf_scripts().get(M, set())
    return _unicode_scripts(first + sorted(others))


@lru_cache(maxsize=512)
def resolve(tag: str) -> Lang:
    """Resolve an ISO 639-1/639-3/BCP-47 tag (or an English language name) to a Lang.

    Raises LughaError listing close matches when the tag is unknown.
    """
    raw = tag.strip()
    if not raw:
        raise LughaError("empty language tag")
    names, _, _ = _registry()
    lang_sub = None
    try:
        parsed = langcodes.Language.get(raw)
        lang_sub = parsed.language
    except (LookupError, ValueError, LanguageTagError):
        parsed = None
    if parsed is None or lang_sub not in names:
        try:
            parsed = langcodes.find(raw)
            lang_sub = parsed.language
        except LookupError:
            parsed = None
    if parsed is None or not lang_sub or lang_sub not in names:
        if raw.lower().replace("_", "-").split("-")[0] == UNDETERMINED:
            raise LughaError(f"{raw!r} means 'undetermined language', which a corpus cannot claim; give the "
                             "language it should be in (an ISO 639 code such as tir, ha or sw, or a name)")
        raise LughaError(f"unknown language tag {raw!r}; close matches: {', '.join(suggest(raw)) or 'none'}")
    iso = to_iso3(lang_sub)
    code = canonical(iso)
    eq = {iso, code}
    M = macrolanguage_of(code)
    if iso != code or M is None:
        # The user named a macrolanguage (sw, ku): every member counts.
        eq |= {m for m, mac in _macro_tables()[0].items() if mac == iso}
    if M:
        eq.add(M)
    scripts = expected_scripts(code)
    if parsed.script:  # an explicit script in the tag (ku-Arab) narrows what is expected
        scripts = _unicode_scripts([parsed.script])
    name = langcodes.Language.get(code).display_name()
    return Lang(tag=raw, code=code, name=name, equivalents=frozenset(eq), scripts=scripts)


def suggest(raw: str, n: int = 5) -> list[str]:
    """Close matches for an unknown tag, as 'code (Name)'."""
    names, _, _ = _registry()
    low = raw.lower()
    by_code = difflib.get_close_matches(low, list(names), n=n, cutoff=0.6)
    name_index = {v.lower(): k for k, v in names.items()}
    by_name = [name_index[m] for m in difflib.get_close_matches(low, list(name_index), n=n, cutoff=0.6)]
    prefix = [c for c in names if len(c) <= 3 and (low.startswith(c) or c.startswith(low))]
    # never the tag that was just refused (nor another spelling of it)
    own = {low, to_iso3(low)}
    seen = [c for c in dict.fromkeys(prefix[:2] + by_code[:3] + by_name) if c not in own and to_iso3(c) not in own][:n]
    return [f"{to_iso3(c)} ({names[c]})" for c in seen]


def display_name(iso3: str | None) -> str:
    if not iso3 or iso3 == UNDETERMINED:
        return "undetermined"
    try:
        return langcodes.Language.get(iso3).display_name()
    except (LookupError, ValueError, LanguageTagError):
        return iso3
