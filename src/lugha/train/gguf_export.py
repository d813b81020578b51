"""GGUF export of a LLaMA-architecture Hugging Face folder (what `lugha train lm` writes, and
`lugha train lora --merge`'s DIR/merged for a LLaMA base such as SmolLM2), so the model runs in
llama.cpp, Ollama or LM Studio on a laptop.

llama.cpp's own converter (convert_hf_to_gguf.py) is not on PyPI; this module writes the same file
with the `gguf` package (gguf-py, which llama.cpp maintains) for the one architecture lugha trains:

- metadata under llama.cpp's keys (``llama.context_length``, ``embedding_length``, ``block_count``,
  ``feed_forward_length``, ``attention.head_count``/``head_count_kv``, ``rope.dimension_count``,
  ``rope.freq_base``, ``attention.layer_norm_rms_epsilon``, ``vocab_size``, ``general.file_type``);
- tensor names from gguf's ``TensorNameMap`` for ``MODEL_ARCH.LLAMA``; tied embeddings are written
  once as ``token_embd.weight`` with no ``output.weight`` (llama.cpp then uses the embedding as the
  output layer, and transformers' GGUF loader sets ``tie_word_embeddings``);
- ``q_proj``/``k_proj`` rows permuted from HF's rotary layout (two halves) to GGML's (interleaved
  pairs), as ``LlamaModel.permute`` in convert_hf_to_gguf.py does (transformers' GGUF loader,
  ``LlamaTensorProcessor._reverse_permute_weights``, undoes exactly this; K uses the kv-head count);
- the byte-level BPE tokenizer from tokenizer.json as ``tokenizer.ggml.model = "gpt2"``: tokens in
  id order, token types (special added tokens CONTROL, other added tokens USER_DEFINED, rows of the
  embedding past the tokenizer UNUSED ``[PADn]``), merges in rank order, BOS/EOS/pad ids, and the
  pre-tokenizer name llama.cpp knows (``gpt-2`` for lugha's ByteLevel tokenizer);
- ``f16``: 2-D weights in float16, norms in float32; ``q8_0``: 2-D weights in Q8_0 (blocks of 32
  int8 with a float16 scale), a tensor whose rows are not a multiple of 32 falls back to f16 (as
  llama.cpp's converter does), norms in float32.

The file is written next to its final path and checked before it is renamed onto it: it is reloaded
with transformers (``gguf:FILE``, lugha's own backend), the bits/byte of held-out documents is
computed with lugha's scoring and compared with the HF folder's, and the token ids of those
documents under the GGUF's tokenizer are compared with the folder's. A file that fails the check is
deleted and the export raises a one-line error with the figures.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Sequence

from lugha.errors import LughaError

DTYPES = ("f16", "q8_0")

# |gguf bpb - hf bpb| allowed by the check. Measured on a micro model (2 x 64) trained 300 steps on
# Somali news (docs/train.md): f16 differs by 3e-6 and q8_0 by 5e-5 bits/byte; the bounds leave
# headroom for larger models, and a layout error fails them (without the Q/K permutation the same
# model is off by +0.021, reversed merges by > 1).
TOLERANCE = {"f16": 1e-3, "q8_0": 5e-3}

# the folder's files that make the model (not training.json, which the export itself updates)
MODEL_JSON = ("config.json", "generation_config.json", "model.safetensors.index.json", "tokenizer.json",
              "tokenizer_config.json", "special_tokens_map.json")

# bytes of held-out text scored twice by the check (whole documents, at least one)
CHECK_BYTES = 16_000


def _gguf():
    try:
        import gguf
    except ModuleNotFoundError:
        raise LughaError("GGUF export needs the gguf package: pip install 'lugha[models]'") from None
    return gguf


def _read_config(hf_dir: Path) -> dict:
    if not hf_dir.is_dir():
        raise LughaError("no such model folder", path=hf_dir)
    cfg_path = hf_dir / "config.json"
    if not cfg_path.is_file():
        raise LughaError("not a Hugging Face model folder: it has no config.json", path=hf_dir)
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise LughaError(f"config.json is not valid JSON: {e}", path=cfg_path) from None
    if not isinstance(cfg, dict):
        raise LughaError("config.json is not a JSON object", path=cfg_path)
    arch = cfg.get("model_type")
    if arch != "llama":
        names = ", ".join(cfg.get("architectures") or []) or "no architectures listed"
        raise LughaError(f"GGUF export supports the llama architecture (LlamaForCausalLM) only; this model is "
                         f"{arch!r} ({names})", path=cfg_path)
    return cfg


def _rope_theta(cfg: dict, cfg_path: Path) -> float:
    rp = cfg.get("rope_parameters") or {}
    rs = cfg.get("rope_scaling") or {}
    kind = rp.get("rope_type") or rs.get("rope_type") or rs.get("type") or "default"
    if kind != "default":
        raise LughaError(f"GGUF export: rope scaling {kind!r} is not supported (only plain RoPE)", path=cfg_path)
    return float(rp.get("rope_theta") or cfg.get("rope_theta") or 10000.0)


def _pre_tokenizer_name(tj: dict, path: Path) -> str:
    """llama.cpp's name (``tokenizer.ggml.pre``) for the tokenizer.json's pre-tokenizer."""
    pre = tj.get("pre_tokenizer") or {}
    kind = pre.get("type")
    if kind == "ByteLevel" and pre.get("use_regex", True) and not pre.get("add_prefix_space", False):
        return "gpt-2"
    if kind == "Sequence":
        steps = pre.get("pretokenizers") or []
        types = [s.get("type") for s in steps]
        # SmolLM2: single digits, then GPT-2's byte-level split (llama.cpp's "smollm")
        if types == ["Digits", "ByteLevel"] and steps[0].get("individual_digits") and steps[1].get("use_regex", True):
            return "smollm"
        if types == ["Split", "ByteLevel"] and not steps[1].get("use_regex", True):
            from transformers.integrations.gguf.gguf_tokenizer_mapping import GGUF_PRE_TOKENIZER_SPLITS

            regex = (steps[0].get("pattern") or {}).get("Regex")
            for name, r in GGUF_PRE_TOKENIZER_SPLITS.items():
                if r == regex:
                    return name
    raise LughaError(f"GGUF export: the tokenizer's pre-tokenizer ({json.dumps(pre)[:80]}) has no llama.cpp "
                     "equivalent known to lugha (byte-level BPE with GPT-2's split is supported)", path=path)


def tokenizer_fields(hf_dir: Path, n_vocab: int) -> dict:
    """What the GGUF stores of the folder's tokenizer.json: tokens in id order, token types, merges,
    pre-tokenizer name, special ids, and the normalizer left out (llama.cpp has none for "gpt2")."""
    path = hf_dir / "tokenizer.json"
    if not path.is_file():
        raise LughaError("GGUF export needs the folder's tokenizer.json (a fast tokenizer)", path=hf_dir)
    tj = json.loads(path.read_text(encoding="utf-8"))
    model = tj.get("model") or {}
    if model.get("type") != "BPE":
        raise LughaError(f"GGUF export supports byte-level BPE tokenizers; this one is {model.get('type')!r}",
                         path=path)
    pre = _pre_tokenizer_name(tj, path)
    norm = tj.get("normalizer")
    norm_kind = (norm or {}).get("type")
    if norm_kind not in (None, "NFC"):
        raise LughaError(f"GGUF export: the tokenizer's normalizer {norm_kind!r} has no llama.cpp equivalent",
                         path=path)
    by_id: dict[int, str] = {int(i): t for t, i in model["vocab"].items()}
    types: dict[int, int] = {}
    from gguf import TokenType

    for a in tj.get("added_tokens") or []:
        by_id[int(a["id"])] = a["content"]
        types[int(a["id"])] = int(TokenType.CONTROL if a.get("special") else TokenType.USER_DEFINED)
    size = max(by_id) + 1
    if size > n_vocab:
        raise LughaError(f"the tokenizer has {size} tokens but the model's embedding has {n_vocab} rows", path=path)
    tokens, ttypes = [], []
    for i in range(n_vocab):  # llama.cpp's converter pads the vocabulary to the embedding the same way
        if i in by_id:
            tokens.append(by_id[i])
            ttypes.append(types.get(i, int(TokenType.NORMAL)))
        else:
            tokens.append(f"[PAD{i}]")
            ttypes.append(int(TokenType.UNUSED))
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or []]
    tc_path = hf_dir / "tokenizer_config.json"
    tc = json.loads(tc_path.read_text(encoding="utf-8")) if tc_path.is_file() else {}
    template = tc.get("chat_template")
    if template is None and (hf_dir / "chat_template.jinja").is_file():
        template = (hf_dir / "chat_template.jinja").read_text(encoding="utf-8")
    # add_bos: lugha trains and scores every document as BOS t1 ... tn (train lm, and LoRA on any base)
    return {"tokens": tokens, "token_types": ttypes, "merges": merges, "pre": pre,
            "normalizer_dropped": norm_kind, "add_bos": True, "chat_template": template,
            "added": sorted(types)}


def permute_qk(w, n_head: int, n_head_kv: int | None = None):
    """HF's rotary layout (first half / second half of each head) -> GGML's (adjacent pairs):
    convert_hf_to_gguf.py's ``LlamaModel.permute``."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def write_gguf(hf_dir: str | Path, out_file: str | Path, dtype: str = "f16") -> dict:
    """Write the GGUF (no check); returns what was written. Use ``export_gguf`` (checked)."""
    import numpy as np
    import torch

    gguf = _gguf()
    hf_dir, out_file = Path(hf_dir), Path(out_file)
    if dtype not in DTYPES:
        raise LughaError(f"--dtype {dtype!r}: use {' or '.join(DTYPES)}")
    cfg = _read_config(hf_dir)
    cfg_path = hf_dir / "config.json"
    for flag in ("attention_bias", "mlp_bias"):
        if cfg.get(flag):
            raise LughaError(f"GGUF export: {flag}=true is not supported", path=cfg_path)
    theta = _rope_theta(cfg, cfg_path)
    n_layer, n_embd = int(cfg["num_hidden_layers"]), int(cfg["hidden_size"])
    n_head = int(cfg["num_attention_heads"])
    n_head_kv = int(cfg.get("num_key_value_heads") or n_head)
    head_dim = int(cfg.get("head_dim") or n_embd // n_head)
    n_vocab = int(cfg["vocab_size"])
    tied = bool(cfg.get("tie_word_embeddings", False))

    from transformers import LlamaForCausalLM

    try:
        model = LlamaForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise LughaError(f"cannot load the model: {msg}", path=hf_dir) from None
    state = model.state_dict()
    tok = tokenizer_fields(hf_dir, n_vocab)

    qtype = gguf.GGMLQuantizationType.Q8_0 if dtype == "q8_0" else gguf.GGMLQuantizationType.F16
    ftype = gguf.LlamaFileType.MOSTLY_Q8_0 if dtype == "q8_0" else gguf.LlamaFileType.MOSTLY_F16
    w = gguf.GGUFWriter(out_file, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(hf_dir.resolve().name)
    w.add_context_length(int(cfg.get("max_position_embeddings") or 2048))
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(int(cfg["intermediate_size"]))
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_rope_dimension_count(head_dim)
    if head_dim != n_embd // n_head:
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    w.add_rope_freq_base(theta)
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-6)))
    w.add_vocab_size(n_vocab)
    w.add_file_type(int(ftype))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)

    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(tok["pre"])
    w.add_token_list(tok["tokens"])
    w.add_token_types(tok["token_types"])
    w.add_token_merges(tok["merges"])
    specials = {}
    for key, add in (("bos_token_id", w.add_bos_token_id), ("eos_token_id", w.add_eos_token_id),
                     ("pad_token_id", w.add_pad_token_id)):
        v = cfg.get(key)
        if isinstance(v, list):
            v = v[0] if v else None
        if v is not None:
            add(int(v))
            specials[key] = int(v)
    w.add_add_bos_token(tok["add_bos"])
    w.add_add_eos_token(False)
    if isinstance(tok["chat_template"], str):  # an instruct base's (SmolLM2-Instruct), for Ollama / LM Studio
        w.add_chat_template(tok["chat_template"])

    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layer)
    counts = {"F32": 0, "F16": 0, "Q8_0": 0}
    fallback = []
    n_tensors = 0
    for name, t in state.items():
        if name.endswith("rotary_emb.inv_freq"):
            continue
        if tied and name == "lm_head.weight":
            continue  # llama.cpp uses token_embd as the output layer when output.weight is absent
        base, _, suffix = name.rpartition(".")
        gname = name_map.get_name(base)
        if gname is None:
            raise LughaError(f"GGUF export: no llama.cpp name for tensor {name!r}", path=hf_dir)
        gname = f"{gname}.{suffix}"
        data = t.detach().to(torch.float32).numpy()
        if name.endswith("self_attn.q_proj.weight"):
            data = permute_qk(data, n_head, n_head)
        elif name.endswith("self_attn.k_proj.weight"):
            data = permute_qk(data, n_head, n_head_kv)
        data = np.ascontiguousarray(data)
        if data.ndim <= 1:
            w.add_tensor(gname, data.astype(np.float32))
            counts["F32"] += 1
        else:
            try:
                q = gguf.quants.quantize(data, qtype)
                kind = qtype
            except gguf.quants.QuantError:  # rows not a multiple of the block size
                q = gguf.quants.quantize(data, gguf.GGMLQuantizationType.F16)
                kind = gguf.GGMLQuantizationType.F16
                fallback.append(gname)
            w.add_tensor(gname, q, raw_dtype=kind)
            counts[kind.name] += 1
        n_tensors += 1
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return {"architecture": "llama", "dtype": dtype, "tensors": n_tensors, "tensor_types": counts,
            "f16_fallback": fallback, "tied_embeddings": tied,
            "shape": {"layers": n_layer, "width": n_embd, "heads": n_head, "kv_heads": n_head_kv,
                      "head_dim": head_dim, "ffn": int(cfg["intermediate_size"]), "vocab": n_vocab,
                      "context": int(cfg.get("max_position_embeddings") or 2048), "rope_theta": theta},
            "tokenizer": {"model": "gpt2", "pre": tok["pre"], "tokens": len(tok["tokens"]),
                          "merges": len(tok["merges"]), "special_ids": specials, "add_bos": tok["add_bos"],
                          "normalizer_dropped": tok["normalizer_dropped"],
                          "chat_template": isinstance(tok["chat_template"], str)},
            "parameters": sum(p.numel() for p in model.parameters())}


