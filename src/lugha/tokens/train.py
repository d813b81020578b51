"""Train a local tokenizer, or extend a borrowed one with tokens learned on local text.

Both use HF `tokenizers` and write a plain `tokenizer.json` that `hf:DIR` loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from lugha import langs
from lugha.errors import LughaError
from lugha.records import atomic_path, expand_inputs, hash_inputs, iter_texts, write_json, write_text
from lugha.signature import package_version


def corpus_texts(paths: Sequence[str | Path], text_field: str = "text", counts: dict | None = None) -> Iterator[str]:
    """Texts of every readable, non-blank record; unreadable ones are counted and skipped, never fatal."""
    return iter_texts(paths, text_field=text_field, counts=counts, skip_blank=True)


def build(texts: Iterable[str], vocab_size: int, kind: str = "bpe", min_frequency: int = 2,
          special_tokens: Sequence[str] = ()):
    """Train a BPE (byte-level, so no unknown tokens) or a Unigram (Metaspace, <unk> for unseen
    characters) tokenizer on texts; returns the `tokenizers.Tokenizer`. ``special_tokens`` get the
    first ids and count in ``vocab_size``."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import BPE, Unigram
    from tokenizers.trainers import BpeTrainer, UnigramTrainer

    if kind not in ("bpe", "unigram"):
        raise LughaError(f"unknown --kind {kind!r}; use bpe or unigram")
    if vocab_size < 300:
        raise LughaError(f"--vocab-size {vocab_size} is too small (at least 300: 256 bytes + merges)")
    if kind == "bpe":
        tok = Tokenizer(BPE())
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                             special_tokens=list(special_tokens))
    else:
        tok = Tokenizer(Unigram())
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = UnigramTrainer(vocab_size=vocab_size, unk_token="<unk>",
                                 special_tokens=["<unk>", *special_tokens], show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def train(corpus: Sequence[str | Path], lang: str, vocab_size: int, kind: str, out: str | Path,
          text_field: str = "text", min_frequency: int = 2) -> dict:
    """Train a tokenizer on the corpus files (see ``build``) and write out/tokenizer.json.
    Returns what was trained, for the caller."""
    code = langs.resolve(lang).code
    counts: dict = {}
    tok = build(corpus_texts(corpus, text_field, counts), vocab_size, kind, min_frequency)
    if not counts.get("documents"):
        raise LughaError(f"no readable text in {', '.join(map(str, corpus))}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tokenizer.json"
    with atomic_path(path) as tmp:
        tok.save(str(tmp))
    info = {"path": str(path), "kind": kind, "lang": code, "vocab_size": tok.get_vocab_size(),
            "documents": counts.get("documents", 0), "unreadable": counts.get("unreadable", 0),
            "inputs": hash_inputs(expand_inputs(list(corpus))),
            "backend": f"tokenizers-{package_version('tokenizers')}"}
    write_json(out / "lugha-train.json", info)
    return info


def _base_json(base_spec: str) -> tuple[dict, str]:
    """The tokenizer.json behind a spec (presets or hf:PATH), which must be a BPE model."""
    from lugha.tokens import specs

    s = base_spec.strip()
    if s in specs.PRESETS:
        path = specs.preset_path(s)
        if path.suffix != ".json":
            raise LughaError(f"preset {s!r} is not an HF tokenizer.json (it is {path.name}); extend needs a BPE tokenizer.json")
        if not path.is_file():
            raise LughaError(f"preset {s!r} is not installed; run `lugha tokens presets --install`")
    elif s.startswith("hf:"):
        path = Path(s[3:]).expanduser()
        if path.is_dir():
            path = path / "tokenizer.json"
        if not path.is_file():
            raise LughaError(f"no tokenizer.json at {s[3:]!r}")
    else:
        raise LughaError(f"extend needs an HF BPE tokenizer.json: a preset ({', '.join(n for n in specs.PRESETS)}) or hf:PATH, not {base_spec!r}")
    tj = json.loads(path.read_text(encoding="utf-8"))
    if tj.get("model", {}).get("type") != "BPE":
        raise LughaError(f"the base tokenizer is a {tj.get('model', {}).get('type')} model; extend works on BPE", path)
    return tj, str(path)


def extend(base_spec: str, corpus: Sequence[str | Path], add: int, out: str | Path, text_field: str = "text") -> dict:
    """Learn BPE merges on local text with the base's own normalizer and pre-tokenizer, then append
    the first `add` new tokens (and their merges) after the base vocabulary: the base's ids and
    merges are untouched, so a model's existing embeddings stay valid (the usual recipe before
    continued pre-training)."""
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers.trainers import BpeTrainer

    if add < 1:
        raise LughaError("--add must be at least 1")
    tj, base_path = _base_json(base_spec)
    model = tj["model"]
    vocab: dict[str, int] = dict(model["vocab"])
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    byte_level = "ByteLevel" in json.dumps(tj.get("pre_tokenizer"))

    # A learner with the base's normalizer/pre-tokenizer, so new pieces live in the same symbol space.
    learner_json = dict(tj)
    learner_json["model"] = {**model, "vocab": {}, "merges": []}
    learner_json["added_tokens"] = []
    learner_json["post_processor"] = None
    if learner_json.get("pre_tokenizer") is None:
        # sentencepiece-style BPE (Llama 2) has no pre-tokenizer: split on '▁' for learning only,
        # so merges stay inside words as sentencepiece's do.
        learner_json["pre_tokenizer"] = json.loads(pre_tokenizers.Metaspace(prepend_scheme="never").__getstate__())
    learner = Tokenizer.from_str(json.dumps(learner_json))
    extra = {"initial_alphabet": pre_tokenizers.ByteLevel.alphabet()} if byte_level else {"limit_alphabet": 1000}
    trainer = BpeTrainer(vocab_size=min(len(vocab), 4 * add + 1000), show_progress=False, **extra)
    counts: dict = {}
    learner.train_from_iterator(corpus_texts(corpus, text_field, counts), trainer=trainer)
    learned_model = json.loads(learner.to_str())["model"]
    learned = learned_model["merges"]

    next_id = max([*vocab.values(), *(t["id"] for t in tj.get("added_tokens", []))]) + 1
    added: list[str] = []
    if not byte_level:
        # Sentencepiece-style vocabularies (Llama 2) lack most letters of scripts like Ge'ez and
        # fall back to bytes; add the corpus's missing characters first, so merges can build on them.
        for piece, _ in sorted(learned_model["vocab"].items(), key=lambda kv: kv[1]):
            if len(piece) == 1 and piece not in vocab and len(added) < add:
                vocab[piece] = next_id
                next_id += 1
                added.append(piece)
    for m in learned:
        if len(added) >= add:
            break
        a, b = (m.split(" ", 1) if isinstance(m, str) else m)
        new = a + b
        if new in vocab or a not in vocab or b not in vocab:
            continue
        vocab[new] = next_id
        next_id += 1
        merges.append((a, b))
        added.append(new)
        if len(added) == add:
            break
    new_json = dict(tj)
    new_json["model"] = {**model, "vocab": vocab, "merges": [list(m) for m in merges]}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tokenizer.json"
    with atomic_path(path) as tmp:
        write_text(tmp, json.dumps(new_json, ensure_ascii=False))
        Tokenizer.from_file(str(tmp))  # must load before it replaces anything
    info = {"path": str(path), "base": base_spec, "base_path": base_path, "base_vocab": len(model["vocab"]),
            "added": len(added), "requested": add, "new_tokens_sample": added[:20],
            "documents": counts.get("documents", 0), "backend": f"tokenizers-{package_version('tokenizers')}"}
    if len(added) < add:
        info["note"] = f"only {len(added)} new tokens could be learned from this corpus"
    return info


def before_after(base_spec: str, new_spec: str, parallel: str | Path, languages: Sequence[str], ref: str) -> dict[str, tuple[float, float]]:
    """Premium per language (vs ref) with the base tokenizer and with the extended one."""
    from lugha.tokens import specs, tax

    par = tax.load_parallel(parallel)
    ref_code, codes = tax.pick_languages(par, languages, ref)
    result = tax.tax(par, [specs.resolve(base_spec), specs.resolve(new_spec)], ref_code, codes)
    return {c: (result["premium"][base_spec][c], result["premium"][new_spec][c]) for c in codes}
