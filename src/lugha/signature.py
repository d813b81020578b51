"""One signature for every result: what produced these figures.

A `Signature` names the lugha version, the task, the SHA-256 of every input file (under one key,
`inputs`), the parameters, the backends with their versions and the model's hash. Two runs with equal
signatures must give equal figures. It is built by the library function that computes the result
(never in a CLI) and stored as the `signature` block of the JSON result (`to_dict()`); a report
prints it compactly in sacrebleu's style with `format()`:

    lugha:0.1.0|task:audit|lid:pycld2-0.42+heliport-1.0.1|lang:tir|config:1f3a9c0d2b4e|inputs:3@9a0c1d2e3f4a

The short form cuts every SHA-256 to 12 hex digits and folds the per-file input hashes into one digest
with the file count; `format(short=False)` keeps the full digests.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping

from lugha import __version__
from lugha.records import json_default

UNKNOWN = "unknown"  # the one fallback for a version that cannot be found
SHORT = 12  # hex digits of a hash in the short form
_HEX64 = re.compile(r"[0-9a-f]{64}")
# keys of signatures written before the spine (issue 16), read by `from_dict` so old results still compare
_OLD_INPUT_KEYS = ("inputs", "text_sha256", "test_sha256", "train_sha256", "hyp_sha256", "ref_sha256",
                   "prompts_sha256", "generations_sha256")
_OLD_MODEL_KEYS = ("model_sha256", "model_hash")


def package_version(dist: str) -> str:
    """The installed version of a distribution, or UNKNOWN ("unknown")."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return UNKNOWN


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: equal values give equal bytes."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=json_default)


def digest(obj: Any) -> str:
    """SHA-256 (hex) of a JSON-able value in canonical form: a configuration's or a rule set's hash."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def inputs_digest(inputs: Mapping[str, str]) -> str:
    """One SHA-256 over the inputs' contents (their hashes, in sorted order), independent of the paths:
    the same files under other names give the same digest."""
    return hashlib.sha256("\n".join(sorted(inputs.values())).encode()).hexdigest()


@dataclass
class Signature:
    task: str
    inputs: dict[str, str] = field(default_factory=dict)  # path as given -> SHA-256 of the file
    params: dict[str, Any] = field(default_factory=dict)  # every setting that changes a figure
    backends: dict[str, Any] = field(default_factory=dict)  # role -> "name-version", or {name: version}
    model: str | None = None  # SHA-256 of the model file(s), where a model is involved
    lugha: str = __version__

    # ---- building ----------------------------------------------------------------------------
    @classmethod
    def build(cls, task: str, files: Iterable[str | Path] | Mapping[str, str] = (), *,
              params: Mapping[str, Any] | None = None, backends: Mapping[str, Any] | None = None,
              model: str | None = None, model_info: Mapping[str, Any] | None = None) -> "Signature":
        """A signature over input files (hashed here, once per file and content) or a ready
        {path: sha256} map. `model_info` is a model's own `signature()` dict (lugha.models, LID
        models): its `backend` goes to backends["backend"], its `model_sha256` to `model`, the rest
        (order, size, parameter count) to the parameters."""
        if isinstance(files, Mapping):
            inputs = {str(k): str(v) for k, v in files.items()}
        else:
            from lugha.records import sha256_file

            inputs = {str(p): sha256_file(p) for p in files}
        params = dict(params or {})
        backends = dict(backends or {})
        if model_info:
            info = dict(model_info)
            if info.get("backend"):
                backends["backend"] = info.pop("backend")
            model = model or info.pop("model_sha256", None)
            info.pop("model_sha256", None)
            params.update({k: v for k, v in info.items() if k not in params})
        return cls(task, inputs, params, backends, model)

    # ---- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d: dict[str, Any] = {"lugha": self.lugha, "task": self.task, "inputs": dict(self.inputs),
                             "params": dict(self.params), "backends": dict(self.backends)}
        if self.model is not None:
            d["model"] = self.model
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | "Signature" | None) -> "Signature":
        """Reads this layout, and the flat dicts lugha wrote before it (`text_sha256`, `hyp_sha256`,
        `model_sha256`, `lid` ... at the top level): inputs, model and `lid` go to their places, every
        other key becomes a parameter."""
        if isinstance(d, Signature):
            return d
        d = dict(d or {})
        if {"task", "inputs", "params", "backends"} <= d.keys() and isinstance(d.get("params"), dict):
            return cls(str(d["task"]), dict(d["inputs"] or {}), dict(d["params"]), dict(d["backends"] or {}),
                       d.get("model"), str(d.get("lugha", UNKNOWN)))
        lugha = str(d.pop("lugha", UNKNOWN))
        if isinstance(d.get("params"), dict):
            d = {**d.pop("params"), **d}
        task = str(d.pop("task", d.pop("kind", "")))
        inputs: dict[str, str] = {}
        for k in _OLD_INPUT_KEYS:
            v = d.pop(k, None)
            if isinstance(v, dict):
                inputs.update({str(a): str(b) for a, b in v.items()})
            elif isinstance(v, str):
                inputs[k.removesuffix("_sha256")] = v
        model = next((str(d.pop(k)) for k in _OLD_MODEL_KEYS if d.get(k)), None)
        for k in _OLD_MODEL_KEYS:
            d.pop(k, None)
        backends = {}
        for k in ("lid", "backend", "backends"):
            if k in d:
                v = d.pop(k)
                if k == "backends" and isinstance(v, dict):
                    backends.update(v)
                else:
                    backends[k] = v
        return cls(task, inputs, d, backends, model, lugha)

    # ---- one line ----------------------------------------------------------------------------
    def format(self, short: bool = True) -> str:
        """sacrebleu-style `key:value|key:value`: lugha version, task, backends, parameters, model,
        inputs. Nested values print as `a-1+b-2`; a dict or list parameter prints as its digest."""
        parts = [f"lugha:{self.lugha}"]
        if self.task:
            parts.append(f"task:{self.task}")
        for k, v in self.backends.items():
            if v not in (None, "", {}):
                parts.append(f"{k}:{_value(v, short, backend=True)}")
        for k, v in self.params.items():
            if v is not None:
                parts.append(f"{k}:{_value(v, short)}")
        if self.model:
            parts.append(f"model_sha256:{_cut(self.model, short)}")
        if self.inputs:
            parts.append(f"inputs:{len(self.inputs)}@{_cut(inputs_digest(self.inputs), short)}")
        return "|".join(parts)

    def __str__(self) -> str:
        return self.format(short=True)


def _cut(h: str, short: bool) -> str:
    return h[:SHORT] if short and _HEX64.fullmatch(h) else h


def _value(v: Any, short: bool, backend: bool = False) -> str:
    if isinstance(v, dict):
        if backend and all(not isinstance(x, (dict, list)) for x in v.values()):
            return "+".join(f"{a}-{b}" if b not in (None, "") else str(a) for a, b in v.items())
        return _cut(digest(v), short)
    if isinstance(v, (list, tuple)):
        if all(not isinstance(x, (dict, list, tuple)) for x in v):
            return "+".join(_esc(str(x)) for x in v)
        return _cut(digest(list(v)), short)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return _esc(_cut(str(v), short))


def _esc(s: str) -> str:
    return s.replace("|", "/").replace("\n", " ")


def format_signature(sig: Mapping[str, Any] | Signature | None, short: bool = True) -> str:
    """The one-line form of a signature block as stored in any lugha JSON result, old or new."""
    return Signature.from_dict(sig).format(short=short)
