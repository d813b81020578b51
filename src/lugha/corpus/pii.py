"""Personal data in text: emails, URLs, IP addresses and phone numbers (via `phonenumbers`).

Spans are character offsets into the text, so a cleaner can mask them without touching anything
else. Phone numbers are parsed with Google's libphonenumber port for the corpus language's main
region (Ethiopia for Amharic, Nigeria for Hausa), so local formats without a +country code count.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

import regex

KINDS = ("email", "phone", "ip", "url")
PLACEHOLDERS = {"email": "<EMAIL>", "phone": "<PHONE>", "ip": "<IP>", "url": "<URL>"}

_EMAIL = regex.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[^\W\d_]{2,24}(?![\w-])")
_URL = regex.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"'«»]+", regex.IGNORECASE)
_IPV4 = regex.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = regex.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_DIGITS = regex.compile(r"\d")
_PHONE_MIN_DIGITS = 7


@lru_cache(maxsize=1)
def _phone_run():
    """A run of at least _PHONE_MIN_DIGITS digits with at most 4 of libphonenumber's own phone
    punctuation characters (or spaces) between digits: the shape every number its matcher
    accepts has here. Text without such a run is not handed to libphonenumber at all."""
    import re

    from phonenumbers.phonenumberutil import _VALID_PUNCTUATION

    sep = "[" + _VALID_PUNCTUATION + "\\s]{0,4}"
    return re.compile("\\d(?:" + sep + "\\d){%d,}" % (_PHONE_MIN_DIGITS - 1))
_TRAILING = ".,;:!?)]}'\"»።፣፤"


@dataclass(frozen=True, slots=True)
class PiiSpan:
    kind: str
    start: int
    end: int


def region_for(iso3: str | None) -> str | None:
    """The main territory of a language (CLDR likely subtags), used to parse local phone formats."""
    if not iso3:
        return None
    return _region(iso3)


@lru_cache(maxsize=256)
def _region(iso3: str) -> str | None:
    import langcodes

    try:
        return langcodes.Language.get(iso3).maximize().territory
    except (LookupError, ValueError):
        return None


def find_pii(text: str, region: str | None = None, digits: int | None = None) -> list[PiiSpan]:
    """All PII spans, sorted by start; overlapping matches keep the earliest, longest one.

    `digits`: an upper bound on the text's decimal digits when the caller knows one (the audit
    passes its character profile's count of \\p{N}, a superset of \\d): too few digits for an IP
    address or a phone number skips those searches (same spans)."""
    spans: list[PiiSpan] = []
    if "@" in text:
        spans += [PiiSpan("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    low = text.lower()
    if "http" in low or "www." in low or "ftp:" in low:
        for m in _URL.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in _TRAILING:
                end -= 1
            spans.append(PiiSpan("url", m.start(), end))
    if "." in text or ":" in text:
        if digits is None or digits >= 4:  # an IPv4 address has at least 4 digits
            for m in _IPV4.finditer(text):
                try:
                    ipaddress.IPv4Address(m.group())
                    spans.append(PiiSpan("ip", m.start(), m.end()))
                except ValueError:
                    pass
        if text.count(":") >= 2:
            for m in _IPV6.finditer(text):
                try:
                    ipaddress.IPv6Address(m.group())
                    spans.append(PiiSpan("ip", m.start(), m.end()))
                except ValueError:
                    pass
    # libphonenumber is slow, and news text is full of digits (dates, amounts) that are no phone
    if ((digits is None or digits >= _PHONE_MIN_DIGITS) and len(_DIGITS.findall(text)) >= _PHONE_MIN_DIGITS
            and _phone_run().search(text)):
        spans += _phones(text, region)
    return _resolve_overlaps(spans)


def _phones(text: str, region: str | None) -> list[PiiSpan]:
    import phonenumbers

    out = []
    leniency = phonenumbers.Leniency.VALID
    for m in phonenumbers.PhoneNumberMatcher(text, region or "ZZ", leniency=leniency):
        out.append(PiiSpan("phone", m.start, m.end))
    return out


def _resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    out: list[PiiSpan] = []
    for s in spans:
        if out and s.start < out[-1].end:
            continue  # an IP inside a URL, a phone-like run inside an email: counted once
        out.append(s)
    return out


def count_pii(spans: list[PiiSpan]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for s in spans:
        counts[s.kind] += 1
    return counts


def mask(text: str, spans: list[PiiSpan], kinds: tuple[str, ...] = ("email", "phone", "ip")) -> str:
    """Replace spans of the given kinds with typed placeholders; everything else is left as is."""
    out, pos = [], 0
    for s in spans:
        if s.kind not in kinds:
            continue
        out.append(text[pos:s.start])
        out.append(PLACEHOLDERS[s.kind])
        pos = s.end
    out.append(text[pos:])
    return "".join(out)
