"""lugha's own character n-gram language model with interpolated Kneser-Ney smoothing.

The local baseline every borrowed model is compared with: trains in seconds on a few MB, runs
anywhere. Conventions (Chen & Goodman 1998, interpolated KN with one discount per order):

- each line is a document, padded on the left with ``order-1`` BOS symbols and closed by EOS;
- the highest order uses raw counts, lower orders use continuation counts N1+(. h w);
- the lowest order interpolates with a uniform distribution over the vocabulary: every character
  seen in training, EOS and one UNK symbol. An unseen character costs P(UNK) * 256^-bytes (a
  byte-level spell-out), so probabilities over all strings stay normalised and unseen text is
  never free.

When scoring text for bits per byte we score the characters only, not EOS, so the figure is
comparable with a transformer scoring the same string (which scores no end-of-text either).
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from pathlib import Path
from typing import Iterable

from lugha.errors import LughaError

BOS = "\x02"
EOS = "\x03"
UNK = "\x00"  # a NUL never reaches us from text (the readers reject it)
FORMAT = "lugha-ngram-kn/1"


class KneserNeyLM:
    def __init__(self, order: int, ngram_counts: dict[str, int]):
        if order < 1:
            raise LughaError(f"--order must be >= 1, got {order}")
        self.order = order
        self.ngram_counts = ngram_counts  # raw counts of the highest order, on padded lines
        # counts[k]: k-gram -> count used at order k (raw at the top, continuation below)
        self.counts: list[dict[str, int]] = [dict() for _ in range(order + 1)]
        self.counts[order] = dict(ngram_counts)
        for k in range(order - 1, 0, -1):
            cont: Counter = Counter()
            for g in self.counts[k + 1]:
                cont[g[1:]] += 1
            self.counts[k] = dict(cont)
        # context stats per order: h -> (sum of counts of h*, number of distinct w after h)
        self.ctx: list[dict[str, tuple[int, int]]] = [dict() for _ in range(order + 1)]
        self.discount = [0.0] * (order + 1)
        for k in range(1, order + 1):
            tot: Counter = Counter()
            types: Counter = Counter()
            coc = Counter()
            for g, c in self.counts[k].items():
                tot[g[:-1]] += c
                types[g[:-1]] += 1
                if c <= 2:
                    coc[c] += 1
            self.ctx[k] = {h: (tot[h], types[h]) for h in tot}
            n1, n2 = coc[1], coc[2]
            # Ney's estimate D = n1 / (n1 + 2 n2), kept inside (0, 1)
            self.discount[k] = min(max(n1 / (n1 + 2 * n2), 0.05), 0.95) if n1 + n2 else 0.5
        chars = {g[-1] for g in self.counts[1]}
        chars.discard(BOS)
        self.vocab = sorted(chars | {EOS, UNK})
        self._known = set(self.vocab) - {UNK}

    # ---- training -----------------------------------------------------------------------------

    @classmethod
    def train(cls, lines: Iterable[str], order: int = 6) -> "KneserNeyLM":
        counts: Counter = Counter()
        pad = BOS * (order - 1)
        for line in lines:
            if not line:
                continue
            s = pad + line + EOS
            counts.update(s[i - order:i] for i in range(order, len(s) + 1))
        if not counts:
            raise LughaError("training corpus has no text")
        return cls(order, dict(counts))

    # ---- probabilities ------------------------------------------------------------------------

    def prob(self, history: str, w: str) -> float:
        """P(w | history) for a vocabulary symbol w (UNK stands for every unseen character)."""
        if w not in self._known:
            w = UNK
        p = 1.0 / len(self.vocab)
        n = self.order
        history = (BOS * (n - 1) + history)[-(n - 1):] if n > 1 else ""
        for k in range(1, n + 1):
            h = history[len(history) - (k - 1):] if k > 1 else ""
            st = self.ctx[k].get(h)
            if st is None:
                continue  # unseen context: this order passes the lower order through unchanged
            total, types = st
            d = self.discount[k]
            c = self.counts[k].get(h + w, 0)
            p = max(c - d, 0.0) / total + d * types / total * p
        return p

    def char_logprob(self, history: str, ch: str) -> float:
        """Natural-log probability of one character, UNK spelled out as bytes."""
        p = self.prob(history, ch)
        lp = math.log(p)
        if ch not in self._known:
            lp -= len(ch.encode("utf-8")) * math.log(256)
        return lp

    def char_logprobs(self, text: str) -> list[float]:
        """Natural-log probability of each character of ``text`` given the ones before it."""
        n = self.order
        s = BOS * (n - 1) + text
        return [self.char_logprob(s[i:i + n - 1], ch) for i, ch in enumerate(text)]

    def text_logprob(self, text: str, include_eos: bool = False) -> float:
        n = self.order
        s = BOS * (n - 1) + text
        total = sum(self.char_logprobs(text))
        if include_eos:
            total += math.log(self.prob(s[len(s) - (n - 1):] if n > 1 else "", EOS))
        return total

    # ---- files --------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"format": FORMAT, "order": self.order, "counts": self.ngram_counts}
        tmp = path.with_name(path.name + ".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "KneserNeyLM":
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            raise LughaError("no such n-gram model file", path=path) from None
        except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise LughaError(f"not a lugha n-gram model (expected gzipped JSON): {e}", path=path) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise LughaError(f"not a lugha n-gram model (format is not {FORMAT})", path=path)
        return cls(int(doc["order"]), {str(k): int(v) for k, v in doc["counts"].items()})
