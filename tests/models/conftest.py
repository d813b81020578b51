"""A tiny randomly initialised Llama-architecture model with a small BPE tokenizer, saved to a
temp folder once per session: the fast tests of the transformer code paths."""

from __future__ import annotations

import pytest

LINES = [
    "Gwamnati ta ce za ta gina sababbin makarantu a jihar.",
    "The government said it will build new schools in the state.",
    "Serikali imesema itajenga shule mpya katika jimbo hilo.",
    "ሀገሪቱ አዳዲስ ትምህርት ቤቶችን እንደምትገነባ ተናግራለች።",
]


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(LINES * 5, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=fast.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
                      pad_token_id=fast.pad_token_id)
    LlamaForCausalLM(cfg).save_pretrained(folder)
    return folder
