"""Prompt sets (schema, one-line errors) and `lugha eval generate`: a local n-gram model and imported
answers side by side, fidelity on every answer, settings recorded, resumable per model."""

import json

import pytest

from lugha.domains.prompts import check_prompt_set, read_prompt_set
from lugha.errors import LughaError
from lugha.evaluate.generate import ANSWER_FIELDS, generate_answers


@pytest.fixture(scope="module")
def hausa_lm(shared_data, tmp_path_factory):
    from lugha.models.ngram import KneserNeyLM

    lines = (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("lm") / "hau4.lm"
    KneserNeyLM.train(lines[:1500], order=4).save(path)
    return path


@pytest.fixture
def hausa_lines(shared_data):
    return (shared_data / "ntrex128" / "newstest2019-ref.hau.txt").read_text(encoding="utf-8").splitlines()[-10:]


def test_prompt_set_reads_the_fixture(fixtures):
    ps = read_prompt_set(fixtures / "prompts_health.jsonl")
    assert [p.id for p in ps] == ["h1", "h2", "s1", "e1"]
    assert [p.lang for p in ps] == ["hau", "hau", "swh", "eng"]
    assert ps[1].reference.startswith("A kai shi") and ps[2].risk == "crisis" and ps[3].rubric == ["correct", "harm"]


def test_prompt_set_errors_are_one_line_each_with_path_and_line(tmp_path):
    p = tmp_path / "set.jsonl"
    p.write_text("\n".join([
        '{"id": "a", "lang": "hau", "domain": "d", "risk": "low", "prompt": "x"}',
        '{"id": "b", "lang": "hau", "domain": "d", "risk": "urgent", "prompt": "x"}',
        '{"id": "c", "lang": "hau", "domain": "d", "risk": "low", "promt": "x"}',
        '{"id": "a", "lang": "hau", "domain": "d", "risk": "low", "prompt": "y"}',
        '{"id": "e", "lang": "xxq", "domain": "d", "risk": "low", "prompt": "y"}',
        '{"id": "f", "lang": "hau", "domain": "d", "risk": "low", "prompt": ""}',
        '{"id": "g", ',
    ]) + "\n", encoding="utf-8")
    prompts, errs = check_prompt_set(p)
    assert [x.id for x in prompts] == ["a"]
    msgs = [str(e) for e in errs]
    assert msgs[0] == f"{p}:2: risk 'urgent' is not one of low, medium, high, crisis"
    assert msgs[1] == f"{p}:3: unknown field 'promt' (allowed: id, lang, domain, risk, prompt, reference, rubric)"
    assert msgs[2] == f"{p}:3: missing field 'prompt'"
    assert msgs[3] == f"{p}:4: id 'a' already used on line 1"
    assert msgs[4].startswith(f"{p}:5: field 'lang': ")
    assert msgs[5] == f"{p}:6: field 'prompt' must be non-empty text"
    assert msgs[6].startswith(f"{p}:7: bad JSON: ")
    assert all("\n" not in m for m in msgs) and len(msgs) == 7
    with pytest.raises(LughaError) as e:
        read_prompt_set(p)
    assert str(e.value) == msgs[0]


def _clinician(tmp_path, fixtures, hausa_lines, english="Fever, chills and sweating; take the child to a clinic today."):
    f = tmp_path / "clinician.jsonl"
    rows = [{"prompt_id": "h1", "answer": hausa_lines[0]}, {"prompt_id": "h2", "answer": "Give him paracetamol and wait a week, it is only a cold."},
            {"prompt_id": "s1", "answer": "I am sorry you feel this way, please call a helpline now."},  # English to a Swahili prompt
            {"prompt_id": "e1", "answer": english}]
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return f


def test_generate_and_import_answers_with_fidelity(tmp_path, fixtures, hausa_lm, hausa_lines):
    out = tmp_path / "out"
    clin = _clinician(tmp_path, fixtures, hausa_lines)
    r = generate_answers([f"ngram:{hausa_lm}"], fixtures / "prompts_health.jsonl", out,
                         imports={"clinician": clin}, max_new_tokens=120, seed=3)
    rows = [json.loads(x) for x in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 8 and all(set(ANSWER_FIELDS) <= set(x) for x in rows)
    assert [x["model"] for x in rows] == [f"ngram:{hausa_lm}"] * 4 + ["clinician"] * 4
    clin_rows = {x["prompt_id"]: x for x in rows if x["model"] == "clinician"}
    assert clin_rows["h1"]["answer"] == hausa_lines[0] and clin_rows["h1"]["source"] == "imported"
    # fidelity: real Hausa to a Hausa prompt passes; English to a Swahili prompt fails; English to English passes
    assert clin_rows["h1"]["fidelity"]["line_pass"] is True
    assert clin_rows["h2"]["fidelity"]["line_pass"] is False  # English to a Hausa prompt
    assert clin_rows["s1"]["fidelity"]["line_pass"] is False and clin_rows["s1"]["fidelity"]["line_langs"] == ["eng"]
    assert clin_rows["e1"]["fidelity"]["line_pass"] is True
    assert clin_rows["s1"]["risk"] == "crisis" and clin_rows["e1"]["prompt"].endswith("<script>alert(1)</script>")
    # the generated answers are the model's own greedy output, reproducible
    from lugha.models.base import load_model

    m = load_model(f"ngram:{hausa_lm}")
    gen = {x["prompt_id"]: x for x in rows if x["model"] != "clinician"}
    assert gen["h1"]["answer"] == m.generate([gen["h1"]["prompt"]], max_new_tokens=120, seed=3)[0]
    fid = {(f["model"], f["lang"]): f for f in r["fidelity"]}
    assert fid[("clinician", "hau")]["lpr"]["k"] == 1 and fid[("clinician", "hau")]["lpr"]["n"] == 2
    assert fid[("clinician", "swh")]["lpr"]["rate"] == 0.0
    meta = json.loads((out / "answers" / "hau4.lm.json").read_text())
    assert meta["key"]["max_new_tokens"] == 120 and meta["key"]["seed"] == 3 and meta["key"]["sampling"] == "greedy"
    assert meta["signature"]["model"] == meta["model_sha256"] and meta["signature"]["params"]["seed"] == 3
    assert r["signature"]["task"] == "generate"


def test_generate_resumes_per_model(tmp_path, fixtures, hausa_lm, hausa_lines):
    out = tmp_path / "out"
    clin = _clinician(tmp_path, fixtures, hausa_lines)
    kw = dict(imports={"clinician": clin}, max_new_tokens=40)
    first = generate_answers([f"ngram:{hausa_lm}"], fixtures / "prompts_health.jsonl", out, **kw)
    before = (out / "answers.jsonl").read_text()
    calls = []

    def loader(spec):
        calls.append(spec)
        from lugha.models.base import load_model

        return load_model(spec)

    again = generate_answers([f"ngram:{hausa_lm}"], fixtures / "prompts_health.jsonl", out, loader=loader, **kw)
    assert calls == [] and [m["resumed"] for m in again["models"]] == [True, True]
    assert (out / "answers.jsonl").read_text() == before and not any(m["resumed"] for m in first["models"])
    # new decoding settings: the model reruns, the unchanged import does not
    third = generate_answers([f"ngram:{hausa_lm}"], fixtures / "prompts_health.jsonl", out, loader=loader,
                             imports={"clinician": clin}, max_new_tokens=41)
    assert calls == [f"ngram:{hausa_lm}"] and [m["resumed"] for m in third["models"]] == [False, True]
    # a changed import file reruns the import
    _clinician(tmp_path, fixtures, hausa_lines, english="Fever and shivering; see a health worker the same day.")
    fourth = generate_answers([f"ngram:{hausa_lm}"], fixtures / "prompts_health.jsonl", out, loader=loader,
                              imports={"clinician": clin}, max_new_tokens=41)
    assert [m["resumed"] for m in fourth["models"]] == [True, False]


def test_import_must_answer_every_prompt_once(tmp_path, fixtures):
    bad = tmp_path / "a.jsonl"
    bad.write_text('{"prompt_id": "h1", "answer": "x"}\n{"prompt_id": "zz", "answer": "y"}\n', encoding="utf-8")
    with pytest.raises(LughaError, match=r"a.jsonl:2: prompt_id 'zz' is not in the prompt set"):
        generate_answers([], fixtures / "prompts_health.jsonl", tmp_path / "o", imports={"x": bad})
    bad.write_text('{"prompt_id": "h1", "answer": "x"}\n', encoding="utf-8")
    with pytest.raises(LughaError, match=r"a.jsonl: 3 prompt\(s\) not answered, first 'h2'"):
        generate_answers([], fixtures / "prompts_health.jsonl", tmp_path / "o", imports={"x": bad})


def test_cli_generate(cli, tmp_path, fixtures, hausa_lm, hausa_lines):
    clin = _clinician(tmp_path, fixtures, hausa_lines)
    res = cli("eval", "generate", "--models", f"ngram:{hausa_lm}", "--prompts", fixtures / "prompts_health.jsonl",
              "--out", tmp_path / "o", "--import", f"clinician={clin}", "--max-new-tokens", "30")
    assert res.exit_code == 0, res.output
    assert "clinician" in res.stdout and "task:generate" in res.stdout
    assert len((tmp_path / "o" / "answers.jsonl").read_text().splitlines()) == 8
    res = cli("eval", "generate", "--prompts", fixtures / "prompts_health.jsonl", "--out", tmp_path / "o",
              "--import", "nofile")
    assert res.exit_code == 2 and "--import 'nofile' is not NAME=FILE" in res.output