def _check_texts(texts: Sequence[str]) -> list[str]:
    picked, total = [], 0
    for t in texts:
        if not t.strip():
            continue
        picked.append(t)
        total += len(t.encode("utf-8"))
        if total >= CHECK_BYTES:
            break
    return picked


def check_gguf(hf_dir: str | Path, gguf_file: str | Path, texts: Sequence[str], dtype: str) -> dict:
    """bits/byte of ``texts`` under the HF folder and under the GGUF (both through lugha's scoring,
    ``hf:`` and ``gguf:`` backends, on CPU), and whether their token ids agree."""
    from lugha.models.transformer import TransformerModel
    from lugha.train.loop import held_out_bpb

    texts = _check_texts(texts)
    if not texts:
        raise LughaError("GGUF export check: no held-out text to score (give --check-text FILE)")
    hf = TransformerModel("hf", str(hf_dir), device="cpu")
    with tempfile.TemporaryDirectory(prefix="lugha-gguf-check-") as tmp:
        # alone in a folder: the tokenizer must come from the GGUF, not a tokenizer.json beside it
        link = Path(tmp) / "model.gguf"
        os.symlink(Path(gguf_file).resolve(), link)
        gg = TransformerModel("gguf", str(link), device="cpu")
        ids_hf = [hf.encode(t) for t in texts]
        ids_gg = [gg.encode(t) for t in texts]
        mismatched = sum(a != b for a, b in zip(ids_hf, ids_gg))
        a = held_out_bpb(hf, texts)
        b = held_out_bpb(gg, texts)
        gg_prefix = gg.prefix
    diff = b["bpb"] - a["bpb"]
    return {"documents": len(texts), "bytes": a["bytes"], "tokens": sum(len(x) for x in ids_hf),
            "hf_bpb": a["bpb"], "gguf_bpb": b["bpb"], "diff_bpb": diff, "tolerance_bpb": TOLERANCE[dtype],
            "token_ids_equal": mismatched == 0 and hf.prefix == gg_prefix, "mismatched_documents": mismatched,
            "passed": abs(diff) <= TOLERANCE[dtype] and mismatched == 0 and hf.prefix == gg_prefix}


