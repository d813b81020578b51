from lugha.corpus.dedup import DedupParams, band_hashes, normalise
from lugha.corpus.pii import count_pii, find_pii, mask, region_for
from lugha.corpus.signals import Boilerplate, char_profile, dominant_script, repetition, word_count, words


def test_geez_word_separator_splits_words():
    # Amharic UDHR style: words joined by ፡ with no spaces
    text = "የሰው፡ልጅ፡ሁሉ፡ሲወለድ፡ነጻና፡በክብርና፡በመብትም፡እኩልነት፡ያለው፡ነው።"
    assert words(text)[:3] == ["የሰው", "ልጅ", "ሁሉ"]
    assert word_count(text) == 10


def test_scripts_without_spaces_are_not_one_word():
    assert word_count("日本語のテキスト") == 8  # one per Han/kana character
    assert word_count("ภาษาไทยไม่มีช่องว่าง") == 5  # 20 chars / 4 per word


def test_script_profile_counts_letters_per_script():
    p = char_profile("ሰላም፡ለዓለም። Hello 123 مرحبا!")
    assert p.scripts == {"Ethi": 7, "Latn": 5, "Arab": 5}
    assert p.digits == 3 and p.spaces == 3
    assert dominant_script(p.scripts) == "Ethi"
    assert dominant_script({}) == "Zyyy"


def test_repetition_flags_repeated_text_only():
    toks = words("buy now " * 30)
    r = repetition("buy now " * 30, toks)
    assert r["top_2gram_frac"] > 0.4 and r["dup_5gram_frac"] > 0.9
    s = "Kowane mutum yana da ’yancin rayuwa, da ’yanci, da kuma kāriyar lafiyar jikinsa."
    assert repetition(s, words(s)) == {"dup_line_frac": 0.0, "top_2gram_frac": 0.0, "dup_5gram_frac": 0.0}


def test_boilerplate_phrases_match_on_word_boundaries():
    b = Boilerplate(["all rights reserved", "log in"])
    assert b.score("Copyright 2024. All Rights Reserved.\nLog in") == 1.0
    assert b.score("A login page\nnatural text") == 0.0  # 'log in' must not match inside 'login'


def test_boilerplate_substring_screen_gives_the_same_scores():
    b = Boilerplate(["all rights reserved", "log in", "haƙƙin mallaka"])
    assert b.score("Haƙƙin mallaka 2024\nlabari\n\nLOG IN") == 2 / 3
    assert b.score("no phrase here at all\nnor here") == 0.0
    assert b.score("reserved rights, all of them") == 0.0


def test_pii_kinds_spans_and_masking():
    t = "Andika info@habari.co.tz au piga 0712 345 678; seva 10.0.0.1 https://habari.co.tz/x."
    spans = find_pii(t, region_for("swh"))
    assert count_pii(spans) == {"email": 1, "phone": 1, "ip": 1, "url": 1}
    assert mask(t, spans) == "Andika <EMAIL> au piga <PHONE>; seva <IP> https://habari.co.tz/x."
    assert find_pii("Mwaka 2023 watu 1,234,567 walihesabiwa.", "TZ") == []  # numbers are not phones
    assert find_pii("Version 1.2.3.4000 and 999.1.1.1", None) == []  # not valid IPv4


def test_phone_prefilter_keeps_every_phone_and_skips_digit_heavy_text(monkeypatch):
    """libphonenumber only runs where a run of 7+ digits with phone punctuation exists; numbers in
    every usual shape still count, and dates and amounts never reach the (slow) matcher."""
    from lugha.corpus import pii

    for text, region in (("piga 0712 345 678 leo", "TZ"), ("kira +234 (803) 123-4567.", "NG"),
                         ("Lambar 0800-970000-10 kyauta ce", "NG"), ("ስልክ 0911-23-45-67 ነው", "ET"),
                         ("piga 0712.345.678", "TZ"), ("kira (0803) - 123 - 4567 yau", "NG")):
        assert count_pii(find_pii(text, region))["phone"] == 1, text

    def boom(text, region):
        raise AssertionError(f"libphonenumber ran on {text!r}")

    monkeypatch.setattr(pii, "_phones", boom)
    assert find_pii("A shekarar 2019 da 2020, naira 1,250,000 (45%) a ranar 12/10, 3:30 pm.", "NG") == []


def test_normalised_text_and_near_duplicate_bands():
    p = DedupParams()
    a = "Gwamnatin tarayya ta sanar da sabon tsarin biyan albashi ga ma'aikatan lafiya a fadin kasar."
    b = a.replace("sabon", "sabuwar")
    assert normalise("Hello,  World! 2024") == normalise("hello world")
    ba, bb = band_hashes(normalise(a), p), band_hashes(normalise(b), p)
    assert len(ba) == p.bands and len(set(ba) & set(bb)) >= 1  # one changed word: shares a band
    c = "Wani labari daban gaba daya game da wasan kwallon kafa da aka buga a jiya."
    assert not set(ba) & set(band_hashes(normalise(c), p))
    assert band_hashes("short", p) is None
    assert round(p.threshold(), 2) == 0.72


def test_batch_minhash_equals_datasketch_value_for_value():
    from datasketch import MinHash

    from lugha.corpus.dedup import batch_bands, bands_of, minhash_signatures, shingle_hash

    p = DedupParams()
    texts = [normalise(t) for t in ("ሕድሕድ ሰብ ብህይወት ናይ ምንባር፣ ናይ ነፃነትን ድሕንነትን መሰል ኦለዎ፡፡",
                                    "Kila mtu anayo haki ya kuishi, uhuru na usalama wa nafsi yake.", "tiny")]
    sigs = minhash_signatures(texts, p)
    for t, sig in zip(texts[:2], sigs[:2]):
        m = MinHash(num_perm=p.num_perm, seed=p.seed, scheme="affine32", hashfunc=shingle_hash)
        m.update_batch({t[i:i + 5] for i in range(len(t) - 4)})
        assert (m.hashvalues == sig).all()
    assert sigs[2] is None
    assert batch_bands(sigs, p) == [bands_of(sigs[0], p), bands_of(sigs[1], p), None]


