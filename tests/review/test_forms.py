"""Forms as data: TOML validation errors with file and line, answers, checklist scores, migration."""

import json
import sqlite3
from pathlib import Path

import pytest

from lugha.errors import LughaError
from lugha.review import forms, store
from lugha.review.forms import load_form, parse_form
from lugha.review.stats import checklist_score
from lugha.review.results import compute

GOOD = """\
name = "mini"
shows = "generation"

[[criterion]]
id = "ok"
kind = "choice"
question = "Is it right?"
choices = [{ value = "yes", key = "1" }, { value = "no", key = "2" }]

[[criterion]]
id = "harm"
kind = "scale"
points = 3
question = "Harm?"

[[criterion]]
id = "why"
kind = "text"
question = "Why harmful?"
required_if = { criterion = "harm", in = ["3"] }
"""


def _err(text: str, tmp_path: Path) -> str:
    p = tmp_path / "form.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(LughaError) as e:
        load_form(p)
    return str(e.value).replace(str(p), "F")


@pytest.mark.parametrize("edit, message", [
    # (replace this, with this) -> the exact one-line error
    (('kind = "scale"', 'kind = "likert"'), "F:12: criterion 'harm': kind must be one of choice, scale, flag, checklist, text, got 'likert'"),
    (("points = 3", "points = 1"), "F:13: criterion 'harm': points must be a whole number from 2 to 10"),
    (('id = "harm"', 'id = "ok"'), "F:11: criterion id 'ok' is used twice"),
    (('in = ["3"]', 'in = ["4"]'), "F:20: criterion 'why': required_if value '4' is not an answer of 'harm'"),
    (('criterion = "harm"', 'criterion = "later"'), "F:20: criterion 'why': required_if names 'later', which is not an earlier criterion"),
    (('question = "Harm?"', 'questoin = "Harm?"'), "F:14: unknown key 'questoin' in a criterion; expected anchors, choices, help, id, items, key, kind, level, max_chars, points, question, required, required_if, sides"),
    (('key = "2"', 'key = "1"'), "F:8: key '1' is already used by 'ok'"),
    (('shows = "generation"', 'shows = "video"'), "F:2: shows must be one of text, generation, image, pair, got 'video'"),
    (('name = "mini"', 'name = "Mini Form"'), "F:1: a form needs a name: lower-case letters, digits and _ (e.g. name = \"rubric\")"),
    (('points = 3', 'points = 3\nlevel = "fuzzy"'), "F:14: criterion 'harm': level must be one of nominal, ordinal, interval, ratio, got 'fuzzy'"),
    (('[{ value = "yes", key = "1" }, { value = "no", key = "2" }]', '[{ value = "yes" }]'), "F:8: criterion 'ok': a choice needs at least two choices"),
    (('shows = "generation"', 'shows = "generation"\ncolour = "red"'), "F:3: unknown key 'colour'; a form has blind, criterion, description, name, per_reviewer_order, shows, submit_key, submit_on_choice, title"),
])
def test_form_errors_name_file_and_line(tmp_path, edit, message):
    assert edit[0] in GOOD
    assert _err(GOOD.replace(edit[0], edit[1], 1), tmp_path) == message


def test_toml_syntax_error_and_checklist_errors(tmp_path):
    # tomllib (3.11) puts the position in the message; the error carries it as path:line (shared read_toml).
    assert _err(GOOD.replace('points = 3', 'points = = 3'), tmp_path) == \
        "F:13: invalid TOML: Invalid value (column 10)"
    bad = ('name = "c"\nshows = "generation"\n[[criterion]]\nid = "c"\nkind = "checklist"\nquestion = "q"\n'
           'items = [{ id = "bad", text = "x", points = -3 }]\n')
    assert _err(bad, tmp_path) == "F:7: criterion 'c': a checklist needs at least one item with positive points"
    assert _err(bad.replace("points = -3", "points = 0"), tmp_path) == \
        "F:7: criterion 'c': item 'bad' needs non-zero points (negative for something an answer must not do)"
    pair = 'name = "p"\nshows = "pair"\n[[criterion]]\nid = "x"\nkind = "flag"\nquestion = "q"\n'
    assert _err(pair, tmp_path) == "F:2: a pair form needs a choice criterion with sides = true (which answer is better)"
    with pytest.raises(LughaError, match="no such form file"):
        load_form(tmp_path / "missing.toml")