def export_gguf(hf_dir: str | Path, out_file: str | Path, dtype: str = "f16",
                check_texts: Sequence[str] | None = None) -> dict:
    """Write ``hf_dir`` (a LLaMA-architecture HF folder) as a GGUF at ``out_file`` and check it.

    ``check_texts``: held-out documents to compare bits/byte and token ids on; by default the
    folder's own held-out split (``DIR/data/val.jsonl``, which `lugha train lm` writes). Returns the
    file's path, size, SHA-256, what was written, the check, and a signature. Raises LughaError (and
    leaves no file) when the GGUF's bits/byte differs from the folder's by more than
    ``TOLERANCE[dtype]`` or a token id differs."""
    import torch
    import transformers

    from lugha.records import atomic_path, sha256_file, sha256_files
    from lugha.signature import Signature

    hf_dir, out_file = Path(hf_dir), Path(out_file)
    if dtype not in DTYPES:
        raise LughaError(f"--dtype {dtype!r}: use {' or '.join(DTYPES)}")
    _read_config(hf_dir)  # the one-line errors before anything is loaded
    if check_texts is None:
        val = hf_dir / "data" / "val.jsonl"
        if not val.is_file():
            raise LughaError("no held-out text to check the GGUF with: the folder has no data/val.jsonl "
                             "(give --check-text FILE)", path=hf_dir)
        check_texts = [json.loads(line)["text"] for line in val.read_text(encoding="utf-8").splitlines() if line]
    t0 = time.perf_counter()
    with atomic_path(out_file) as tmp:
        written = write_gguf(hf_dir, tmp, dtype)
        write_seconds = time.perf_counter() - t0
        check = check_gguf(hf_dir, tmp, check_texts, dtype)
        if not check["passed"]:
            raise LughaError(
                f"GGUF check failed ({dtype}): {check['gguf_bpb']:.5f} bits/byte reloaded vs {check['hf_bpb']:.5f} "
                f"for the folder (difference {check['diff_bpb']:+.5f}, allowed {check['tolerance_bpb']}); "
                f"{check['mismatched_documents']} of {check['documents']} documents tokenized differently; "
                f"no file written", path=out_file)
    model_files = sorted(p for p in hf_dir.iterdir() if p.suffix == ".safetensors" or p.name in MODEL_JSON)
    sha = sha256_file(out_file)
    sig = Signature.build("export-gguf", {str(p): sha256_file(p) for p in model_files},
                          params={"dtype": dtype, "tolerance_bpb": TOLERANCE[dtype],
                                  "check_documents": check["documents"]},
                          backends={"gguf": _gguf_version(),
                                    "transformers": transformers.__version__, "torch": torch.__version__},
                          model=sha).to_dict()
    return {"file": str(out_file), "bytes": out_file.stat().st_size, "sha256": sha,
            "source": str(hf_dir), "source_sha256": sha256_files(model_files), **written,
            "check": check, "seconds": {"write": write_seconds, "total": time.perf_counter() - t0},
            "signature": sig}


