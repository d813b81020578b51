"""`ngram:PATH` backend: the KneserNeyLM behind the common model interface."""

from __future__ import annotations

import math
import random
from pathlib import Path

from lugha.errors import LughaError
from lugha.models.ngram import EOS, UNK, KneserNeyLM


class NgramModel:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.spec = f"ngram:{path}"
        if not self.path.is_file():
            raise LughaError("no such n-gram model file", path=path)
        self.lm = KneserNeyLM.load(self.path)

    def loglik(self, texts: list[str], context: int | None = None,
               stride: int | None = None) -> list[tuple[float, int]]:
        # The n-gram's context is its order; context/stride do not apply.
        return [(self.lm.text_logprob(t), len(t.encode("utf-8"))) for t in texts]

    def loglik_split(self, texts: list[str], starts: list[int] | None, context: int | None = None,
                     stride: int | None = None) -> tuple[list[tuple[float, int]], list[tuple[float, int]] | None]:
        """(whole text, part from character ``starts[i]`` on): the part is exactly
        log P(text[start:] | text[:start]), the characters after the split given all before."""
        full, part = [], []
        for i, t in enumerate(texts):
            chars = self.lm.char_logprobs(t)
            full.append((sum(chars), len(t.encode("utf-8"))))
            if starts is not None:
                part.append((sum(chars[starts[i]:]), len(t[starts[i]:].encode("utf-8"))))
        return full, (part if starts is not None else None)

    def generate(self, prompts: list[str], max_new_tokens: int = 64, temperature: float = 0.0,
                 seed: int = 0) -> list[str]:
        """Characters, one at a time (max_new_tokens counts characters); stops at EOS."""
        rng = random.Random(seed)
        symbols = [s for s in self.lm.vocab if s != UNK]
        out = []
        for prompt in prompts:
            text = prompt
            new = []
            for _ in range(max_new_tokens):
                hist = text[-(self.lm.order - 1):] if self.lm.order > 1 else ""
                probs = [self.lm.prob(hist, s) for s in symbols]
                if temperature <= 0:
                    ch = symbols[max(range(len(symbols)), key=probs.__getitem__)]
                else:
                    weights = [math.exp(math.log(p) / temperature) for p in probs]
                    ch = rng.choices(symbols, weights=weights)[0]
                if ch == EOS:
                    break
                new.append(ch)
                text += ch
            out.append("".join(new))
        return out

    def signature(self) -> dict:
        from lugha.records import sha256_file

        return {
            "backend": "ngram-kn",
            "order": self.lm.order,
            "model_sha256": sha256_file(self.path),
            "size_bytes": self.path.stat().st_size,
            "n_params": len(self.lm.ngram_counts),
        }
