"""`hf:PATH` and `gguf:PATH` backends: a causal LM through transformers (GGUF files are
dequantised by transformers + gguf). CPU by default, CUDA when torch sees one.

Log-likelihood follows lm-evaluation-harness's ``loglikelihood_rolling``: the text is encoded
without special tokens, the first token is predicted from BOS (EOS when the tokenizer has no BOS),
and a text longer than the window is cut into rolling windows (``utils.get_rolling_token_windows``)
in which every token is scored exactly once. ``stride`` tokens are predicted per window, with up to
``context - stride`` earlier tokens as extra context (stride = context reproduces lm-eval exactly).
"""

from __future__ import annotations

import re
from pathlib import Path

from lugha.errors import LughaError
from lugha.records import sha256_files


def rolling_windows(tokens: list[int], prefix: int, context: int, stride: int):
    """Yield (input_ids, n_scored): the model reads input_ids and the last n_scored positions'
    next-token predictions are scored against input_ids shifted by one (plus the next token).

    Returned as (inputs, targets) pairs with len(inputs) == len(targets); the scored targets are the
    last ``len(new)`` of targets. Same windows as lm-eval's get_rolling_token_windows +
    make_disjoint_window with context_len = context - stride + 1."""
    if not tokens:
        return
    first = min(context, len(tokens))
    yield [prefix] + tokens[: first - 1], tokens[:first], first
    done = first
    while done < len(tokens):
        n = min(len(tokens) - done, stride)
        end = done + n
        start = max(end - context - 1, 0)
        inputs = tokens[start: end - 1]
        targets = tokens[start + 1: end]
        yield inputs, targets, n
        done = end


