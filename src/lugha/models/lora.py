"""`lora:DIR`: a base model + a LoRA adapter written by `lugha train lora`.

DIR holds peft's ``adapter_config.json`` and ``adapter_model.safetensors`` and lugha's
``lugha_lora.json``, which names the base *without an absolute path*: an embedded model by its short
name (`smollm2-135m`, found wherever pip put it), any other base by its path relative to DIR, and
always with the SHA-256 of the base file(s). Loading checks that hash, so an adapter is never
silently applied to another model; the folder can move as long as the base is where the relative
path says (an embedded base: anywhere).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from lugha.errors import LughaError
from lugha.models.transformer import TransformerModel

META = "lugha_lora.json"
FORMAT = "lugha-lora/1"


def base_record(spec: str, out_dir: Path, sha256: str, vocab_rows: int) -> dict:
    """How lugha_lora.json names the base: embedded short name, or a path relative to out_dir."""
    from lugha.models.base import parse_spec

    s = parse_spec(spec)
    rec: dict = {"sha256": sha256, "embedding_rows": vocab_rows}
    if s.backend == "embedded":
        rec["embedded"] = s.path
    elif s.backend == "hf" and not Path(s.path).exists():
        rec["backend"], rec["hub"] = "hf", s.path  # a hub name, identified by its commit hash
    else:
        p = Path(s.path).expanduser().resolve()
        rec["backend"] = s.backend
        rec["path"] = os.path.relpath(p, out_dir.resolve())
        rec["name"] = p.name
    return rec


def base_spec_of(d: Path, rec: dict) -> str:
    """The model spec that loads the base recorded in ``rec`` for the adapter folder ``d``."""
    if "embedded" in rec:
        return rec["embedded"]
    if "hub" in rec:
        return f"hf:{rec['hub']}"
    p = (d / rec["path"]).resolve()
    if not p.exists():
        raise LughaError(f"the LoRA's base model is not at {rec['path']} (relative to the adapter folder; "
                         f"sha256 {rec['sha256'][:12]}): put {rec['name']} there", path=d)
    return f"{rec['backend']}:{p}"


def read_meta(d: Path) -> dict:
    f = d / META
    if not d.is_dir():
        raise LughaError("no such LoRA adapter folder", path=d)
    if not f.is_file():
        raise LughaError(f"not a lugha LoRA folder (no {META}; `lugha train lora` writes it)", path=d)
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LughaError(f"unreadable {META}: {e}", path=d) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("base"), dict):
        raise LughaError(f"{META} is not a {FORMAT} record", path=d)
    return meta


def adapter_files(d: Path) -> list[Path]:
    return [d / "adapter_config.json", d / "adapter_model.safetensors"]


def check_vocabulary(tokenizer, model, where: str | Path | None = None) -> int:
    """The tokenizer must not produce ids the model has no embedding row for. Returns the rows."""
    rows = int(model.get_input_embeddings().weight.shape[0])
    n = len(tokenizer)
    if n > rows:
        raise LughaError(f"the tokenizer's vocabulary ({n:,} tokens) does not match the model's "
                         f"embedding ({rows:,} rows): ids past {rows - 1:,} have no embedding", path=where)
    return rows


class LoraModel(TransformerModel):
    """A TransformerModel whose model is peft's PeftModel (base + unmerged adapter)."""

    def __init__(self, path: str, device: str | None = None):
        from lugha.models.base import load_model
        from lugha.records import sha256_files as hash_files

        d = Path(path)
        meta = read_meta(d)
        rec = meta["base"]
        for f in adapter_files(d):
            if not f.is_file():
                raise LughaError(f"LoRA folder has no {f.name}", path=d)
        spec = base_spec_of(d, rec)
        base = load_model(spec, device=device)
        if not isinstance(base, TransformerModel):
            raise LughaError(f"the LoRA's base {spec} is not a transformer model", path=d)
        base_sha = hash_files(base.files) if base.files else f"hub:{getattr(base.model.config, '_commit_hash', None)}"
        if base_sha != rec["sha256"]:
            raise LughaError(f"the base model at {spec} has sha256 {base_sha[:12]}, but the adapter was trained on "
                             f"{rec['sha256'][:12]}: not the same model", path=d)
        check_vocabulary(base.tokenizer, base.model, where=d)
        rows = int(base.model.get_input_embeddings().weight.shape[0])
        if rec.get("embedding_rows") not in (None, rows):
            raise LughaError(f"the adapter was trained on a model with {rec['embedding_rows']:,} embedding rows, "
                             f"the base has {rows:,}", path=d)
        self.__dict__.update(base.__dict__)
        from peft import PeftModel

        try:
            self.model = PeftModel.from_pretrained(base.model, str(d), is_trainable=False)
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise LughaError(f"cannot load the LoRA adapter: {msg}", path=d) from None
        self.model.to(self.device).eval()
        self.backend = "lora"
        self.spec = f"lora:{path}"
        self.path = d
        self.base_spec = spec
        self.base_record = rec
        self.base_sha256 = base_sha
        self.meta = meta
        self.adapter = adapter_files(d)

    def signature(self) -> dict:
        import peft

        from lugha.records import sha256_files as hash_files

        sig = super().signature()  # the base's files, hash, size; n_params counts base + adapter
        adapter_sha = hash_files(self.adapter)
        sig.update(
            backend=sig["backend"] + f"+peft-{peft.__version__}",
            base=rec_name(self.base_record), base_sha256=self.base_sha256, adapter_sha256=adapter_sha,
            model_sha256=hashlib.sha256(f"{self.base_sha256}+{adapter_sha}".encode()).hexdigest(),
            size_bytes=sig["size_bytes"] + sum(p.stat().st_size for p in self.adapter),
            lora_rank=self.meta.get("rank"),
            trainable_params=self.meta.get("trainable_params"),
        )
        return sig


def rec_name(rec: dict) -> str:
    return rec.get("embedded") or rec.get("hub") or f"{rec['backend']}:{rec['name']}"
