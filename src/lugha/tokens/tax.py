"""The tokenization tax: how many more tokens the same content costs in a language than in a
reference language, per tokenizer, on line-aligned parallel text (Petrov et al., NeurIPS 2023).

Premium = total tokens in the language / total tokens in the reference over the same lines (a ratio
of totals, as Petrov et al.), with a bootstrap 95% interval from resampling lines.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from lugha import langs
from lugha.errors import LughaError
from lugha.records import read_lines, sha256_file
from lugha.signature import Signature

CONTEXTS = (4096, 8192, 131072)
BOOTSTRAP = 1000

# Under-served languages lugha is built for; `--lang focus` picks those present in the parallel set.
FOCUS = ("tir", "amh", "hau", "yor", "twi", "aka", "wol", "som", "kmr", "ckb", "ibo", "swh", "zul", "xho",
         "orm", "gaz", "kin", "nya", "sna", "ewe", "bem", "fuc", "mlg", "plt", "nde", "nso", "ssw", "tsn",
         "ven", "shi", "lin", "lug", "run", "tso", "pcm", "ful", "pbt", "pus", "uig", "tat", "bak", "tuk", "uzn")


@dataclass
class Parallel:
    """Line-aligned text: language code -> lines (same count for every language)."""

    lines: dict[str, list[str]]
    sources: dict[str, str]  # code -> file (or file#column for TSV)
    hashes: dict[str, str]  # file -> sha256
    labels: dict[str, str] = field(default_factory=dict)  # code -> the label in the data ("aze-Latn")

    @property
    def n(self) -> int:
        return len(next(iter(self.lines.values()))) if self.lines else 0


def _code_of(label: str) -> str:
    """The data's own ISO 639-3 code for a file label (aze-Latn -> aze). Deliberately not
    canonicalised: NTREX has both fas (Persian) and prs (Dari), which CLDR would merge."""
    import langcodes

    primary = label.split("-")[0].split("_")[0].lower()
    if len(primary) == 3 and primary.isalpha():
        return primary
    try:
        return langs.to_iso3(langcodes.Language.get(label).language or label)
    except (LookupError, ValueError, LughaError):
        return label


def load_parallel(path: str | Path) -> Parallel:
    """A directory of `<code>.txt` files (also `name.<code>.txt`, as NTREX), or a TSV whose header
    names one language per column. Every language must have the same number of lines."""
    p = Path(path)
    if not p.exists():
        raise LughaError("no such file or directory", p)
    lines: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    hashes: dict[str, str] = {}
    labels: dict[str, str] = {}
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix == ".txt" and f.is_file())
        if not files:
            raise LughaError("no <code>.txt files in this directory", p)
        for f in files:
            label = f.stem.rsplit(".", 1)[-1]
            code = _code_of(label)
            if code in lines:
                raise LughaError(f"two files for language {code}: {sources[code]} and {f}", f)
            lines[code] = read_lines(f)
            sources[code] = str(f)
            labels[code] = label
            hashes[str(f)] = sha256_file(f)
        counts = {c: len(v) for c, v in lines.items()}
        first = next(iter(counts))
        for c, k in counts.items():
            if k != counts[first]:
                raise LughaError(f"files have different line counts: {sources[first]} has {counts[first]} lines, "
                                 f"{sources[c]} has {k} lines", sources[c])
    else:
        with p.open(encoding="utf-8", newline="") as fh:
            rows = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            try:
                header = next(rows)
            except StopIteration:
                raise LughaError("empty TSV: expected a header row of language codes", p, 1) from None
            codes = [_code_of(h.strip()) for h in header]
            for c, h in zip(codes, header):
                lines[c] = []
                labels[c] = h.strip()
                sources[c] = f"{p}#{h.strip()}"
            for i, row in enumerate(rows, start=2):
                if len(row) != len(header):
                    raise LughaError(f"{len(row)} columns, the header has {len(header)}", p, i)
                for c, cell in zip(codes, row):
                    lines[c].append(cell)
        hashes[str(p)] = sha256_file(p)
    return Parallel(lines, sources, hashes, labels)


def pick_languages(par: Parallel, wanted: Sequence[str], ref: str) -> tuple[str, list[str]]:
    """Map user tags to codes present in the data. `all` = every language but the reference,
    `focus` = the FOCUS languages present."""
    def find(tag: str) -> str:
        if tag in par.lines:
            return tag
        code = langs.resolve(tag).code
        if code in par.lines:
            return code
        for c in par.lines:  # a macrolanguage tag (e.g. `fa` for prs/fas) still finds its file
            if langs.same_language(c, code):
                return c
        raise LughaError(f"language {tag!r} ({code}) is not in the parallel data; it has: {', '.join(sorted(par.lines))}")

    ref_code = find(ref)
    out: list[str] = []
    for tag in wanted:
        tag = tag.strip()
        if not tag:
            continue
        if tag == "all":
            out += [c for c in par.lines if c != ref_code]
        elif tag == "focus":
            out += [c for c in par.lines if c in FOCUS or langs.canonical(c) in FOCUS]
        else:
            out.append(find(tag))
    out = [c for c in dict.fromkeys(out) if c != ref_code]
    if not out:
        raise LughaError("no languages to compare with the reference; pass --lang CODE[,CODE...] or all")
    return ref_code, out


@dataclass
class LangStats:
    tokens: int
    lines: int
    bytes: int
    words: int
    fragments: int
    per_line: np.ndarray  # tokens per line

    def as_dict(self) -> dict:
        return {"tokens": self.tokens, "lines": self.lines, "bytes": self.bytes, "words": self.words,
                "fragment_tokens": self.fragments}


def count(tok, lines: Sequence[str], batch: int = 2000) -> LangStats:
    """Exact token counts per line (no special tokens), and how many were fragments."""
    import itertools

    per_line = np.zeros(len(lines), dtype=np.int64)
    mask = None
    if tok.fragment_ids:  # a boolean lookup table over ids: one vectorised gather per batch
        mask = np.zeros(max(tok.fragment_ids) + 1, dtype=bool)
        mask[np.fromiter(tok.fragment_ids, dtype=np.int64)] = True
    fragments = 0
    for s in range(0, len(lines), batch):
        ids = tok.encode_batch(list(lines[s:s + batch]))
        lens = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        per_line[s:s + len(ids)] = lens
        if mask is not None:
            flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lens.sum()))
            flat = flat[flat < len(mask)]
            fragments += int(mask[flat].sum())
    return LangStats(int(per_line.sum()), len(lines), sum(len(t.encode("utf-8")) for t in lines),
                     sum(len(t.split()) for t in lines), fragments, per_line)


def bootstrap_ratio(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> tuple[float, float]:
    """95% percentile interval of sum(num)/sum(den) over line resamples (rows of idx)."""
    d = den[idx].sum(axis=1)
    r = num[idx].sum(axis=1) / np.where(d == 0, np.nan, d)
    lo, hi = np.nanpercentile(r, [2.5, 97.5])
    return float(lo), float(hi)


def tax(par: Parallel, tokenizers: Sequence, ref: str, languages: Sequence[str], price: float | None = None,
        seed: int = 0, progress: Callable[[str], None] | None = None, ref_tokenizer=None) -> dict:
    """The full tax result as plain data (JSON-ready).

    By default each tokenizer's premium divides by its own count of the reference text (Petrov et
    al.). `ref_tokenizer` fixes one tokenizer for the reference instead: needed to compare a local,
    monolingual tokenizer (which tokenizes English badly, flattering its premium) with borrowed ones.
    """
    n = par.n
    if n == 0:
        raise LughaError("the parallel data has no lines", next(iter(par.sources.values()), None))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(BOOTSTRAP, n))
    codes = [ref, *languages]
    premium: dict[str, dict[str, float]] = {}
    premium_ci: dict[str, dict[str, list[float]]] = {}
    totals: dict[str, dict[str, int]] = {}
    rows: list[dict] = []
    backends: dict[str, str] = {}
    model_hashes: dict[str, str] = {}
    fixed_ref = None
    if ref_tokenizer is not None:
        backends[f"ref:{ref_tokenizer.spec}"] = ref_tokenizer.backend
        fixed_ref = count(ref_tokenizer, par.lines[ref])
    for tok in tokenizers:
        backends[tok.spec] = tok.backend
        if tok.model_hash:
            model_hashes[tok.spec] = tok.model_hash
        stats = {}
        for c in codes:
            if progress:
                progress(f"{tok.spec} {c}")
            stats[c] = count(tok, par.lines[c])
        ref_st = fixed_ref or stats[ref]
        premium[tok.spec], premium_ci[tok.spec], totals[tok.spec] = {}, {}, {}
        for c in codes:
            st = stats[c]
            prem = st.tokens / ref_st.tokens if ref_st.tokens else float("nan")
            lo, hi = (1.0, 1.0) if (c == ref and fixed_ref is None) else bootstrap_ratio(st.per_line, ref_st.per_line, idx)
            premium[tok.spec][c] = prem
            premium_ci[tok.spec][c] = [lo, hi]
            totals[tok.spec][c] = st.tokens
            per_line = st.tokens / n
            row = {
                "tokenizer": tok.spec, "lang": c, "name": langs.display_name(c), **st.as_dict(),
                "tokens_per_line": per_line, "premium": prem, "premium_low": lo, "premium_high": hi,
                "bytes_per_token": st.bytes / st.tokens if st.tokens else float("nan"),
                "fragment_share": st.fragments / st.tokens if st.tokens else 0.0,
                "fertility": st.tokens / st.words if st.words else float("nan"),
                # sentences of the parallel content that fit in a context window of this size
                "fits": {str(k): (k / per_line if per_line else float("inf")) for k in CONTEXTS},
            }
            if price is not None:
                row["cost_per_1k_lines"] = per_line * 1000 * price / 1e6
            rows.append(row)
    used = {par.sources[c].split("#")[0] for c in codes}
    sig = Signature.build("tax", {f: h for f, h in par.hashes.items() if f in used}, backends=backends, params={
        "ref": ref, "languages": ",".join(languages), "lines": n, "price": price,
        "ref_tokenizer": ref_tokenizer.spec if ref_tokenizer is not None else None,
        "tokenizers": [t.spec for t in tokenizers], "seed": seed, "vocab": model_hashes})
    return {
        "ref": ref, "ref_tokenizer": ref_tokenizer.spec if ref_tokenizer is not None else None,
        "languages": list(languages), "lines": n, "price_per_million": price,
        "premium": premium, "premium_ci": premium_ci, "tokens": totals, "rows": rows,
        "sources": {c: par.sources[c] for c in codes},
        "backends": backends, "model_hashes": model_hashes,
        "signature": sig.to_dict(),
    }


# ---- reports ----------------------------------------------------------------------------------

def _fit(v: float) -> str:
    return "∞" if v == float("inf") else f"{v:,.0f}"


def report(result: dict, signature=None, charts: bool = True):
    """The tax report as kit blocks (one structure for the Markdown and the HTML)."""
    from lugha.report import Chart, Code, Heading, Muted, Paragraph, Report, Table, BulletList, bar_chart

    specs = list(result["premium"])
    ref = result["ref"]
    how = (f"tokens in {ref} counted by {result['ref_tokenizer']} for every tokenizer"
           if result.get("ref_tokenizer") else f"tokens in {ref} by the same tokenizer")
    b: list = [Paragraph(f"{result['lines']:,} aligned lines. Premium = total tokens in the language / total {how}, "
                         "over the same lines (ratio of totals, as Petrov et al. 2023); brackets and error bars are "
                         "95% bootstrap intervals over lines.")]
    prem = []
    for c in result["languages"]:
        cells = [f"{langs.display_name(c)} ({c})"]
        for s in specs:
            lo, hi = result["premium_ci"][s][c]
            cells.append([f"{result['premium'][s][c]:.2f} ", Muted(f"[{lo:.2f}–{hi:.2f}]")])
        prem.append(cells)
    b += [Heading("Premium by tokenizer and language"), Table(["language", *specs], prem, num=range(1, len(specs) + 1))]
    if charts:
        b.append(Heading("Charts", only="html"))
        for s in specs:
            b.append(Chart(bar_chart([f"{langs.display_name(c)} ({c})" for c in result["languages"]],
                                     [result["premium"][s][c] for c in result["languages"]],
                                     title=f"{s}: premium vs {ref}", xlabel=f"tokens relative to {ref}",
                                     errors=[tuple(result["premium_ci"][s][c]) for c in result["languages"]])))
    det_head = ["tokenizer", "lang", "tokens", "tokens/line", "premium", "bytes/token", "byte-fallback/unk",
                "tokens/word", *(f"lines in {k // 1024}k ({k} tokens)" for k in CONTEXTS)]
    if result["price_per_million"] is not None:
        det_head.append("cost per 1k lines")
    det = []
    for r in result["rows"]:
        cells = [r["tokenizer"], r["lang"], r["tokens"], f"{r['tokens_per_line']:.1f}", f"{r['premium']:.2f}",
                 f"{r['bytes_per_token']:.2f}", f"{100 * r['fragment_share']:.1f}%", f"{r['fertility']:.2f}",
                 *(_fit(r["fits"][str(k)]) for k in CONTEXTS)]
        if result["price_per_million"] is not None:
            cells.append(f"{r['cost_per_1k_lines']:.4f}")
        det.append(cells)
    b += [Heading("Details"), Table(det_head, det, num=range(2, len(det_head))),
          Heading("Inputs"), BulletList([[Code(c), ": ", Code(src)] for c, src in result["sources"].items()])]
    return Report(f"Tokenization tax vs {langs.display_name(ref)} ({ref})", b,
                  subtitle=f"reference: {ref}, {result['lines']:,} lines", signature=signature)


def markdown(result: dict, signature) -> str:
    return report(result, signature, charts=False).markdown()


def html(result: dict, signature) -> str:
    return report(result, signature).html()
