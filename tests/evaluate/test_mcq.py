"""`lugha eval mcq`: reading the MMLU-clinical files, lm-eval's prompt character for character,
Wilson intervals and the paired gap by hand, reported figures from the paper's table, the CLI."""

import csv
import json

import pytest

from lugha.errors import LughaError
from lugha.evaluate import mcq

MMLU = "mmlu_clinical_afr"


class AlwaysLetter:
    """A model that always prefers one letter: its accuracy is the share of that answer in the file."""

    def __init__(self, letter="D"):
        self.letter = letter
        self.spec = f"always:{letter}"
        self.seen = []

    def choice_logliks(self, requests, progress=None):
        self.seen.extend(requests)
        return [[(0.0 if c.strip() == self.letter else -1.0, None) for c in conts] for _, conts in requests]

    def signature(self):
        return {"backend": "test-always", "model_sha256": "0" * 64}


def test_reads_the_headerless_csv_with_quoted_commas(shared_data):
    items = mcq.read_items(shared_data / MMLU / "college_medicine_val.csv")
    assert len(items) == 22
    assert items[0].choices[3] == ("the mercury has strong cohesive than adhesive forces, whereas water has "
                                   "strong adhesive than cohesive ones.")
    assert [it.answer for it in items].count(3) == 10  # ten answers are D
    assert mcq.parse_name("college_medicine_val_zu.csv") == ("college_medicine", "val", "zu")
    assert mcq.parse_name("virology_dev.csv") == ("virology", "dev", None)
    f = mcq.load_file(shared_data / MMLU / "clinical_knowledge_val_nso.csv")
    assert (f.subject, f.lang, len(f.items)) == ("clinical_knowledge", "nso", 29)
    assert mcq.load_file(shared_data / MMLU / "virology_val.csv").lang == "eng"


def test_prompt_is_lm_evals_mmlu_template_character_for_character(shared_data):
    d = shared_data / MMLU
    item = mcq.read_items(d / "college_medicine_val.csv")[1]
    shots = mcq.read_items(d / "college_medicine_dev.csv")[:1]
    got = mcq.context(item, "college_medicine", shots)
    want = (
        "The following are multiple choice questions (with answers) about college medicine.\n\n"
        "Glucose is transported into the muscle cell:\n"
        "A. via protein transporters called GLUT4.\n"
        "B. only in the presence of insulin.\n"
        "C. via hexokinase.\n"
        "D. via monocarbylic acid transporters.\n"
        "Answer: A\n\n"
        f"{item.question.strip()}\n"
        f"A. {item.choices[0]}\nB. {item.choices[1]}\nC. {item.choices[2]}\nD. {item.choices[3]}\n"
        "Answer:")
    assert got == want
    assert mcq.continuations() == [" A", " B", " C", " D"]
    assert mcq.context(item, "college_medicine").startswith(
        "The following are multiple choice questions (with answers) about college medicine.\n\n"
        + item.question.strip() + "\nA. ")


def test_accuracy_and_wilson_interval_by_hand(shared_data, tmp_path):
    d = shared_data / MMLU
    m = AlwaysLetter("D")
    r = mcq.evaluate_mcq(m, [d / "college_medicine_val.csv", d / "college_medicine_val_zu.csv"])
    en, zu = r["files"]
    assert (en["n"], en["correct"]) == (22, 10)
    # Wilson 10/22 by hand: centre (p + z^2/2n)/(1 + z^2/n) = 0.46130, half-width 0.19210
    assert en["ci95"] == [pytest.approx(0.26920, abs=1e-5), pytest.approx(0.65340, abs=1e-5)]
    assert en["chance"] == 0.25 and en["above_chance"] and not en["below_chance"]  # 0.269 > 0.25
    # the same items in Zulu have the same answers: the gap is exactly 0 on 22 pairs
    assert zu["english_gap"]["items"] == 22 and zu["english_gap"]["gap"] == 0.0
    assert r["languages"]["zul"]["english_gap"]["ci95"] == [0.0, 0.0]
    assert [x["pred"] for x in en["items"]] == ["D"] * 22
    assert sum(x["correct"] for x in en["items"]) == 10
    a = mcq.evaluate_mcq(AlwaysLetter("A"), [d / "college_medicine_val.csv"])["files"][0]
    # 4/22: Wilson 0.07307 .. 0.38517, straddles chance: neither below nor above it
    assert a["ci95"] == [pytest.approx(0.07307, abs=1e-5), pytest.approx(0.38517, abs=1e-5)]
    assert not a["below_chance"] and not a["above_chance"]
    sig = r["signature"]
    assert sig["task"] == "mcq" and sig["params"]["template"] == mcq.TEMPLATE and sig["model"] == "0" * 64
    assert set(sig["inputs"]) == {str(d / "college_medicine_val.csv"), str(d / "college_medicine_val_zu.csv")}


