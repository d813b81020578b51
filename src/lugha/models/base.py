"""One model interface for every backend.

``load_model("hf:PATH" | "gguf:PATH" | "ngram:PATH")`` returns an object with

- ``loglik(texts, context=None, stride=None) -> list[(nats, utf8_bytes)]``: the natural-log
  likelihood of each whole text (rolling windows for long texts) and its UTF-8 byte count;
- ``generate(prompts, max_new_tokens, temperature=0, seed=0) -> list[str]``;
- ``signature() -> dict``: backend, versions, model file hash, size in bytes, parameter count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lugha.errors import LughaError


class LanguageModel(Protocol):
    spec: str

    def loglik(self, texts: list[str], context: int | None = None,
               stride: int | None = None) -> list[tuple[float, int]]: ...

    def generate(self, prompts: list[str], max_new_tokens: int = 64, temperature: float = 0.0,
                 seed: int = 0) -> list[str]: ...

    def signature(self) -> dict: ...


@dataclass
class ModelSpec:
    backend: str  # hf | gguf | ngram
    path: str

    def __str__(self) -> str:
        return f"{self.backend}:{self.path}"


BACKENDS = ("hf", "gguf", "ngram")


def parse_spec(spec: str) -> ModelSpec:
    backend, sep, path = spec.partition(":")
    if not sep or backend not in BACKENDS or not path:
        raise LughaError(f"model spec {spec!r} is not BACKEND:PATH with BACKEND one of {', '.join(BACKENDS)}")
    return ModelSpec(backend, path)


def load_model(spec: str, device: str | None = None) -> LanguageModel:
    s = parse_spec(spec)
    if s.backend == "ngram":
        from lugha.models.ngram_backend import NgramModel

        return NgramModel(s.path)
    from lugha.models.transformer import TransformerModel

    return TransformerModel(s.backend, s.path, device=device)