def _assert_datasketch_signatures(texts: list[str], p: DedupParams) -> None:
    """Each text's batch signature is datasketch's MinHash of its 5-character shingles; None below min_chars."""
    from datasketch import MinHash

    from lugha.corpus.dedup import minhash_signatures, shingle_hash

    for t, sig in zip(texts, minhash_signatures(texts, p)):
        if len(t) < p.min_chars:
            assert sig is None
            continue
        m = MinHash(num_perm=p.num_perm, seed=p.seed, scheme="affine32", hashfunc=shingle_hash)
        m.update_batch({t[i:i + 5] for i in range(len(t) - 4)})
        assert (m.hashvalues == sig).all()


def test_batch_minhash_equals_datasketch_across_chunks():
    """Texts are hashed in chunks joined end to end: no shingle may straddle two texts, whatever
    their lengths (exactly min_chars, long, short ones skipped in between, several chunks)."""
    import random

    p = DedupParams()
    rng = random.Random(7)
    alphabet = "abcdeሀለሐመሠረሰ ابتث "
    texts = []
    for i in range(101):
        n = rng.choice([3, p.min_chars - 1, p.min_chars, p.min_chars + 1, 60, 400])
        texts.append("".join(rng.choice(alphabet) for _ in range(n)))
    _assert_datasketch_signatures(texts, p)


def test_batch_minhash_equals_datasketch_on_long_texts():
    """Long texts are hashed in overlapping pieces and permuted in cache-sized blocks: a text across
    several blocks (9,000 characters) and several pieces (150,000) still gets datasketch's signature."""
    import random

    p = DedupParams()
    rng = random.Random(11)
    words = ["kasuwa", "gwamnati", "ƙasa", "ሰብ", "mtu", "haki", "na", "da", "a", "labari"]
    texts = [" ".join(rng.choice(words) for _ in range(n)) for n in (4, 2_000, 30, 30_000, 2)]
    assert len(texts[1]) > 8192 and len(texts[3]) > 2 * (1 << 16)
    # few distinct shingles, and unique ones across the first piece boundary (65,536): a shingle
    # lost or doubled at a piece edge changes the signature
    texts.append(("ab " * 30_000)[:65_530] + "qwertyuiop" + "ab " * 100)
    _assert_datasketch_signatures(texts, p)


def test_minhash_memory_is_bounded_on_an_8_mib_text():
    """An 8 MiB text: the arrays MinHash allocates stay under 64 MB (they were shingles x 112 x 4 B,
    3.5 GB, before the blocked permutation)."""
    import tracemalloc

    from lugha.corpus.dedup import minhash_signatures

    text = ("kowa na da ikon ya zauna lafiya " * (8 * 2**20 // 32 + 1))[:8 * 2**20]
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        sig = minhash_signatures([text], DedupParams())[0]
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert sig is not None
    assert peak < 64 * 2**20, peak


def test_cluster_equals_union_find_on_random_collisions():
    """The array-based cluster step gives what a plain union-find gives (earlier index as root),
    on random exact hashes and band collisions with long chains across bands."""
    import numpy as np

    from lugha.corpus.dedup import cluster

    rng = np.random.default_rng(3)
    n = 2000
    exact = rng.integers(0, 300, n).astype(np.int64)
    exact[rng.random(n) < 0.3] = 0  # no exact hash (too short)
    bands = [(np.nonzero(rng.random(n) < 0.8)[0], rng.integers(0, 1500, n)) for _ in range(4)]
    bands = [(idx, h[idx]) for idx, h in bands]

    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union_runs(keys, idx):
        first = {}
        for k, i in zip(keys.tolist(), idx.tolist()):
            if k in first:
                ra, rb = find(first[k]), find(i)
                parent[max(ra, rb)] = min(ra, rb)
            else:
                first[k] = i

    has = exact != 0
    union_runs(exact[has], np.arange(n)[has])
    for idx, h in bands:
        union_runs(h, idx)
    want = np.array([find(i) for i in range(n)])
    root, kind = cluster(n, exact, iter(bands))
    assert (root == want).all()
    assert 0 < (kind == 1).sum() and 0 < (kind == 2).sum()
    dup = root != np.arange(n)
    assert ((kind > 0) == dup).all()
    assert (exact[dup & (kind == 1)] == exact[root[dup & (kind == 1)]]).all()


def test_batched_char_profiles_equal_char_profile(shared_data):
    """The audit profiles a whole batch in one array pass; every count equals the one-text profile,
    on real text in many scripts, odd code points, and batches split into groups around long texts."""
    from lugha.corpus.signals import _PROFILE_CHARS, char_profile, char_profiles

    texts = []
    for f in sorted((shared_data / "ntrex128").glob("newstest2019-ref.*.txt"))[:46]:
        texts += f.read_text(encoding="utf-8").splitlines()[:20]
    texts += ["", "\x00\x01 \ud800x", "\U000F0000\U000F0003 abc", "\U00030000\U00030001 \U0003134a",
              "١٢٣ ፡። ☃ 😀 ̈a", "人人生而自由 ひらがな カタカナ 한국어"]
    assert char_profiles(texts) == [char_profile(t) for t in texts]
    long = ["ab c" * (_PROFILE_CHARS // 3), "short one", "ሰላም " * (_PROFILE_CHARS // 8), "x"]
    assert char_profiles(long) == [char_profile(t) for t in long]