def test_paired_gap_by_hand():
    g = mcq.paired_gap({"1": True, "2": False, "3": True, "4": False, "9": True},
                       {"1": True, "2": True, "3": True, "4": False}, n_boot=500)
    assert g["items"] == 4  # item 9 has no English pair
    assert g["gap"] == -0.25 and g["only_english_right"] == 1 and g["only_lang_right"] == 0
    lo, hi = g["ci95"]
    assert -1 <= lo <= -0.25 <= hi <= 0


def test_few_shot_uses_the_dev_sibling_of_the_same_language(shared_data):
    d = shared_data / MMLU
    m = AlwaysLetter()
    r = mcq.evaluate_mcq(m, [d / "virology_val_am.csv"], shots=5)
    assert r["dev_files"] == {str(d / "virology_val_am.csv"): str(d / "virology_dev_am.csv")}
    dev = mcq.read_items(d / "virology_dev_am.csv")
    first_ctx = m.seen[0][0]
    assert first_ctx.count("\nAnswer: ") == 5 and dev[4].question.strip() in first_ctx
    with pytest.raises(LughaError, match="--shots 6 but the dev file has 5 questions"):
        mcq.evaluate_mcq(m, [d / "virology_val_am.csv"], shots=6)


def test_bad_rows_are_one_line_errors_with_file_and_line(tmp_path):
    bad = tmp_path / "x_val.csv"
    bad.write_text('q1,a,b,c,d,A\n"q2\nspans lines",a,b,c,d,B\nq3,a,b,c,d\n', encoding="utf-8")
    with pytest.raises(LughaError) as e:
        mcq.read_items(bad)
    assert str(e.value) == f"{bad}:4: expected 6 fields (question, A, B, C, D, answer), got 5"
    # a space after a comma is data (lm-eval keeps it): the shared reader does not drop it here
    bad.write_text("q1, a,b,c,d,A\n", encoding="utf-8")
    assert mcq.read_items(bad)[0].choices[0] == " a"
    bad.write_text("q1,a,b,c,d,E\n", encoding="utf-8")
    with pytest.raises(LughaError, match=r"x_val.csv:1: answer 'E' is not one of A, B, C, D"):
        mcq.read_items(bad)
    j = tmp_path / "x_val.jsonl"
    j.write_text('{"question": "q", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "C"}\n{"question": "q"}\n')
    with pytest.raises(LughaError, match=r"x_val.jsonl:2: missing column 'A'"):
        mcq.read_items(j)


def test_jsonl_gives_the_same_items_as_csv(shared_data, tmp_path):
    src = shared_data / MMLU / "virology_val_zu.csv"
    j = tmp_path / "virology_val_zu.jsonl"
    with open(src, newline="", encoding="utf-8") as f:
        j.write_text("".join(json.dumps(dict(zip(["question", "A", "B", "C", "D", "answer"], r)), ensure_ascii=False) + "\n"
                             for r in csv.reader(f)), encoding="utf-8")
    a, b = mcq.read_items(src), mcq.read_items(j)
    assert [(x.question, x.choices, x.answer) for x in a] == [(x.question, x.choices, x.answer) for x in b]
    assert mcq.load_file(j).lang == "zul"


