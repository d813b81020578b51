"""Training data for a local LM: read the text, hold out a validation split by document hash, drop
documents that also occur in an evaluation file, train (or load) the tokenizer, and store the token
ids as uint32 arrays (Gemma-size vocabularies overflow uint16).

Every input record is accounted for: ``documents = train + validation + dropped_eval + blank`` and
unreadable records are counted apart (``prepare`` returns the counts).

Documents are packed: each one is ``BOS t1 ... tn``, concatenated, and cut into windows of
``context + 1`` tokens, so no position is wasted on padding. ``PackedBatches(step)`` is a pure
function of the step (an epoch-seeded permutation of windows, with an epoch-seeded offset so window
boundaries move between epochs), which makes ``--resume`` exact and lets each DDP process take its
share of the same global micro-batch.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from lugha.errors import LughaError
from lugha.records import expand_inputs, iter_texts, sha256_file, write_json, write_text

BOS = "<|endoftext|>"


def doc_key(text: str) -> str:
    """Whitespace-normalised SHA-256: the identity used for the split and the contamination check."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def is_validation(key: str, val_permille: int) -> bool:
    return int(key[:8], 16) % 1000 < val_permille


@dataclass
class Split:
    train: list[str]
    val: list[str]
    counts: dict = field(default_factory=dict)


def split_documents(paths: Sequence[str | Path], val_permille: int = 50,
                    eval_files: Sequence[str | Path] = ()) -> Split:
    counts: dict = {"documents": 0, "unreadable": 0, "blank": 0, "train": 0, "validation": 0,
                    "dropped_eval_overlap": 0}
    banned: set[str] = set()
    if eval_files:
        for text in iter_texts(list(eval_files), skip_blank=True):
            banned.add(doc_key(text))
        counts["eval_documents"] = len(banned)
    train, val = [], []
    train_keys: list[tuple[str, str]] = []
    for text in iter_texts(list(paths), counts=counts):  # the shared reader; unreadable ones counted
        if not text.strip():
            counts["blank"] += 1
            continue
        k = doc_key(text)
        if k in banned:
            counts["dropped_eval_overlap"] += 1
            continue
        if is_validation(k, val_permille):
            val.append(text)
        else:
            train.append(text)
            train_keys.append((k, text))
    if not train and not val:
        raise LughaError(f"no text to train on: {', '.join(map(str, paths))} has no non-blank documents"
                         + (" outside the --eval file" if counts["dropped_eval_overlap"] else ""))
    if not val and len(train) > 1 and val_permille > 0:
        # a small corpus may have no document in the hash range: hold out the lowest-hash one
        k, text = min(train_keys)
        train.remove(text)
        val.append(text)
    counts["train"], counts["validation"] = len(train), len(val)
    return Split(train, val, counts)


# ---- tokenizer ------------------------------------------------------------------------------------

