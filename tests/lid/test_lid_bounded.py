"""Language ID's memory and time per document are bounded whatever the document's length: every
backend reads a bounded sample of a long document (`lid_sample`), and py3langid's batched feature
walk lays texts end to end instead of padding every text to the longest (issue 12, item 1: a 1 MB
line used to allocate documents x 1 MB int64 for its whole batch)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from lugha.lid.backends import LID_MAX_CHARS, LID_WINDOWS, lid_sample

# The bound docs/audit.md states: language ID on a batch of 1,024 documents, one of them 8 MiB,
# takes at most this much memory above its loaded models.
LID_BATCH_EXTRA_MB = 64

_PROBE = textwrap.dedent("""
    import json, re, sys, time
    from pathlib import Path

    def rss():
        s = open("/proc/self/status").read()
        return {k: int(re.search(k + r":\\s+(\\d+)", s).group(1)) / 1024 for k in ("VmRSS", "VmHWM")}

    from lugha.lid import Identifier

    data = Path(sys.argv[1])
    lines = [ln for ln in (data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()
             if ln.strip()]
    normal = (lines * 2)[:1023]
    para = " ".join(lines) + " "
    big = (para * (8 * 2**20 // len(para.encode()) + 1)).encode()[:8 * 2**20].decode("utf-8", "ignore")
    ident = Identifier(target="hau")
    alone = [p.lang for p in ident.identify(normal)]
    open("/proc/self/clear_refs", "w").write("5")  # reset the peak-RSS mark (VmHWM) to the current RSS
    base = rss()["VmRSS"]
    t = time.perf_counter()
    out = ident.identify(normal[:500] + [big] + normal[500:])
    seconds = time.perf_counter() - t
    print(json.dumps({"extra_mb": rss()["VmHWM"] - base, "seconds": seconds, "big_bytes": len(big.encode()),
                      "big": [out[500].lang, out[500].score],
                      "normal_same": [p.lang for p in out[:500] + out[501:]] == alone}))
""")


def test_an_8_mib_document_in_a_full_batch_stays_within_the_memory_bound(shared_data):
    p = subprocess.run([sys.executable, "-c", _PROBE, str(shared_data)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["big_bytes"] == 8 * 2**20
    assert r["extra_mb"] <= LID_BATCH_EXTRA_MB, r
    assert r["seconds"] < 20, r  # the whole batch; without the sample, py3langid alone walks 8M positions
    assert r["big"][0] == "hau", r
    assert r["normal_same"], "labels of the other 1,023 documents changed when a long one joined the batch"


def test_lid_sample_keeps_short_texts_and_samples_long_ones_evenly():
    short = "Kowa na da ikon ya zauna lafiya. " * 10
    assert lid_sample(short) is short
    exact = "a" * LID_MAX_CHARS
    assert lid_sample(exact) is exact
    words = [f"w{i:06d}" for i in range(20_000)]  # 7 characters + a space: every window is findable
    text = " ".join(words)
    s = lid_sample(text)
    assert len(s) <= LID_MAX_CHARS + LID_WINDOWS
    parts = s.split("\n")
    assert len(parts) == LID_WINDOWS
    assert parts[0].startswith("w000000") and parts[-1].endswith(words[-1])
    # windows start evenly spaced through the text, on word boundaries (no cut words)
    w = LID_MAX_CHARS // LID_WINDOWS
    vocab = set(words)
    for i, part in enumerate(parts):
        assert all(t in vocab for t in part.split(" ")), part[:40]
        expected = (len(text) - w) * i // (LID_WINDOWS - 1)
        assert abs(text.index(part) - expected) <= 32, (i, text.index(part), expected)


@pytest.mark.parametrize("n", [LID_MAX_CHARS + 1, 10 * LID_MAX_CHARS])
def test_lid_sample_without_spaces_is_still_bounded(n):
    text = "ሰላም" * (n // 3 + 1)
    s = lid_sample(text)
    assert len(s) <= LID_MAX_CHARS + LID_WINDOWS
    assert all(part and part in text for part in s.split("\n"))


def test_py3langid_dfa_depth_is_what_the_segmented_walk_assumes():
    """The segmented walk is exact only if the DFA's state depends on at most DFA_DEPTH bytes: the
    deepest state from the start state, by breadth-first search, is that deep."""
    import numpy as np

    from lugha.lid.backends import DFA_DEPTH, LangidBackend

    b = LangidBackend()
    nm, rb = b._nm, b._rowbase
    depth = np.full(len(rb), -1, dtype=np.int64)
    depth[0] = 0
    front, d = np.array([0]), 0
    while len(front):
        nxt = np.unique(nm[(rb[front][:, None] + np.arange(256)[None, :]).ravel()])
        nxt = nxt[depth[nxt] < 0]
        d += 1
        depth[nxt] = d
        front = nxt
    assert (depth >= 0).all() and int(depth.max()) == DFA_DEPTH


def test_py3langid_segmented_features_equal_its_own_walk_on_long_texts(shared_data):
    from collections import Counter

    from py3langid.langid import visit_counts

    from lugha.lid.backends import LangidBackend

    b = LangidBackend()
    lines = [ln for ln in (shared_data / "ntrex128" / "newstest2019-ref.amh.txt").read_text(encoding="utf-8")
             .splitlines() if ln.strip()]
    texts = ["", "a", "ሰላም", " ".join(lines[:40]), " ".join(lines[40:45]), "Kowa na da ’yancin " * 300]
    encoded = [b._encode(t) for t in texts]
    docs, feats, _ = b._features(encoded)
    for d, e in enumerate(encoded):
        got = Counter(feats[docs == d].tolist())
        want = visit_counts(b._id.tk_nextmove, b._id._rowbase, b._id.tk_output, e) or Counter()
        assert got == want, (d, len(e))


def test_py3langid_feature_counts_equal_scipys_duplicate_summing(shared_data):
    """scores() counts (text, feature) pairs with one sort instead of scipy's COO -> CSR conversion:
    the class scores are bit-identical to summing the duplicates with scipy, on real text in several
    scripts, with empty, letterless and long texts in the batch."""
    import numpy as np
    from scipy.sparse import csr_matrix

    from lugha.lid.backends import LangidBackend

    b = LangidBackend()
    texts = []
    for code in ("hau", "amh", "arb", "swa", "zho-CN", "rus"):
        f = shared_data / "ntrex128" / f"newstest2019-ref.{code}.txt"
        texts += f.read_text(encoding="utf-8").splitlines()[:60]
    texts += ["", "12345", "ሰላም", "Kowa na da ’yancin " * 200]
    got = b.scores(texts)
    docs, feats, lens = b._features([b._encode(t) for t in texts])
    w = csr_matrix((np.ones(len(docs), dtype=np.float32), (docs, feats)), shape=(len(texts), b._ptc.shape[0]))
    w.sum_duplicates()
    np.log1p(w.data, out=w.data)
    ref = np.asarray(w @ b._ptc, dtype=np.float32)
    has = np.diff(w.indptr) > 0
    ref[has] += b._pc
    ref[~has] = 0.0
    ref *= (1.0 / np.sqrt(np.maximum(lens, 1))).astype(np.float32)[:, None]
    ref = np.exp(ref - ref.max(axis=1, keepdims=True))
    ref /= ref.sum(axis=1, keepdims=True)
    for i, j in b._alias:
        ref[:, i] += ref[:, j]
        ref[:, j] = 0.0
    assert len(texts) > 250 and np.array_equal(got, ref)