def test_reported_figures_from_the_papers_table(shared_data):
    rep = mcq.reported_from_table(shared_data / MMLU / "paper_table_2.csv")
    assert len(rep) == 45 * 12
    llama = [e for e in rep if e["model"] == "Llama 3 8B IT" and e["task"] == "mmlu-college_medicine"]
    assert {e["lang"]: e["value"] for e in llama if e["lang"] in ("eng", "amh", "zul")} == \
        {"eng": pytest.approx(0.601), "amh": pytest.approx(0.162), "zul": pytest.approx(0.318)}
    hit = mcq.match_reported(rep, "Llama 3 8B IT", "amh", "college_medicine")
    assert hit["value"] == pytest.approx(0.162) and hit["split"] == "test"
    assert mcq.match_reported(rep, "Llama 3 8B IT", "amh", "virology")["value"] == pytest.approx(0.283)
    assert mcq.match_reported(rep, "gemma-3-270m", "amh", "virology") is None


def test_cli_writes_json_predictions_and_reports(cli, shared_data, tmp_path, monkeypatch):
    d = shared_data / MMLU
    monkeypatch.setattr("lugha.evaluate.cli._load", lambda spec: AlwaysLetter("D"))
    out = tmp_path / "r.json"
    res = cli("eval", "mcq", "--model", "hf:unused", str(d / "college_medicine_val.csv"),
              str(d / "college_medicine_val_am.csv"), "--json", out, "--predictions", tmp_path / "p.parquet",
              "--html", tmp_path / "r.html", "--md", tmp_path / "r.md",
              "--reported", d / "paper_table_2.csv", "--reported-as", "Llama 3 8B IT")
    assert res.exit_code == 0, res.output
    assert "amh" in res.stdout and "task:mcq" in res.stdout
    r = json.loads(out.read_text())
    assert r["files"][1]["lang"] == "amh" and r["files"][1]["reported"]["value"] == pytest.approx(0.162)
    assert r["signature"]["params"]["model_spec"] == "always:D"
    import pyarrow.parquet as pq

    t = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert len(t) == 44 and sum(x["correct"] for x in t) == 20 and t[0]["pred"] == "D"
    html = (tmp_path / "r.html").read_text()
    assert "<svg" in html and "college_medicine" in html
    md = (tmp_path / "r.md").read_text()
    assert "| eng | college\\_medicine | 22 | 45.5 | 26.9–65.3 | 25.0 |  | 60.1 (test split) |" in md
    assert "| amh | college\\_medicine | 22 | 45.5 | 26.9–65.3 | 25.0 | +0.0 \\[+0.0, +0.0\\] | 16.2 (test split) |" in md


def test_cli_checks_files_before_loading_the_model(cli, tmp_path):
    bad = tmp_path / "x_val.csv"
    bad.write_text("q,a,b,c\n", encoding="utf-8")
    res = cli("eval", "mcq", "--model", "gguf:/nonexistent.gguf", str(bad))
    assert res.exit_code == 2
    assert f"{bad}:1: expected 6 fields" in res.output


def test_a_model_without_choice_logliks_is_scored_by_loglik_differences(tmp_path, shared_data):
    """The n-gram backend has only loglik(): the continuation's log-likelihood is
    loglik(context + continuation) - loglik(context), exactly."""
    from lugha.models.ngram import KneserNeyLM
    from lugha.models.ngram_backend import NgramModel

    lines = (shared_data / "ntrex128" / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    KneserNeyLM.train(lines[:300], order=3).save(tmp_path / "eng3.lm")
    m = NgramModel(tmp_path / "eng3.lm")
    assert not hasattr(m, "choice_logliks")
    f = shared_data / MMLU / "virology_val.csv"
    r = mcq.evaluate_mcq(m, [f], n_boot=0)
    items = mcq.read_items(f)
    x, it = r["files"][0]["items"][2], items[2]
    ctx = mcq.context(it, "virology")
    want = [m.lm.text_logprob(ctx + c) - m.lm.text_logprob(ctx) for c in mcq.continuations()]
    assert x["loglik"] == [pytest.approx(w, abs=1e-9) for w in want]
    assert x["pred"] == "ABCD"[max(range(4), key=want.__getitem__)]
    assert r["files"][0]["n"] == 18 and r["signature"]["backends"]["model"] == "ngram-kn"