def make_tokenizer(spec: str, train_texts: list[str]):
    """A `tokenizers.Tokenizer` with a BOS/EOS/pad token ``<|endoftext|>``, from a spec:
    ``bpe:N`` / ``unigram:N`` (trained on the training documents with ``lugha tokens train``'s
    recipe), ``bytes`` (256 byte tokens), or any `lugha tokens` spec backed by a tokenizer.json
    (``hf:PATH``, presets such as ``llama3``)."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import BPE

    from lugha.tokens import train as tokens_train

    s = spec.strip()
    kind, sep, n = s.partition(":")
    if kind in ("bpe", "unigram") and sep:
        if not n.isdigit():
            raise LughaError(f"tokenizer spec {spec!r}: the vocabulary size must be a number ({kind}:8000)")
        return tokens_train.build(iter(train_texts), int(n), kind, special_tokens=[BOS])
    if s == "bytes":
        alphabet = pre_tokenizers.ByteLevel.alphabet()
        vocab = {BOS: 0, **{ch: i + 1 for i, ch in enumerate(sorted(alphabet))}}
        tok = Tokenizer(BPE(vocab=vocab, merges=[]))
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.add_special_tokens([BOS])
        return tok
    from lugha.tokens import specs

    t = specs.resolve(s)  # unknown specs raise LughaError listing what exists
    path = _tokenizer_json(s)
    if path is None:
        raise LughaError(f"tokenizer spec {spec!r} ({t.backend}) has no tokenizer.json to save with the model; "
                         "use bpe:N, unigram:N, bytes, hf:PATH or a tokenizer.json preset")
    tok = Tokenizer.from_file(str(path))
    if tok.token_to_id(BOS) is None:
        tok.add_special_tokens([BOS])
    return tok


def _tokenizer_json(spec: str) -> Path | None:
    from lugha.tokens import specs

    if spec in specs.PRESETS:
        p = specs.preset_path(spec)
        return p if p.suffix == ".json" and p.is_file() else None
    if spec.startswith("hf:"):
        p = Path(spec[3:]).expanduser()
        p = p / "tokenizer.json" if p.is_dir() else p
        return p if p.is_file() and p.suffix == ".json" else None
    return None


def encode_packed(tok, texts: list[str], batch: int = 256) -> np.ndarray:
    """BOS t1..tn for every document, concatenated, as uint32."""
    bos = tok.token_to_id(BOS)
    parts = []
    for i in range(0, len(texts), batch):
        for e in tok.encode_batch(texts[i: i + batch], add_special_tokens=False):
            parts.append(np.array([bos, *e.ids], dtype=np.uint32))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)


# ---- prepared data on disk -----------------------------------------------------------------------

@dataclass
class Prepared:
    train: np.ndarray  # uint32 token ids
    val: np.ndarray
    val_texts: list[str]
    val_bytes: int
    tokenizer_sha256: str
    counts: dict
    inputs: dict  # path -> sha256
    eval_inputs: dict

    def meta(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k not in ("train", "val", "val_texts")}
        d["train_tokens"], d["val_tokens"] = int(len(self.train)), int(len(self.val))
        return d


def input_hashes(paths: Sequence[str | Path]) -> dict:
    return {str(p): sha256_file(p) for p in expand_inputs(list(paths))} if paths else {}


def prepare(paths: Sequence[str | Path], tokenizer: str, data_dir: Path, val_permille: int = 50,
            eval_files: Sequence[str | Path] = ()) -> Prepared:
    """Split, tokenize and write ``data_dir/{train,val}.bin`` (uint32), ``val.jsonl`` (the held-out
    documents), ``tokenizer.json`` and ``meta.json``. When ``meta.json`` already records the same
    inputs and tokenizer spec (a resumed run), the stored arrays are reused."""
    inputs, eval_inputs = input_hashes(paths), input_hashes(eval_files)
    key = {"inputs": inputs, "eval_inputs": eval_inputs, "tokenizer": tokenizer, "val_permille": val_permille}
    meta_path = data_dir / "meta.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("key") == key:
            return load_prepared(data_dir)
    split = split_documents(paths, val_permille, eval_files)
    tok = make_tokenizer(tokenizer, split.train)
    train = encode_packed(tok, split.train)
    val = encode_packed(tok, split.val)
    data_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(data_dir / "tokenizer.json.tmp"))
    os.replace(data_dir / "tokenizer.json.tmp", data_dir / "tokenizer.json")
    for name, arr in (("train", train), ("val", val)):
        arr.tofile(data_dir / f"{name}.bin.tmp")
        os.replace(data_dir / f"{name}.bin.tmp", data_dir / f"{name}.bin")
    write_text(data_dir / "val.jsonl", "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n"
                                                     for t in split.val))
    counts = {**split.counts, "train_tokens": int(len(train)), "val_tokens": int(len(val)),
              "train_bytes": sum(len(t.encode("utf-8")) for t in split.train),
              "vocab_size": tok.get_vocab_size()}
    meta = {"key": key, "counts": counts, "tokenizer_sha256": sha256_file(data_dir / "tokenizer.json"),
            "val_bytes": sum(len(t.encode("utf-8")) for t in split.val)}
    write_json(meta_path, meta)
    return load_prepared(data_dir)


def load_prepared(data_dir: Path) -> Prepared:
    meta = json.loads((data_dir / "meta.json").read_text(encoding="utf-8"))
    val_texts = [json.loads(line)["text"] for line in
                 (data_dir / "val.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return Prepared(np.fromfile(data_dir / "train.bin", dtype=np.uint32),
                    np.fromfile(data_dir / "val.bin", dtype=np.uint32), val_texts, meta["val_bytes"],
                    meta["tokenizer_sha256"], meta["counts"], meta["key"]["inputs"], meta["key"]["eval_inputs"])


# ---- batches ---------------------------------------------------------------------------------------

class PackedBatches:
    """``batches(step)`` -> ``grad_accum`` micro-batches of this process's share of
    ``batch_size`` windows of ``context + 1`` tokens (inputs = window[:-1], labels = window[1:])."""

    def __init__(self, tokens: np.ndarray, context: int, batch_size: int, grad_accum: int = 1,
                 seed: int = 0, rank: int = 0, world: int = 1):
        if len(tokens) < context + 1:
            raise LughaError(f"the training text is {len(tokens):,} tokens, smaller than one context of "
                             f"{context:,} + 1 tokens; give more text or a smaller --context")
        if batch_size < world:
            raise LughaError(f"--batch-size {batch_size} is smaller than the number of processes ({world})")
        self.tokens, self.context, self.batch_size, self.grad_accum = tokens, context, batch_size, grad_accum
        self.seed, self.rank, self.world = seed, rank, world
        full = (len(tokens) - 1) // context
        # one window fewer than fits, so each epoch can start at a different offset
        self.n_windows = full - 1 if full > 1 else full
        self._epoch, self._perm, self._offset = -1, None, 0

    def _window(self, g: int) -> np.ndarray:
        epoch, i = divmod(g, self.n_windows)
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._perm = rng.permutation(self.n_windows)
            spare = len(self.tokens) - 1 - self.n_windows * self.context
            self._offset = int(rng.integers(0, spare + 1)) if spare > 0 else 0
            self._epoch = epoch
        start = self._offset + int(self._perm[i]) * self.context
        return self.tokens[start: start + self.context + 1]

    def __call__(self, step: int) -> list[dict]:
        import torch

        out = []
        for a in range(self.grad_accum):
            first = (step * self.grad_accum + a) * self.batch_size
            mine = range(first + self.rank, first + self.batch_size, self.world)
            w = torch.from_numpy(np.stack([self._window(g) for g in mine]).astype(np.int64))
            out.append({"input_ids": w[:, :-1].contiguous(), "labels": w[:, 1:].contiguous()})
        return out

    def epochs(self, steps: int) -> float:
        return steps * self.grad_accum * self.batch_size / self.n_windows


def val_windows(tokens: np.ndarray, context: int, limit: int | None = None) -> list[np.ndarray]:
    """Consecutive, non-overlapping windows over the validation stream (the last may be shorter)."""
    out = []
    for start in range(0, max(len(tokens) - 1, 0), context):
        w = tokens[start: start + context + 1]
        if len(w) >= 2:
            out.append(w)
        if limit and len(out) >= limit:
            break
    return out


class DocumentBatches:
    """``batches(step)`` for a *borrowed* model: every row begins as lugha's scoring begins a document.

    ``PackedBatches`` cuts one stream of documents into windows that start anywhere: mid-document,
    with no BOS in front, and with the previous document (and the BOS between them) in view. A model
    trained from scratch on such windows learns that distribution; a borrowed model never saw it.
    Gemma 3 270M is scored (``lugha eval bpb``, lm-eval) from ``<bos>``; on packed windows of Somali
    news (64 tokens) its zero-shot loss was 10.5 nats/token where no BOS was in view, 17.7 where the
    target was the next document's BOS, and 5.9 after a BOS (5.8 on these rows; docs/train.md), so
    most of the gradient of a packed step goes to contexts the evaluation never asks about.

    Here each document's tokens ``t1 .. tn`` become rows of at most ``context + 1`` tokens, each
    starting with BOS: the first ``BOS t1 .. tk`` (exactly the first window lugha's scoring reads:
    every target scored), the next ``BOS tk .. tm`` with its first target (``tk``, already scored,
    and here seen after BOS alone) not scored, and so on; every token is a target exactly once per
    epoch. A micro-batch is ``batch_size`` rows (an epoch-seeded permutation: a pure function of the
    seed and the step), right-padded with ``attention_mask`` 0 and labels -100, so the loop's token
    count is the number of scored targets."""

    def __init__(self, docs: Sequence[Sequence[int]], bos: int, context: int, batch_size: int,
                 grad_accum: int = 1, seed: int = 0, rank: int = 0, world: int = 1, pad: int | None = None):
        if context < 2:
            raise LughaError(f"--context must be at least 2, got {context}")
        if batch_size < world:
            raise LughaError(f"--batch-size {batch_size} is smaller than the number of processes ({world})")
        self.rows: list[tuple[np.ndarray, bool]] = []  # (BOS + tokens, first target scored)
        for d in docs:
            d = np.asarray(d, dtype=np.int64)
            if len(d) == 0:
                continue
            self.rows.append((np.concatenate([[bos], d[:context]]), True))
            for a in range(context, len(d), context - 1):  # later pieces: one token of overlap
                self.rows.append((np.concatenate([[bos], d[a - 1: a + context - 1]]), False))
        if not self.rows:
            raise LughaError("no text to train on: every document encodes to no token")
        self.context, self.batch_size, self.grad_accum = context, batch_size, grad_accum
        self.seed, self.rank, self.world = seed, rank, world
        self.pad = bos if pad is None else pad
        self.targets = sum(len(r) - 1 - (0 if first else 1) for r, first in self.rows)
        self._epoch, self._perm = -1, None

    def _row(self, g: int) -> tuple[np.ndarray, bool]:
        epoch, i = divmod(g, len(self.rows))
        if epoch != self._epoch:
            self._perm = np.random.default_rng([self.seed, epoch]).permutation(len(self.rows))
            self._epoch = epoch
        return self.rows[int(self._perm[i])]

    def __call__(self, step: int) -> list[dict]:
        import torch

        out = []
        for a in range(self.grad_accum):
            first = (step * self.grad_accum + a) * self.batch_size
            rows = [self._row(g) for g in range(first + self.rank, first + self.batch_size, self.world)]
            width = max(len(r) for r, _ in rows) - 1
            ids = torch.full((len(rows), width), self.pad, dtype=torch.long)
            labels = torch.full((len(rows), width), -100, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for i, (r, scored_first) in enumerate(rows):
                t = torch.from_numpy(r)
                n = len(r) - 1
                ids[i, :n], labels[i, :n], mask[i, :n] = t[:-1], t[1:], 1
                if not scored_first:
                    labels[i, 0] = -100
            out.append({"input_ids": ids, "labels": labels, "attention_mask": mask})
        return out

    def epochs(self, steps: int) -> float:
        return steps * self.grad_accum * self.batch_size / len(self.rows)