def _gguf_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gguf")
    except PackageNotFoundError:
        return "unknown"


def default_file(hf_dir: str | Path, dtype: str) -> Path:
    """hf_dir/gguf/<run name>-<dtype>.gguf. In its own folder: transformers, given a GGUF next to a
    tokenizer_config.json, mixes the two (the reloaded tokenizer then has no BOS), and a GGUF is
    what gets copied to a laptop on its own anyway."""
    hf_dir = Path(hf_dir).resolve()
    name = hf_dir.parent.name if hf_dir.name == "merged" else hf_dir.name
    return hf_dir / "gguf" / f"{name}-{dtype}.gguf"


# ---- a training run's folder: default held-out text, and the record in training.json / MODEL_CARD.md ----

def _lora_run(hf_dir: Path) -> Path | None:
    """The `train lora` run folder when hf_dir is its DIR/merged, else None."""
    tj = hf_dir.parent / "training.json"
    if hf_dir.name == "merged" and tj.is_file():
        try:
            if json.loads(tj.read_text(encoding="utf-8")).get("kind") == "train-lora":
                return hf_dir.parent
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
    return None


def default_check_texts(hf_dir: str | Path) -> list[str]:
    """The held-out split of the run that wrote hf_dir: `train lm`'s DIR/data/val.jsonl, or for a
    `train lora --merge` folder the split recomputed from its training.json (the split is a pure
    function of the input files and val_permille)."""
    hf_dir = Path(hf_dir)
    val = hf_dir / "data" / "val.jsonl"
    if val.is_file():
        return [json.loads(line)["text"] for line in val.read_text(encoding="utf-8").splitlines() if line]
    run = _lora_run(hf_dir)
    if run is not None:
        from lugha.records import expand_inputs
        from lugha.train import data as D

        info = json.loads((run / "training.json").read_text(encoding="utf-8"))
        files = expand_inputs(list(info["data"]["inputs"]))
        evals = expand_inputs(list(info["data"]["eval_inputs"])) if info["data"].get("eval_inputs") else []
        return D.split_documents(files, int(info["config"]["val_permille"]), evals).val
    raise LughaError("no held-out text to check the GGUF with: the folder has no data/val.jsonl and is not a "
                     "`train lora --merge` folder (give --check-text FILE)", path=hf_dir)


