import hashlib

import pytest

from lugha import __version__
from lugha.signature import UNKNOWN, Signature, digest, format_signature, inputs_digest, package_version


def test_build_hashes_each_input_and_round_trips(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes("ሰላም\n".encode())
    b.write_bytes(b"sannu\n")
    sig = Signature.build("audit", [a, b], params={"lang": "tir", "config": {"min_words": 5}},
                          backends={"lid": {"pycld2": "0.42", "heliport": "1.0.1"}})
    assert sig.inputs == {str(a): hashlib.sha256("ሰላም\n".encode()).hexdigest(),
                          str(b): hashlib.sha256(b"sannu\n").hexdigest()}
    d = sig.to_dict()
    assert list(d) == ["lugha", "task", "inputs", "params", "backends"] and d["lugha"] == __version__
    assert Signature.from_dict(d) == sig


def test_short_format_is_sacrebleu_style_and_cuts_hashes(tmp_path):
    sig = Signature("audit", {"x.txt": "a" * 64, "y.txt": "b" * 64}, {"lang": "tir", "keep": True, "alpha": 0.5,
                    "config": {"min_words": 5}}, {"lid": {"pycld2": "0.42", "heliport": "1.0.1"}}, "c" * 64, "0.1.0")
    both = inputs_digest(sig.inputs)
    cfg = digest({"min_words": 5})
    assert sig.format() == ("lugha:0.1.0|task:audit|lid:pycld2-0.42+heliport-1.0.1|lang:tir|keep:yes|alpha:0.5"
                            f"|config:{cfg[:12]}|model_sha256:{'c' * 12}|inputs:2@{both[:12]}")
    assert sig.format(short=False).endswith(f"|config:{cfg}|model_sha256:{'c' * 64}|inputs:2@{both}")
    assert str(sig) == sig.format()


def test_equal_inputs_under_other_names_give_the_same_digest():
    assert inputs_digest({"a": "1" * 64, "b": "2" * 64}) == inputs_digest({"z": "2" * 64, "y": "1" * 64})
    assert digest({"b": 1, "a": [1, 2]}) == digest({"a": [1, 2], "b": 1}) != digest({"a": [2, 1], "b": 1})


@pytest.mark.parametrize("old, inputs, model, backends", [
    ({"lugha": "0.1.0", "task": "bpb", "text_sha256": {"t.txt": "d" * 64}, "model_sha256": "e" * 64,
      "backend": "ngram"}, {"t.txt": "d" * 64}, "e" * 64, {"backend": "ngram"}),
    ({"lugha": "0.1.0", "task": "mt", "hyp_sha256": "1" * 64, "ref_sha256": "2" * 64},
     {"hyp": "1" * 64, "ref": "2" * 64}, None, {}),
    ({"lugha": "0.1.0", "lang": "hau", "lid": {"pycld2": "0.42"}, "inputs": {"c.txt": "3" * 64}},
     {"c.txt": "3" * 64}, None, {"lid": {"pycld2": "0.42"}}),
])
def test_signatures_written_before_the_spine_still_read(old, inputs, model, backends):
    sig = Signature.from_dict(old)
    assert (sig.inputs, sig.model, sig.backends, sig.lugha) == (inputs, model, backends, "0.1.0")
    assert "_sha256:" not in format_signature(old).replace("model_sha256:", "")


def test_one_version_helper_with_one_fallback():
    import pyarrow

    assert package_version("pyarrow") == pyarrow.__version__
    assert package_version("no-such-distribution-lugha") == UNKNOWN == "unknown"
