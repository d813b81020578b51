"""The demo corpus: a "claimed Tigrinya" web crawl assembled from real texts, with realistic
contamination, built at run time from the sample texts (mostly UDHR excerpts) that the
`gflanguages` package (Apache-2.0) ships for hundreds of languages. Nothing is downloaded.

What goes in, by construction (the audit does not see these labels):
- Tigrinya sentences (the real content), some repeated verbatim and some with a changed suffix
  (exact and near duplicates, as crawls have);
- Amharic sentences in the same Ge'ez script (what every LID model without Tigrinya says it is);
- English, Hausa and Arabic sentences (wrong language);
- English web boilerplate, short Tigrinya fragments, lines of numbers/symbols, a contact line with
  an email and a phone number.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

SPLIT = re.compile(r"(?<=[።.!?؟])\s+|\n+|(?<=፡፡)")

BOILERPLATE = [
    "All rights reserved. Privacy Policy | Terms of Use",
    "We use cookies to improve your experience. Accept cookies",
    "Click here to subscribe to our newsletter",
    "Home | About us | Contact us | Log in",
    "Copyright © 2024 Example News. Powered by WordPress",
    "Read more » Share this: Facebook Twitter",
]
NOT_LANGUAGE = ["2024-05-01 12:00:00 | 0.5 | 1,234 | 99%", "=== *** === ### @@@",
                "1. 2. 3. 4. 5. 6. 7. 8. 9. 10.", "😀😀😀 👍👍 🔥🔥🔥", "<<< >>> ||| ---- ++++ ////", "3.14159 2.71828 1.41421 1.73205"]


def _sentences(code: str) -> list[str]:
    import gflanguages

    langs = gflanguages.LoadLanguages()
    st = langs[code].sample_text
    fields = [st.specimen_16, st.specimen_21, st.specimen_32, st.specimen_36, st.specimen_48, st.tester, st.styles]
    out: list[str] = []
    for f in fields:
        for s in SPLIT.split(f or ""):
            s = s.strip()
            if len(re.findall(r"\w+", s)) >= 3 and s not in out:
                out.append(s)
    return out


def build_demo_corpus(path: str | Path, seed: int = 7, tigrinya: list[str] | None = None) -> dict[str, int]:
    """Write the demo corpus (one document per line); return how many lines of each kind went in.
    `tigrinya`: the Tigrinya sentences to use (default: every gflanguages one; `lugha quickstart
    --demo` keeps some of them apart as the trusted reference)."""
    rng = random.Random(seed)
    tir = _sentences("ti_Ethi") if tigrinya is None else list(tigrinya)
    amh = _sentences("am_Ethi")
    eng = _sentences("en_Latn")
    hau = _sentences("ha_Latn")
    arb = _sentences("ar_Arab")
    lines: list[tuple[str, str]] = []
    lines += [("tir", s) for s in tir]
    lines += [("tir-exact-dup", s) for s in rng.sample(tir, min(6, len(tir)))]
    long_tir = [t for t in tir if len(t) > 60]
    lines += [("tir-near-dup", s + " እዩ") for s in rng.sample(long_tir, min(4, len(long_tir)))]
    lines += [("tir-short", s.split()[0] + " " + s.split()[1]) for s in rng.sample(tir, 6)]
    lines += [("amh", s) for s in amh[:12]]
    lines += [("eng", s) for s in eng[:8]]
    lines += [("hau", s) for s in hau[:4]]
    lines += [("arb", s) for s in arb[:4]]
    lines += [("boilerplate", s) for s in BOILERPLATE]
    lines += [("not-language", s) for s in NOT_LANGUAGE]
    lines += [("pii", "ንዝኾነ ሕቶ ብኢመይል info@example.er ወይ ብስልኪ +291 7 123456 ተወከሱና፡ ኩሉ ሰብ ክሕግዘኩም ድሉው እዩ።")]
    rng.shuffle(lines)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(s.replace("\n", " ") + "\n" for _, s in lines), encoding="utf-8")
    counts: dict[str, int] = {}
    for kind, _ in lines:
        counts[kind] = counts.get(kind, 0) + 1
    return counts