def test_package_forms_load_and_keep_the_old_questions():
    assert set(forms.PACKAGE_FORMS) == {"corpus", "generation", "image", "rubric", "checklist", "ab", "crisis", "stereotype"}
    for name in forms.PACKAGE_FORMS:
        assert forms.package_form(name).name == name
    rubric = forms.package_form("rubric")
    assert [c.id for c in rubric.criteria if c.kind == "scale"] == [
        "correct", "omission", "hallucination", "reasoning", "local_expertise", "bias", "harm"]
    assert all(c.values == ["1", "2", "3", "4", "5"] for c in rubric.criteria if c.kind == "scale")
    assert rubric.blind and rubric.per_reviewer_order
    corpus = forms.FORMS["corpus"]
    assert corpus.labels == ["CC", "CB", "CS", "WL", "NL"] and corpus.submit_on_choice
    assert [f.value for f in corpus.flags] == ["offensive", "porn"]


def test_answers_are_validated_with_conditions():
    f = parse_form(GOOD)
    assert f.validate({"ok": "yes", "harm": "2"}) == {"ok": "yes", "harm": 2, "why": ""}
    with pytest.raises(ValueError, match=r"^Why harmful\? is required when Harm\? is 3$"):
        f.validate({"ok": "yes", "harm": "3", "why": "  "})
    assert f.validate({"ok": "no", "harm": "3", "why": "dose"})["why"] == "dose"
    with pytest.raises(ValueError, match=r"^Harm\? needs one of 1, 2, 3$"):
        f.validate({"ok": "yes"})
    with pytest.raises(ValueError, match=r"^'7' is not one of 1, 2, 3$"):
        f.validate({"ok": "yes", "harm": "7"})
    with pytest.raises(ValueError, match="unknown criterion 'nope'"):
        f.validate({"ok": "yes", "harm": "1", "nope": "x"})


def test_checklist_score_by_hand():
    # +10 +5 +5 -8: possible = 20.
    crit = [(10, True), (5, False), (5, True), (-8, False)]
    assert checklist_score(crit) == pytest.approx(15 / 20)
    # A negative criterion met: (10 + 5 - 8) / 20 = 0.35
    assert checklist_score([(10, True), (5, False), (5, True), (-8, True)]) == pytest.approx(7 / 20)
    # Below zero is clipped to 0: (5 - 8) / 20 -> 0
    assert checklist_score([(10, False), (5, True), (5, False), (-8, True)]) == 0.0
    assert checklist_score([(3, True), (-1, True)]) == pytest.approx(2 / 3)
    assert checklist_score([(-5, True)]) is None  # no positive points: undefined
    # Through the package form: urgent_care 10, correct_dose 7, asks_context 5, plain_language 3
    # (possible 25), harmful_advice -10, false_reassurance -6.
    f = forms.package_form("checklist")
    a = f.validate({"checklist": ["urgent_care", "plain_language", "harmful_advice"]})
    assert f.scores(a) == {"checklist": pytest.approx((10 + 3 - 10) / 25)}
    a = f.validate({"checklist": ["plain_language", "harmful_advice", "false_reassurance"]})
    assert f.scores(a) == {"checklist": 0.0}
    a = f.validate({"checklist": ["urgent_care", "correct_dose", "asks_context", "plain_language"]})
    assert f.scores(a) == {"checklist": 1.0}


V1 = (Path(__file__).parent / "fixtures/schema_v1.sql").read_text(encoding="utf-8")


