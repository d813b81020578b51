"""One model interface for every backend.

``load_model("hf:PATH" | "gguf:PATH" | "ngram:PATH" | "lora:DIR" | NAME)`` returns an object with

- ``loglik(texts, context=None, stride=None) -> list[(nats, utf8_bytes)]``: the natural-log
  likelihood of each whole text (rolling windows for long texts) and its UTF-8 byte count;
- ``generate(prompts, max_new_tokens, temperature=0, seed=0) -> list[str]``;
- ``signature() -> dict``: backend, versions, model file hash, size in bytes, parameter count.

NAME is an embedded borrowed model shipped by a PyPI package (`gemma3-270m`, `smollm2-135m`;
lugha.models.embedded); `lora:DIR` is a base model + a LoRA adapter from `lugha train lora`.
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
    backend: str  # hf | gguf | ngram | lora | embedded
    path: str  # for embedded: the model's short name

    def __str__(self) -> str:
        return self.path if self.backend == "embedded" else f"{self.backend}:{self.path}"


BACKENDS = ("hf", "gguf", "ngram", "lora")


def parse_spec(spec: str) -> ModelSpec:
    from lugha.models.embedded import EMBEDDED

    if spec in EMBEDDED:
        return ModelSpec("embedded", spec)
    backend, sep, path = spec.partition(":")
    if not sep or backend not in BACKENDS or not path:
        raise LughaError(f"model spec {spec!r} is not BACKEND:PATH with BACKEND one of {', '.join(BACKENDS)}, "
                         f"nor an embedded model ({', '.join(EMBEDDED)})")
    return ModelSpec(backend, path)


def load_model(spec: str, device: str | None = None) -> LanguageModel:
    s = parse_spec(spec)
    if s.backend == "ngram":
        from lugha.models.ngram_backend import NgramModel

        return NgramModel(s.path)
    if s.backend == "lora":
        from lugha.models.lora import LoraModel

        return LoraModel(s.path, device=device)
    from lugha.models.transformer import TransformerModel

    if s.backend == "embedded":
        from lugha.models.embedded import embedded_path

        m = TransformerModel("gguf", str(embedded_path(s.path)), device=device)
        m.spec = s.path  # results name the model, not where pip put it; the signature has its hash
        return m
    return TransformerModel(s.backend, s.path, device=device)
