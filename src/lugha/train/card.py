"""MODEL_CARD.md for a trained model, after Mitchell et al. (2019), "Model Cards for Model Reporting":
what the machine knows is filled in (data with hashes and counts, tokenizer, parameters, compute,
held-out bits/byte, signature); what only people can say is left as marked blanks."""

from __future__ import annotations

from lugha.signature import format_signature

BLANK = "_(to be written by the team: {what})_"


def _languages(inputs: dict) -> str:
    from lugha.evaluate.texts import language_of

    codes = sorted({language_of(p) for p in inputs} - {"und"})
    return ", ".join(codes) if codes else BLANK.format(what="the language(s) of the training text")


def _gguf_section(info: dict) -> list[str]:
    """The GGUF files `--export-gguf` / `lugha train export-gguf` wrote, with their reload check."""
    g = info.get("gguf") or {}
    if not g:
        return []
    rows = []
    for dt, e in sorted(g.items()):
        c = e["check"]
        rows.append(f"| `{e['file']}` | {dt} | {e['bytes'] / 1e6:,.1f} MB | {c['hf_bpb']:.5f} | {c['gguf_bpb']:.5f} | "
                    f"{c['diff_bpb']:+.1e} (allowed {c['tolerance_bpb']}) | "
                    f"{'same' if c['token_ids_equal'] else 'DIFFERENT'} ({c['documents']} documents) |")
    return ["## GGUF (llama.cpp, Ollama, LM Studio)", "",
            "Written by lugha with the `gguf` package and checked by reloading each file with transformers and "
            "scoring held-out documents with lugha's bits/byte code (not run in llama.cpp itself):", "",
            "| file | type | size | bits/byte (HF folder) | bits/byte (GGUF reloaded) | difference | token ids |",
            "|---|---|---:|---:|---:|---:|---|", *rows,
            "", *[f"- `{e['file']}` SHA-256 `{e['sha256']}`" for _, e in sorted(g.items())], ""]


def model_card(info: dict) -> str:
    c, d, comp = info["config"], info["data"], info["compute"]
    counts = d["counts"]
    lines = [
        f"# Model card: local {c['preset']} language model", "",
        "Trained from scratch with `lugha train lm`. A causal language model (transformers "
        "`LlamaForCausalLM`: RoPE, RMSNorm, SwiGLU), saved as a Hugging Face folder.", "",
        "## Model details", "",
        f"- Architecture: {c['layers']} layers, width {c['width']}, {c['heads']} heads, feed-forward {c['ffn']}, "
        f"context {c['context']} tokens, {'tied' if c['tied_embeddings'] else 'untied'} embeddings",
        f"- Parameters: {info['parameters']:,}",
        f"- Tokenizer: `{c['tokenizer']}`, vocabulary {counts.get('vocab_size', '?'):,}, "
        f"tokenizer.json SHA-256 `{d['tokenizer_sha256']}`",
        f"- Developed by: {BLANK.format(what='who trained it, and their contact')}",
        f"- Licence: {BLANK.format(what='the licence, compatible with the training data licences')}",
        "",
        "## Intended use", "",
        "- Intended: measuring and modelling text in the training language(s), e.g. as a local baseline "
        "for `lugha eval bpb`, scoring or ranking text, and a starting point for further training.",
        "- Not intended: facts, advice or any decision about people. A model this size writes fluent-looking "
        "but unreliable text.",
        f"- Primary users and out-of-scope uses: {BLANK.format(what='who will use it, and for what not')}",
        "",
        "## Training data", "",
        f"- Languages: {_languages(d['inputs'])}",
        f"- Documents: {counts['documents']:,} read, {counts['train']:,} for training, {counts['validation']:,} "
        f"held out for validation (by document hash), {counts['dropped_eval_overlap']:,} dropped because they "
        f"also occur in an evaluation file, {counts['blank']:,} blank, {counts['unreadable']:,} unreadable",
        f"- Tokens: {counts['train_tokens']:,} training, {counts['val_tokens']:,} validation "
        f"({counts['train_bytes']:,} bytes of training text)",
        "- Files (SHA-256):",
        *[f"  - `{p}` `{h}`" for p, h in d["inputs"].items()],
        *(["- Evaluation files kept out of training (SHA-256):",
           *[f"  - `{p}` `{h}`" for p, h in d["eval_inputs"].items()]] if d["eval_inputs"] else []),
        f"- Provenance, consent and licences of the text: {BLANK.format(what='where the text comes from and on what terms')}",
        "",
        "## Training", "",
        f"- {info['steps']:,} steps, {info['tokens_seen']:,} tokens seen ({info['epochs']:.2f} epochs), "
        f"stopped by {'the time budget' if info['stopped_by'] == 'time' else 'the step count'}",
        f"- AdamW lr {c['lr']} (warm-up {c['warmup_steps']} steps, cosine to {c['min_lr_ratio']} x), weight decay "
        f"{c['weight_decay']}, clip {c['grad_clip']}, batch {c['batch_size']} x {c['grad_accum']} x {c['context']} tokens, "
        f"dtype {c['dtype']}",
        f"- Compute: {comp['device']}, {comp['processes']} process(es) x {comp['torch_threads']} threads, "
        f"{comp['wall_seconds'] / 60:.1f} min wall, {comp['cpu_seconds'] / 60:.1f} CPU-min, "
        f"{comp['tokens_per_second'] or 0:,.0f} tokens/s, peak RSS {comp['peak_rss_mb']:,.0f} MB"
        + (f", load average {comp['loadavg'][0]:.2f} at the end" if comp.get("loadavg") else ""),
        "",
        "## Evaluation", "",
        "Bits per byte (tokenizer-independent; `lugha eval bpb` computes the same figure on this folder):", "",
        "| text | documents | bytes | bits/byte |", "|---|---:|---:|---:|",
        f"| held-out validation split | {info['val_documents']:,} | {info['val_bytes']:,} | {info['val_bpb']:.4f} |",
        *[f"| `{p}` | {e['documents']:,} | {e['bytes']:,} | {e['bpb']:.4f} |" for p, e in info["eval"].items()],
        "",
        f"Validation loss: {info['val_loss']:.4f} nats/token.",
        f"Factors and groups the figure may hide: {BLANK.format(what='dialects, registers, scripts or sources the validation text under-represents')}",
        "",
        *_gguf_section(info),
        "## Ethical considerations and caveats", "",
        BLANK.format(what="risks for the speakers of the language, known biases of the text, and limitations"),
        "",
        "## Signature", "",
        f"`{format_signature(info['signature'])}`", "",
    ]
    return "\n".join(lines)