def record(hf_dir: str | Path, result: dict) -> Path | None:
    """Add the export (file relative to the run folder, size, hash, check figures) under
    ``gguf.<dtype>`` in the run's training.json, and re-render `train lm`'s MODEL_CARD.md. Returns
    the training.json updated, or None when hf_dir is not a lugha run."""
    from lugha.records import write_json, write_text

    hf_dir = Path(hf_dir)
    run = hf_dir if (hf_dir / "training.json").is_file() else _lora_run(hf_dir)
    if run is None:
        return None
    tj = run / "training.json"
    info = json.loads(tj.read_text(encoding="utf-8"))
    f = Path(result["file"]).resolve()
    try:
        rel = str(f.relative_to(run.resolve()))
    except ValueError:
        rel = str(f)
    entry = {k: result[k] for k in ("dtype", "bytes", "sha256", "tensor_types", "f16_fallback", "tokenizer",
                                    "check", "signature")}
    info.setdefault("gguf", {})[result["dtype"]] = {"file": rel, **entry}
    write_json(tj, info)
    if info.get("kind") != "train-lora" and (run / "MODEL_CARD.md").is_file():
        from lugha.train.card import model_card

        write_text(run / "MODEL_CARD.md", model_card(info))
    return tj


def export_and_record(hf_dir: str | Path, out_file: str | Path | None = None, dtype: str = "f16",
                      check_texts: Sequence[str] | None = None, on_status=None) -> dict:
    """``export_gguf`` with the run's defaults: ``out_file`` = ``default_file``, the check
    on the run's held-out split, and the result recorded in the run's training.json (and model card)."""
    hf_dir = Path(hf_dir)
    if dtype not in DTYPES:
        raise LughaError(f"--dtype {dtype!r}: use {' or '.join(DTYPES)}")
    _read_config(hf_dir)
    if check_texts is None:
        check_texts = default_check_texts(hf_dir)
    if on_status:
        on_status(f"writing GGUF ({dtype}) and checking it: reload, score held-out text, compare")
    result = export_gguf(hf_dir, out_file or default_file(hf_dir, dtype), dtype, check_texts)
    tj = record(hf_dir, result)
    result["recorded_in"] = str(tj) if tj else None
    return result


def check_exportable_base(spec: str) -> None:
    """Before a LoRA run with --export-gguf: the base must be LLaMA-architecture (read from its
    config.json or GGUF header, without loading it)."""
    from lugha.models.base import parse_spec

    s = parse_spec(spec)
    if s.backend == "lora":
        return
    if s.backend == "hf":
        cfg = Path(s.path) / "config.json"
        arch = json.loads(cfg.read_text(encoding="utf-8")).get("model_type") if cfg.is_file() else None
        where = cfg
    else:
        if s.backend == "embedded":
            from lugha.models.embedded import embedded_path

            path = embedded_path(s.path)
        else:
            path = Path(s.path)
        if not path.is_file():
            return  # train_lora reports the missing base
        from transformers.integrations.gguf import read_gguf_metadata  # header only: gguf's reader parses it all

        try:
            arch = read_gguf_metadata(str(path), ())[0].get("general.architecture")
        except (OSError, ValueError, KeyError):
            return  # not a readable GGUF: train_lora reports it
        where = path
    if arch is not None and arch != "llama":
        raise LughaError(f"--export-gguf supports the llama architecture only; the base {spec!r} is {arch!r}",
                         path=where)
