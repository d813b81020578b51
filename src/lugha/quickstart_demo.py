"""The inputs of `lugha quickstart --demo` (what `make demo` runs): a claimed-Tigrinya crawl and a
small trusted Tigrinya reference, both built from the UDHR sample texts that the `gflanguages`
package ships. Nothing is downloaded.

gflanguages has 19 Tigrinya sentences and no other embedded package has Tigrinya text, so the two
inputs share them out by the quickstart's own document hash: a sentence whose bucket
(`sha256(text)[:8] mod 100`) is below 50 goes to the reference, every other one to the crawl (with
its duplicates, near duplicates and fragments; see `lugha.corpus.demo`). No reference sentence is
in the crawl. The reference's held-out part (bucket below 20, as for any reference) is 2 sentences:
the demo shows the workflow, not figures to quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REFERENCE_BUCKETS = 50


@dataclass
class DemoInputs:
    crawl: Path
    reference: Path
    reference_sentences: int
    crawl_kinds: dict[str, int]
    note: str


def build_demo_inputs(folder: str | Path) -> DemoInputs:
    from lugha.corpus.demo import _sentences, build_demo_corpus
    from lugha.quickstart import _bucket
    from lugha.records import write_text

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    tir = _sentences("ti_Ethi")
    ref = [t for t in tir if _bucket(t) < REFERENCE_BUCKETS]
    rest = [t for t in tir if _bucket(t) >= REFERENCE_BUCKETS]
    reference = d / "reference.tir.txt"
    write_text(reference, "".join(t + "\n" for t in ref))
    crawl = d / "claimed_tigrinya.txt"
    kinds = build_demo_corpus(crawl, tigrinya=rest)
    note = (f"demo inputs: {len(tir)} Tigrinya UDHR sentences from gflanguages, split by document hash: "
            f"{len(ref)} form the reference, the other {len(rest)} (with duplicates and fragments) are the "
            f"crawl's Tigrinya; its other lines come from the gflanguages samples of Amharic, English, "
            f"Hausa and Arabic, the same text the language-ID stage learns the languages Tigrinya is confused with (and English) "
            f"from, which makes the audit easier than on a real crawl")
    return DemoInputs(crawl, reference, len(ref), kinds, note)