def test_a_schema_1_project_opens_migrated_with_its_labels(tmp_path):
    """A project written by lugha before forms were data: labels, flags and comments survive, the
    results are the same, and new answers can be saved."""
    db = tmp_path / "old.db"
    c = sqlite3.connect(db)
    c.executescript(V1)
    c.executescript("""
      INSERT INTO meta VALUES ('schema_version', '1'), ('admin_token_sha256', 'x'), ('csrf_secret', 's');
      INSERT INTO batches VALUES (1, 'corpus', 'a.parquet', 'abc', '{"seed": 3, "reviewers_per_item": 2}',
                                  '{"CC": 2, "WL": 1}', 0);
      INSERT INTO batches VALUES (2, 'generation', 'g.jsonl', 'def', '{"seed": 0, "reviewers_per_item": 1}',
                                  '{"m1": 1}', 0);
      INSERT INTO items(id, batch_id, kind, position, k, n_assigned, stratum, text, auto_category)
        VALUES (1, 1, 'corpus', 0, 2, 2, 'CC', 'ሰላም', 'CC'), (2, 1, 'corpus', 1, 2, 2, 'CC', 'ዓለም', 'CC'),
               (3, 1, 'corpus', 2, 2, 0, 'WL', 'hello', 'WL');
      INSERT INTO items(id, batch_id, kind, position, k, n_assigned, stratum, text, prompt, model)
        VALUES (4, 2, 'generation', 3, 1, 1, 'm1', 'out', 'p', 'm1');
      UPDATE counters SET value = 1;
      INSERT INTO reviewers VALUES (1, 'amina', 'h1', 0), (2, 'berhe', 'h2', 0);
      INSERT INTO assignments VALUES (1, 1, 0, 1), (1, 2, 0, 1), (2, 1, 0, 1), (2, 2, 0, 0), (4, 1, 0, 1);
      INSERT INTO labels VALUES (1, 1, 'CC', NULL, 'offensive', 'rude', 0, 0), (1, 2, 'CC', NULL, '', '', 0, 0),
                                (2, 1, 'WL', NULL, 'offensive,porn', '', 0, 0),
                                (4, 1, 'yes', 'fluent', 'unsafe', 'wrong dose', 0, 0);
    """)
    c.commit()
    c.close()
    conn = store.open_project(db)
    assert store.meta(conn, "schema_version") == store.SCHEMA_VERSION == "2"
    rows = {(r[0], r[1]): (r[2], json.loads(r[3])) for r in
            conn.execute("SELECT item_id, reviewer_id, comment, answers FROM labels")}
    assert rows[(1, 1)] == ("rude", {"label": "CC", "offensive": "yes", "porn": "no"})
    assert rows[(2, 1)][1] == {"label": "WL", "offensive": "yes", "porn": "yes"}
    assert rows[(4, 1)][1] == {"label": "yes", "rating": "fluent", "unsafe": "yes", "comment": "wrong dose"}
    assert store.form_of_batch(conn, 1).labels == ["CC", "CB", "CS", "WL", "NL"]
    res = compute(conn)
    cc = res["kinds"]["corpus"]["shares"]["strata"]["CC"]
    assert (cc["decided"], cc["labels"]["CC"]["count"], cc["labels"]["WL"]["count"]) == (2, 1, 1)  # CC, WL
    assert res["kinds"]["generation"]["flags"]["unsafe"]["share"] == 1.0
    # The migrated project works as a new one: berhe answers item 2, a new reviewer has a role.
    assert store.current_item(conn, 2) == 2
    store.save_label(conn, 2, 2, "WL", flags=["porn"])
    assert store.add_reviewer(conn, "chaltu", role="clinician")
    assert [r["role"] for r in store.reviewers(conn)] == [None, None, "clinician"]
    conn.close()
    store.open_project(db).close()  # opens again without migrating twice


def test_a_second_form_with_the_same_name_is_refused(tmp_path):
    from lugha.review.sampling import import_generations

    f = tmp_path / "gen.jsonl"
    f.write_text('{"prompt": "p", "output": "o", "model": "m"}\n', encoding="utf-8")
    db = tmp_path / "p.db"
    store.create_project(db)
    conn = store.open_project(db)
    b = import_generations(f)
    store.add_batch(conn, b.kind, b.source, b.sha256, b.params, b.population, b.items, 1, b.order)
    other = parse_form(forms.package_form("generation").toml.replace("Is it fluent?", "Fluent?"), "mine.toml")
    with pytest.raises(LughaError) as e:
        store.add_batch(conn, other, b.source, b.sha256, b.params, b.population, b.items, 1, b.order)
    assert str(e.value) == "mine.toml: this project already has a different form named 'generation'; give the new form another name"
    assert store.counts(conn)["items"] == 1  # the refused batch left nothing behind


def test_cli_prints_a_package_form_and_checks_an_edited_copy(cli, tmp_path):
    r = cli("review", "form", "rubric")
    assert r.exit_code == 0 and r.stdout == forms.package_form("rubric").toml
    mine = tmp_path / "mine.toml"
    mine.write_text(r.stdout.replace('name = "rubric"', 'name = "rubric_tir"')
                    .replace('id = "bias"', 'id = "bias"\nkey = "12"'), encoding="utf-8")
    r = cli("review", "form", mine, "--check")
    line = mine.read_text().splitlines().index('key = "12"') + 1
    assert r.exit_code == 2 and r.stderr.strip() == \
        f"lugha: error: {mine}:{line}: criterion 'bias': key must be one digit 1-9, got '12'"
    mine.write_text(mine.read_text().replace('key = "12"\n', ""), encoding="utf-8")
    r = cli("review", "form", mine, "--check")
    assert r.exit_code == 0 and r.stdout.startswith(f"{mine}: form 'rubric_tir' shows generation, blinded; 9 criteria: correct (scale)")
