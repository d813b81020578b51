"""Local models: `lugha train lm` (LlamaForCausalLM from scratch with lugha's own loop), the data
pipeline (uint32 token arrays, held-out split, contamination check), checkpoints, the distributed
launch (torchrun DDP, Ray Train) and `lugha train ngram`. Needs the `[train]` extra."""