class TransformerModel:
    def __init__(self, backend: str, path: str, device: str | None = None):
        import torch

        self.backend = backend
        self.spec = f"{backend}:{path}"
        self.path = Path(path)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if backend == "gguf":
            if not self.path.is_file():
                raise LughaError("no such GGUF file", path=path)
            with open(self.path, "rb") as f:
                if f.read(4) != b"GGUF":
                    raise LughaError("not a GGUF file (missing the GGUF magic bytes)", path=path)
            self.files = [self.path]
            kw = {"gguf_file": self.path.name}
            where = str(self.path.parent)
        else:
            kw = {}
            where = str(self.path)
            if self.path.is_dir():
                self.files = sorted(p for p in self.path.iterdir()
                                    if p.suffix in (".safetensors", ".bin", ".json", ".model"))
            elif re.fullmatch(r"[\w.-]+/[\w.-]+", path) and not path.startswith((".", "/")):
                self.files = []  # a hub name: needs a connection (or the local hub cache)
                where = path
            else:
                raise LughaError("no such model folder", path=path)
        import sys

        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        if not sys.stderr.isatty():  # quiet when piped: no loading bars in logs
            hf_logging.disable_progress_bar()

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(where, **kw)
            self.model = AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32, **kw)
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise LughaError(f"cannot load the model: {msg}", path=path) from None
        self.model.to(self.device).eval()
        tok = self.tokenizer
        self.prefix = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        self.pad = tok.pad_token_id if tok.pad_token_id is not None else self.prefix
        cfg = self.model.config
        self.max_context = int(getattr(cfg, "max_position_embeddings", 2048) or 2048)

    # ---- scoring ------------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def loglik(self, texts: list[str], context: int | None = None, stride: int | None = None,
               batch_tokens: int | None = None, progress=None) -> list[tuple[float, int]]:
        full, _ = self.loglik_split(texts, None, context, stride, batch_tokens, progress)
        return full

    def loglik_split(self, texts: list[str], starts: list[int] | None, context: int | None = None,
                     stride: int | None = None, batch_tokens: int | None = None, progress=None
                     ) -> tuple[list[tuple[float, int]], list[tuple[float, int]] | None]:
        """(whole text, part from character ``starts[i]`` on) as (nats, utf8_bytes) each, from one
        pass. The part is scored as Goldfish does (tylerachang/goldfish, eval_code/
        flores_eval_goldfish.py): tokens of the whole text, minus the first k where k is the token
        count of ``text[:start]`` encoded alone."""
        import torch

        if batch_tokens is None:
            batch_tokens = self.default_batch_tokens()

        context = min(context or self.max_context, self.max_context)
        stride = stride or context
        if not 1 <= stride <= context:
            raise LughaError(f"--stride must be between 1 and --context ({context}), got {stride}")
        skip = [len(self.encode(t[:s])) if s else 0 for t, s in zip(texts, starts)] if starts is not None else None
        windows = []  # (text index, inputs, targets, n_scored, index of the first scored token)
        for i, t in enumerate(texts):
            first = 0
            for inp, tgt, n in rolling_windows(self.encode(t), self.prefix, context, stride):
                windows.append((i, inp, tgt, n, first))
                first += n
        nats = [0.0] * len(texts)
        part = [0.0] * len(texts)
        # Longest first, so batches hold windows of similar length and padding stays small.
        order = sorted(range(len(windows)), key=lambda j: -len(windows[j][1]))
        j = 0
        with torch.inference_mode():
            while j < len(order):
                width = len(windows[order[j]][1])
                size = max(1, batch_tokens // width)
                batch = [windows[k] for k in order[j: j + size]]
                ids = torch.full((len(batch), width), self.pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for r, (_, inp, _, _, _) in enumerate(batch):
                    ids[r, : len(inp)] = torch.tensor(inp)
                    mask[r, : len(inp)] = 1
                logits = self.model(input_ids=ids.to(self.device),
                                    attention_mask=mask.to(self.device)).logits.float()
                logp = torch.log_softmax(logits, dim=-1)
                for r, (ti, inp, tgt, n, first) in enumerate(batch):
                    L = len(inp)
                    tg = torch.tensor(tgt[L - n:], device=logp.device)
                    lp = logp[r, L - n: L].gather(1, tg[:, None])[:, 0]
                    nats[ti] += float(lp.sum())
                    if skip is not None:
                        part[ti] += float(lp[max(0, skip[ti] - first):].sum())
                j += len(batch)
                if progress:
                    progress(len(batch))
        full = [(nats[i], len(t.encode("utf-8"))) for i, t in enumerate(texts)]
        if starts is None:
            return full, None
        return full, [(part[i], len(t[s:].encode("utf-8"))) for i, (t, s) in enumerate(zip(texts, starts))]

    # ---- choices: lm-eval's `loglikelihood` --------------------------------------------------------

    def choice_logliks(self, requests: list[tuple[str, list[str]]], batch_tokens: int = 2048,
                       add_bos: bool = True, progress=None) -> list[list[tuple[float, bool]]]:
        """Summed log-likelihood (nats) and is-greedy of each continuation given its context, as
        lm-evaluation-harness's ``loglikelihood`` computes them: trailing whitespace of the context
        moves to the continuation; the continuation's tokens are ``encode(context + continuation)``
        after the first ``len(encode(context))`` tokens; BOS is prepended when the tokenizer has one
        (and ``add_bos``); a sequence longer than the model's window is cut from the left.

        ``requests`` is one (context, [continuation, ...]) per question. Continuations that are one
        token and share the context (" A" .. " D") cost one forward pass of the context, and only the
        positions scored go through the output layer (the full-vocabulary logits of every position are
        what lm-eval spends most of its time on; see ``_head_only``)."""
        import torch

        bos = [self.tokenizer.bos_token_id] if add_bos and self.tokenizer.bos_token_id is not None else []
        rows: dict[tuple, list] = {}  # inputs -> [(request, choice, targets)]
        for ri, (ctx, conts) in enumerate(requests):
            for ci, cont in enumerate(conts):
                n_sp = len(ctx) - len(ctx.rstrip())
                c, k = (ctx[:-n_sp], ctx[-n_sp:] + cont) if n_sp else (ctx, cont)
                ctx_enc = bos + self.encode(c)
                whole = bos + self.encode(c + k)
                cont_enc = whole[len(ctx_enc):]
                if not cont_enc:
                    raise LughaError(f"continuation {cont!r} encodes to no token after its context")
                seq = (ctx_enc + cont_enc)[-(self.max_context + 1):]
                rows.setdefault(tuple(seq[:-1]), []).append((ri, ci, cont_enc))
        out: list[list] = [[None] * len(conts) for _, conts in requests]
        order = sorted(rows, key=len, reverse=True)
        fast = self._head_only()
        j = 0
        with torch.inference_mode():
            while j < len(order):
                width = len(order[j])
                batch = order[j: j + max(1, batch_tokens // width)]
                ids = torch.full((len(batch), width), self.pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for r, inp in enumerate(batch):
                    ids[r, : len(inp)] = torch.tensor(inp)
                    mask[r, : len(inp)] = 1
                ids, mask = ids.to(self.device), mask.to(self.device)
                # positions to score: the last len(targets) inputs of each row (longest continuation)
                need = [max(len(t) for _, _, t in rows[inp]) for inp in batch]
                if fast:
                    hidden = self.model.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
                    picked = torch.cat([hidden[r, len(inp) - n: len(inp)] for r, (inp, n) in enumerate(zip(batch, need))])
                    logp_all = torch.log_softmax(self._head(picked).float(), dim=-1)
                else:
                    logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
                    logp_all = torch.log_softmax(torch.cat(
                        [logits[r, len(inp) - n: len(inp)] for r, (inp, n) in enumerate(zip(batch, need))]), dim=-1)
                start = 0
                for inp, n in zip(batch, need):
                    block = logp_all[start: start + n]
                    start += n
                    for ri, ci, tgt in rows[inp]:
                        lp = block[n - len(tgt):]
                        tg = torch.tensor(tgt, device=lp.device)
                        ll = float(lp.gather(1, tg[:, None]).sum())
                        greedy = bool((lp.argmax(dim=-1) == tg).all())
                        out[ri][ci] = (ll, greedy)
                j += len(batch)
                if progress:
                    progress(len(batch))
        return out

    def _head(self, hidden):
        import torch

        logits = self.model.get_output_embeddings()(hidden)
        cap = getattr(self.model.config, "final_logit_softcapping", None)
        if cap:
            logits = torch.tanh(logits / cap) * cap
        return logits

    def _head_only(self) -> bool:
        """Whether decoder hidden states -> output layer (-> soft-capping) reproduces this model's own
        logits. Checked once on a short input against a full forward pass; a model whose head does
        something else (a logit scale, a custom forward) falls back to full logits."""
        if getattr(self, "_fast_ok", None) is None:
            import torch

            try:
                ids = torch.tensor([[self.prefix] + self.encode("The quick brown fox: A")], device=self.device)
                with torch.inference_mode():
                    full = self.model(input_ids=ids).logits[0].float()
                    hidden = self.model.get_decoder()(input_ids=ids).last_hidden_state[0]
                    mine = self._head(hidden).float()
                self._fast_ok = bool(torch.allclose(full, mine, atol=1e-4, rtol=1e-4))
            except (AttributeError, TypeError, NotImplementedError, RuntimeError):
                self._fast_ok = False
        return self._fast_ok

    def default_batch_tokens(self) -> int:
        """Tokens per forward pass. The logits (tokens x vocabulary floats) are what fills memory and
        cache: keep them near 512 MB, so 512 tokens for Gemma 3's 262k vocabulary, 4,096 for a 32k one.
        Measured on 2 cores with Gemma 3 270M: 4,096 tokens per batch scored 542 bytes/s, 512 scored
        1,460 (docs/benchmarks.md)."""
        vocab = int(getattr(self.model.config, "vocab_size", 32_000) or 32_000)
        return max(64, min(4096, 2**27 // vocab))

    def count_windows(self, texts: list[str], context: int | None = None, stride: int | None = None) -> int:
        context = min(context or self.max_context, self.max_context)
        stride = stride or context
        return sum(sum(1 for _ in rolling_windows(self.encode(t), self.prefix, context, stride)) for t in texts)

    # ---- generation ---------------------------------------------------------------------------

    def generate(self, prompts: list[str], max_new_tokens: int = 64, temperature: float = 0.0,
                 seed: int = 0) -> list[str]:
        import torch

        out = []
        for p in prompts:  # one at a time: no padding, so greedy output equals a lone call
            torch.manual_seed(seed)
            ids = torch.tensor([[self.prefix] + self.encode(p)], device=self.device)
            kw = {"do_sample": True, "temperature": temperature, "top_k": 0} if temperature > 0 \
                else {"do_sample": False}
            with torch.inference_mode():
                gen = self.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                          max_new_tokens=max_new_tokens, pad_token_id=self.pad, **kw)
            out.append(self.tokenizer.decode(gen[0, ids.shape[1]:], skip_special_tokens=True))
        return out

    # ---- signature ----------------------------------------------------------------------------

    def signature(self) -> dict:
        import torch
        import transformers

        sig = {
            "backend": f"{self.backend}:transformers-{transformers.__version__}+torch-{torch.__version__}",
            "arch": self.model.config.model_type,
            # a hub model without local files is identified by its hub commit
            "model_sha256": sha256_files(self.files) if self.files
            else f"hub:{getattr(self.model.config, '_commit_hash', None)}",
            "size_bytes": sum(p.stat().st_size for p in self.files) if self.files
            else sum(p.numel() * p.element_size() for p in self.model.parameters()),
            "n_params": sum(p.numel() for p in self.model.parameters()),
            "device": self.device,
        }
        if self.backend == "gguf":
            import gguf

            sig["backend"] += f"+gguf-{getattr(gguf, '__version__', '')}".rstrip("-")
        return sig
