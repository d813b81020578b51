"""`choice_logliks` (what `lugha eval mcq` scores with) against lm-eval's loglikelihood written out
by hand with a full forward pass of each context + continuation, on the tiny random Llama."""

import pytest


def _direct(model, ctx, cont):
    """lm-eval's HFLM: move the context's trailing spaces to the continuation, encode whole and
    context (BOS first), continuation = whole[len(context):], one unpadded forward pass."""
    import torch

    n = len(ctx) - len(ctx.rstrip())
    if n:
        ctx, cont = ctx[:-n], ctx[-n:] + cont
    bos = [model.tokenizer.bos_token_id]
    c = bos + model.tokenizer(ctx, add_special_tokens=False)["input_ids"]
    w = bos + model.tokenizer(ctx + cont, add_special_tokens=False)["input_ids"]
    k = w[len(c):]
    seq = c + k
    with torch.inference_mode():
        logits = model.model(input_ids=torch.tensor([seq[:-1]])).logits[0].float()
    lp = torch.log_softmax(logits[-len(k):], -1)
    tg = torch.tensor(k)
    return float(lp.gather(1, tg[:, None]).sum()), bool((lp.argmax(-1) == tg).all())


REQS = [
    ("Gwamnati ta ce za ta gina\nA. a\nB. b\nAnswer:", [" A", " B", " C", " D"]),
    ("Serikali imesema\nAnswer:", [" A", " B", " C", " D"]),
    ("The government said ", ["it will build new schools", "no", "ሀገሪቱ አዳዲስ"]),  # multi-token, trailing space
]


def test_choice_logliks_equal_lm_eval_style_direct_forward(tiny_llama):
    from lugha.models.base import load_model

    m = load_model(f"hf:{tiny_llama}")
    got = m.choice_logliks(REQS, batch_tokens=64)  # small batches: several rows padded together
    for (ctx, conts), row in zip(REQS, got):
        for cont, (ll, greedy) in zip(conts, row):
            want, want_greedy = _direct(m, ctx, cont)
            assert ll == pytest.approx(want, abs=1e-4)
            assert greedy == want_greedy
    # the head-only path was taken (and checked against the full logits) for this model
    assert m._head_only() is True
    # one request at a time gives the same numbers as the padded batches
    alone = [m.choice_logliks([r], batch_tokens=1)[0] for r in REQS]
    assert [[round(x, 4) for x, _ in r] for r in alone] == [[round(x, 4) for x, _ in r] for r in got]


def test_choice_logliks_full_logit_fallback_gives_the_same(tiny_llama):
    from lugha.models.base import load_model

    m = load_model(f"hf:{tiny_llama}")
    fast = m.choice_logliks(REQS)
    m._fast_ok = False  # as for a model whose output layer the check could not reproduce
    slow = m.choice_logliks(REQS)
    assert [[x for x, _ in r] for r in fast] == [[pytest.approx(x, abs=1e-4) for x, _ in r] for r in slow]
