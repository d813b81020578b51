"""The trained model: same normalisation at train and predict time, batch = one by one, file round trip."""

from __future__ import annotations

import unicodedata

import numpy as np

from lugha.lid.naive_bayes import NaiveBayesLID, ngram_buckets
from lugha.lid.normalize import normalize

TRAIN = {
    "zul": ["Bonke abantu bazalwa bekhululekile futhi belingana ngesithunzi nangamalungelo.",
            "Wonke umuntu unelungelo lokuphila, inkululeko nokuphepha komuntu."],
    "xho": ["Bonke abantu bazalwa bekhululekile belingana ngesidima nangamalungelo.",
            "Wonke umntu unelungelo lokuphila, inkululeko nokhuseleko lobuqu."],
    "tir": ["ኩሎም ሰባት ነጻን ማዕሪን ኮይኖም ዝተወልዱ እዮም።", "ነፍሲ ወከፍ ሰብ ናይ ህይወት ናይ ናጽነትን ናይ ድሕንነትን መሰል ኣለዎ።"],
    "amh": ["የሰው ልጅ ሁሉ ሲወለድ ነጻና በክብርና በመብትም እኩልነት ያለው ነው።", "እያንዳንዱ ሰው በሕይወት የመኖር፣ የነጻነትና የግል ደህንነት መብት አለው።"],
}


def _model():
    texts = [t for lang in TRAIN for t in TRAIN[lang]]
    labels = [lang for lang in TRAIN for _ in TRAIN[lang]]
    return NaiveBayesLID.fit(texts, labels, bits=14)


def test_normalisation_is_case_punctuation_nfc_and_geez_separator_blind():
    assert normalize("ሰብኣዊ፡መሰላት። ") == normalize("ሰብኣዊ መሰላት") == "ሰብኣዊ መሰላት"
    assert normalize("BONKE abantu, 2024!") == "bonke abantu"
    nfd = unicodedata.normalize("NFD", "Ẹ̀tọ́ ọmọnìyàn")
    assert normalize(nfd) == normalize("Ẹ̀tọ́ ọmọnìyàn") == unicodedata.normalize("NFC", "ẹ̀tọ́ ọmọnìyàn")
    m = _model()
    a = m.probabilities(["Bonke abantu bazalwa bekhululekile"])[0]
    b = m.probabilities(["BONKE abantu... bazalwa, bekhululekile!!"])[0]
    assert np.allclose(a, b)


def test_batch_equals_one_by_one_so_ngrams_never_cross_documents():
    m = _model()
    texts = ["Wonke umuntu", "ኩሎም ሰባት", "", "x", "Wonke umntu unelungelo", "123 !!"]
    batch = m.mean_log_prob(texts)
    single = np.vstack([m.mean_log_prob([t]) for t in texts])
    assert np.allclose(batch, single, atol=1e-5)
    assert m.predict(["", "123 !!"]) == [("und", 0.0), ("und", 0.0)]


def test_every_ngram_of_a_document_is_counted_once():
    buckets, starts = ngram_buckets(["ab", "c"], bits=10, max_n=5)
    pad = 1 << 10
    # " ab " has 4 + 3 + 2 + 1 = 10 n-grams (n = 1..4); " c " has 3 + 2 + 1 = 6 (buckets: n x position)
    assert list(starts) == [0, 4, 7]
    assert int((buckets[:, 0:4] != pad).sum()) == 10 and int((buckets[:, 4:7] != pad).sum()) == 6


def test_tigrinya_and_amharic_apart_and_save_load_round_trip(tmp_path):
    m = _model()
    m.fit_temperature([t for v in TRAIN.values() for t in v], [k for k, v in TRAIN.items() for _ in v])
    probe = ["ሰብ ኩሉ ናይ ህይወት መሰል ኣለዎ", "ሰው ሁሉ የሕይወት መብት አለው", "umntu unelungelo lokhuseleko"]
    assert [lab for lab, _ in m.predict(probe)] == ["tir", "amh", "xho"]
    path = m.save(tmp_path / "m.npz")
    back = NaiveBayesLID.load(path)
    assert back.langs == m.langs and back.temperature == m.temperature
    # float16 storage: decisions and probabilities survive
    assert [lab for lab, _ in back.predict(probe)] == ["tir", "amh", "xho"]
    assert np.allclose(back.probabilities(probe)[0], m.probabilities(probe)[0], atol=1e-2)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import regex  # noqa: E402

from lugha.lid.normalize import normalize_batch  # noqa: E402


def reference_normalize(text: str) -> str:
    """The documented definition, written the slow obvious way."""
    text = unicodedata.normalize("NFC", text).casefold()
    return regex.sub(r"[^\p{L}\p{M}]+", " ", text).strip()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8))
def test_vectorised_batch_normalisation_equals_the_definition(texts):
    # NFC and case folding on the joined batch, letters and spaces in NumPy: same result per text
    assert normalize_batch(texts) == [reference_normalize(t) for t in texts]


def test_normalisation_edge_cases():
    texts = ["", "  ", "!!", "a", " a ", "a\x00b", "ሰብ፡፡ሰብ", "x  y", "\ud800ab"]
    assert normalize_batch(texts) == [reference_normalize(t) for t in texts]
