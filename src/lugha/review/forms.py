"""Review forms as data: what a reviewer is asked, declared in TOML, validated, stored with each batch.

A form is a list of criteria. Each criterion has an ``id`` (the answer's key), a ``kind`` and a
question:

- ``choice``: one of a list of values (nominal), e.g. Kreutzer et al.'s corpus labels, or A/B/tie;
- ``scale``: a point on a 1..N scale (ordinal), e.g. AfriMed-QA's 5-point rubric criteria;
- ``flag``: a yes/no checkbox;
- ``checklist``: criteria met or not, each with + or - points; the answer's score is HealthBench's
  (points of the criteria met) / (sum of the positive points), clipped to [0, 1];
- ``text``: a free-text reason or comment.

Criteria are required unless ``required = false`` (flags and texts default to optional);
``required_if = {criterion = "harm", in = ["A", "B"]}`` makes one required only when another has
one of those answers. The package ships the forms in ``review/formdefs/*.toml``; a team passes its
own file by path (``--form my_rubric.toml``). Errors name the file and line (``path:line: msg``).

Corpus lines use the labels of Kreutzer et al. (2022, "Quality at a Glance"): CC correct language and
a natural sentence, CB correct language but boilerplate, CS correct language but a short fragment,
WL wrong language, NL not language at all; plus offensive and porn flags (formdefs/corpus.toml).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from lugha.errors import LughaError
from lugha.review.stats import checklist_score

CRITERION_KINDS = ("choice", "scale", "flag", "checklist", "text")
# What an item shows: a corpus line; a prompt and one output; a prompt and an image; a prompt and two
# outputs side by side (A/B).
SHOWS = ("text", "generation", "image", "pair")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_FORM_KEYS = {"name", "title", "shows", "blind", "submit_on_choice", "submit_key", "per_reviewer_order",
              "criterion", "description"}
_CRIT_KEYS = {"id", "kind", "question", "choices", "points", "anchors", "items", "required", "required_if",
              "level", "key", "sides", "max_chars", "help"}
MAX_TEXT = 10_000


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    key: str = ""  # the keyboard key (1-9) that picks it, or none


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    points: float


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: str
    question: str
    choices: tuple[Choice, ...] = ()      # choice and scale (scale values are "1".."N")
    items: tuple[ChecklistItem, ...] = ()  # checklist
    required: bool = True
    required_if: tuple[str, tuple[str, ...]] | None = None
    level: str = "nominal"
    key: str = ""                          # flag
    sides: bool = False                    # A/B values refer to the positions shown (swapped per reviewer)
    max_chars: int = MAX_TEXT
    help: str = ""

    @property
    def values(self) -> list[str]:
        return [c.value for c in self.choices]

    @property
    def positive_points(self) -> float:
        return sum(i.points for i in self.items if i.points > 0)


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    shows: str
    criteria: tuple[Criterion, ...]
    blind: bool = False
    submit_on_choice: bool = False  # pressing a primary key saves at once (corpus: fast lane)
    submit_key: str = "9"
    per_reviewer_order: bool = False
    description: str = ""
    source: str = ""
    toml: str = field(default="", repr=False, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.toml.encode("utf-8")).hexdigest()

    def criterion(self, cid: str) -> Criterion:
        return next(c for c in self.criteria if c.id == cid)

    # The label row's own columns (label, rating, flags, comment) keep the first choice or scale
    # answer, the second choice answer, the ticked flags and the first free text: what older exports
    # and the corpus/output results read. Every answer is in the row's `answers` JSON.
    @cached_property
    def primary(self) -> Criterion | None:
        return next((c for c in self.criteria if c.kind in ("choice", "scale")), None)

    @cached_property
    def second(self) -> Criterion | None:
        cs = [c for c in self.criteria if c.kind in ("choice", "scale")]
        return cs[1] if len(cs) > 1 else None

    @cached_property
    def comment_criterion(self) -> Criterion | None:
        return next((c for c in self.criteria if c.kind == "text"), None)

    @property
    def question(self) -> str:
        return self.primary.question if self.primary else self.title

    @property
    def choices(self) -> tuple[Choice, ...]:
        return self.primary.choices if self.primary else ()

    @property
    def labels(self) -> list[str]:
        return self.primary.values if self.primary else []

    @property
    def second_question(self) -> str:
        return self.second.question if self.second else ""

    @property
    def second_choices(self) -> tuple[Choice, ...]:
        return self.second.choices if self.second else ()

    @property
    def ratings(self) -> list[str]:
        return self.second.values if self.second else []

    @cached_property
    def flags(self) -> tuple[Choice, ...]:
        return tuple(Choice(c.id, c.question, c.key) for c in self.criteria if c.kind == "flag")

    @property
    def comment_prompt(self) -> str:
        c = self.comment_criterion
        return c.question if c else ""

    # ---- answers --------------------------------------------------------------------------------

    def validate(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Check one reviewer's answers and return them normalised (scale points as int, flags as
        "yes"/"no", checklists as the sorted ids met, texts cut to max_chars). Raises ValueError with
        a message a reviewer can act on."""
        unknown = sorted(set(answers) - {c.id for c in self.criteria})
        if unknown:
            raise ValueError(f"unknown criterion {unknown[0]!r}")
        out: dict[str, Any] = {}
        for c in self.criteria:
            v = answers.get(c.id)
            if c.kind in ("choice", "scale"):
                v = None if v is None or str(v) == "" else str(v)
                if v is not None and v not in c.values:
                    raise ValueError(f"{v!r} is not one of {', '.join(c.values)}")
                out[c.id] = int(v) if (v is not None and c.kind == "scale") else v
            elif c.kind == "flag":
                if v in (True, "yes", "on", "1", 1):
                    out[c.id] = "yes"
                elif v in (None, False, "", "no", "0", 0):
                    out[c.id] = "no"
                else:
                    raise ValueError(f"{c.question}: {v!r} is not yes or no")
            elif c.kind == "checklist":
                met = [v] if isinstance(v, str) else list(v or [])
                ids = [i.id for i in c.items]
                bad = [m for m in met if m not in ids]
                if bad:
                    raise ValueError(f"{c.question}: {bad[0]!r} is not one of {', '.join(ids)}")
                out[c.id] = sorted(set(met), key=ids.index)
            else:
                out[c.id] = str(v or "")[:c.max_chars]
        for c in self.criteria:
            if not self._required(c, out):
                continue
            empty = out[c.id] is None or (c.kind == "text" and not out[c.id].strip())
            if not empty:
                continue
            if c.kind in ("choice", "scale"):
                raise ValueError(f"{c.question} needs one of {', '.join(c.values)}")
            if c.required_if:
                other = self.criterion(c.required_if[0])
                raise ValueError(f"{c.question} is required when {other.question} is "
                                 f"{' or '.join(c.required_if[1])}")
            raise ValueError(f"{c.question} is required")
        return out

    def _required(self, c: Criterion, answers: Mapping[str, Any]) -> bool:
        if c.required_if:
            other, values = c.required_if
            return str(answers.get(other)) in values
        return c.required and c.kind in ("choice", "scale", "text")

    def scores(self, answers: Mapping[str, Any]) -> dict[str, float | None]:
        """Per checklist criterion, HealthBench's score of one answer (see ``checklist_score``)."""
        return {c.id: checklist_score([(i.points, i.id in answers.get(c.id, ())) for i in c.items])
                for c in self.criteria if c.kind == "checklist"}

    def swap_sides(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Answers given on a page that showed B first, back in the item's own A/B order."""
        flip = {"A": "B", "B": "A"}
        return {k: (flip.get(v, v) if self.criterion(k).sides and isinstance(v, str) else v)
                for k, v in answers.items()}


# ---- TOML -----------------------------------------------------------------------------------------

class _Where:
    """Line numbers for a TOML form: tomllib gives values only, so the n-th [[criterion]] header and
    the keys after it are found in the text."""

    def __init__(self, text: str, path: str):
        self.path = path
        self.lines = text.splitlines()
        self.headers = [i + 1 for i, ln in enumerate(self.lines)
                        if re.match(r"^\s*\[\[\s*criterion\s*\]\]\s*(#.*)?$", ln)]

    def line(self, crit: int | None = None, key: str | None = None) -> int | None:
        if crit is None:
            start, end = 1, (self.headers[0] - 1 if self.headers else len(self.lines))
        elif crit < len(self.headers):
            start = self.headers[crit]
            end = self.headers[crit + 1] - 1 if crit + 1 < len(self.headers) else len(self.lines)
        else:
            return None
        if key is None:
            return start
        for n in range(start, end + 1):
            if re.match(rf"^\s*{re.escape(key)}\s*=", self.lines[n - 1]):
                return n
        return start if crit is not None else None

    def error(self, message: str, crit: int | None = None, key: str | None = None) -> LughaError:
        return LughaError(message, self.path, self.line(crit, key))


def _toml_error_line(e: tomllib.TOMLDecodeError) -> tuple[str, int | None]:
    """Python 3.11-3.13 put the position in the message, not in e.lineno."""
    line = getattr(e, "lineno", None)
    msg = str(e.args[0]) if e.args else str(e)
    m = re.search(r"\s*\(at line (\d+), column \d+\)", msg)
    if m:
        line = line or int(m.group(1))
        msg = msg[:m.start()] + msg[m.end():]
    return msg, line


def parse_form(text: str, path: str = "<form>") -> Form:
    """A form from its TOML text; LughaError(path, line) on anything wrong with it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg, line = _toml_error_line(e)
        raise LughaError(f"not valid TOML ({msg})", path, line) from None
    w = _Where(text, path)
    for k in data:
        if k not in _FORM_KEYS:
            raise w.error(f"unknown key {k!r}; a form has {', '.join(sorted(_FORM_KEYS))}", None, k)
    name = data.get("name")
    if not isinstance(name, str) or not _ID.match(name):
        raise w.error("a form needs a name: lower-case letters, digits and _ (e.g. name = \"rubric\")",
                      None, "name" if "name" in data else None)
    shows = data.get("shows", "text")
    if shows not in SHOWS:
        raise w.error(f"shows must be one of {', '.join(SHOWS)}, got {shows!r}", None, "shows")
    for b in ("blind", "submit_on_choice", "per_reviewer_order"):
        if not isinstance(data.get(b, False), bool):
            raise w.error(f"{b} must be true or false", None, b)
    raw = data.get("criterion")
    if not isinstance(raw, list) or not raw:
        raise w.error("a form needs at least one [[criterion]]", None)
    criteria: list[Criterion] = []
    keys: dict[str, str] = {}
    for n, c in enumerate(raw):
        crit = _criterion(c, n, w, criteria, shows)
        for k in [crit.key] + [ch.key for ch in crit.choices]:
            if k:
                if k in keys:
                    raise w.error(f"key {k!r} is already used by {keys[k]!r}", n, "key" if crit.key == k else "choices")
                keys[k] = crit.id
        criteria.append(crit)
    submit_key = str(data.get("submit_key", "9"))
    if submit_key in keys:
        raise w.error(f"submit_key {submit_key!r} is already used by {keys[submit_key]!r}", None, "submit_key")
    form = Form(name=name, title=str(data.get("title", name)), shows=shows, criteria=tuple(criteria),
                blind=data.get("blind", False), submit_on_choice=data.get("submit_on_choice", False),
                submit_key=submit_key, per_reviewer_order=data.get("per_reviewer_order", data.get("blind", False)),
                description=str(data.get("description", "")), source=path, toml=text)
    if form.submit_on_choice:
        first = criteria[0]
        if first.kind != "choice" or not all(ch.key for ch in first.choices):
            raise w.error("submit_on_choice needs the first criterion to be a choice with a key on every value",
                          None, "submit_on_choice")
        if any(c.kind not in ("flag",) and c is not first and c.required for c in criteria):
            raise w.error("submit_on_choice: every criterion after the first must be optional",
                          None, "submit_on_choice")
    if shows == "pair" and not any(c.sides for c in criteria):
        raise w.error("a pair form needs a choice criterion with sides = true (which answer is better)", None, "shows")
    return form


def _criterion(c: Any, n: int, w: _Where, before: list[Criterion], shows: str) -> Criterion:
    if not isinstance(c, dict):
        raise w.error("each [[criterion]] must be a table", n)
    for k in c:
        if k not in _CRIT_KEYS:
            raise w.error(f"unknown key {k!r} in a criterion; expected {', '.join(sorted(_CRIT_KEYS))}", n, k)
    cid = c.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise w.error("a criterion needs an id: lower-case letters, digits and _", n, "id")
    if any(b.id == cid for b in before):
        raise w.error(f"criterion id {cid!r} is used twice", n, "id")
    kind = c.get("kind")
    if kind not in CRITERION_KINDS:
        raise w.error(f"criterion {cid!r}: kind must be one of {', '.join(CRITERION_KINDS)}, got {kind!r}", n, "kind")
    question = c.get("question")
    if not isinstance(question, str) or not question.strip():
        raise w.error(f"criterion {cid!r} needs a question", n, "question")
    default_level = {"choice": "nominal", "flag": "nominal", "text": "nominal", "scale": "ordinal",
                     "checklist": "interval"}[kind]
    level = c.get("level", default_level)
    if level not in LEVELS:
        raise w.error(f"criterion {cid!r}: level must be one of {', '.join(LEVELS)}, got {level!r}", n, "level")
    required = c.get("required", kind in ("choice", "scale"))
    if not isinstance(required, bool):
        raise w.error(f"criterion {cid!r}: required must be true or false", n, "required")
    key = str(c.get("key", ""))
    if key and not re.fullmatch(r"[1-9]", key):
        raise w.error(f"criterion {cid!r}: key must be one digit 1-9, got {key!r}", n, "key")
    choices: tuple[Choice, ...] = ()
    items: tuple[ChecklistItem, ...] = ()
    if kind == "choice":
        raw = c.get("choices")
        if not isinstance(raw, list) or len(raw) < 2:
            raise w.error(f"criterion {cid!r}: a choice needs at least two choices", n, "choices")
        out = []
        for ch in raw:
            if not isinstance(ch, dict) or not isinstance(ch.get("value"), str) or not ch["value"]:
                raise w.error(f"criterion {cid!r}: each choice needs a value (and text)", n, "choices")
            k = str(ch.get("key", ""))
            if k and not re.fullmatch(r"[1-9]", k):
                raise w.error(f"criterion {cid!r}: key must be one digit 1-9, got {k!r}", n, "choices")
            out.append(Choice(ch["value"], str(ch.get("text", ch["value"])), k))
        if len({ch.value for ch in out}) != len(out):
            raise w.error(f"criterion {cid!r}: a choice value is listed twice", n, "choices")
        choices = tuple(out)
    elif kind == "scale":
        points = c.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or not 2 <= points <= 10:
            raise w.error(f"criterion {cid!r}: points must be a whole number from 2 to 10", n, "points")
        anchors = c.get("anchors", [])
        if not isinstance(anchors, list) or (anchors and len(anchors) != points):
            raise w.error(f"criterion {cid!r}: anchors must name all {points} points", n, "anchors")
        choices = tuple(Choice(str(p), str(anchors[p - 1]) if anchors else str(p)) for p in range(1, points + 1))
    elif kind == "checklist":
        raw = c.get("items")
        if not isinstance(raw, list) or not raw:
            raise w.error(f"criterion {cid!r}: a checklist needs items", n, "items")
        out_i = []
        for it in raw:
            if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not _ID.match(it["id"]):
                raise w.error(f"criterion {cid!r}: each item needs an id (lower-case letters, digits, _)", n, "items")
            pts = it.get("points")
            if isinstance(pts, bool) or not isinstance(pts, (int, float)) or pts == 0:
                raise w.error(f"criterion {cid!r}: item {it['id']!r} needs non-zero points (negative for "
                              "something an answer must not do)", n, "items")
            out_i.append(ChecklistItem(it["id"], str(it.get("text", it["id"])), float(pts)))
        if len({i.id for i in out_i}) != len(out_i):
            raise w.error(f"criterion {cid!r}: an item id is listed twice", n, "items")
        if not any(i.points > 0 for i in out_i):
            raise w.error(f"criterion {cid!r}: a checklist needs at least one item with positive points", n, "items")
        items = tuple(out_i)
    sides = c.get("sides", False)
    if sides and (kind != "choice" or shows != "pair" or not {"A", "B"} <= {ch.value for ch in choices}):
        raise w.error(f"criterion {cid!r}: sides = true needs a choice with values A and B in a pair form",
                      n, "sides")
    req_if = None
    if "required_if" in c:
        r = c["required_if"]
        if not isinstance(r, dict) or set(r) != {"criterion", "in"} or not isinstance(r["in"], list):
            raise w.error(f"criterion {cid!r}: required_if must be {{criterion = \"id\", in = [values]}}",
                          n, "required_if")
        other = next((b for b in before if b.id == r["criterion"]), None)
        if other is None:
            raise w.error(f"criterion {cid!r}: required_if names {r['criterion']!r}, which is not an earlier "
                          "criterion", n, "required_if")
        allowed = other.values if other.kind in ("choice", "scale") else ["yes", "no"] if other.kind == "flag" else None
        bad = [v for v in r["in"] if allowed is None or str(v) not in allowed]
        if bad or not r["in"]:
            raise w.error(f"criterion {cid!r}: required_if value {bad[0] if bad else None!r} is not an answer "
                          f"of {other.id!r}", n, "required_if")
        req_if = (other.id, tuple(str(v) for v in r["in"]))
    max_chars = c.get("max_chars", MAX_TEXT)
    if not isinstance(max_chars, int) or not 1 <= max_chars <= MAX_TEXT:
        raise w.error(f"criterion {cid!r}: max_chars must be 1 to {MAX_TEXT}", n, "max_chars")
    return Criterion(id=cid, kind=kind, question=question.strip(), choices=choices, items=items,
                     required=required, required_if=req_if, level=level, key=key, sides=bool(sides),
                     max_chars=max_chars, help=str(c.get("help", "")))


def load_form(spec: str | Path) -> Form:
    """A package form by name (corpus, generation, image, rubric, checklist, ab, crisis, stereotype) or a
    TOML file."""
    spec_s = str(spec)
    if spec_s in PACKAGE_FORMS:
        return package_form(spec_s)
    from lugha.corpus.config import read_toml

    p = Path(spec_s)
    if not p.is_file():
        raise LughaError(f"no such form file (package forms: {', '.join(PACKAGE_FORMS)})", p)
    read_toml(p, "form file")  # the shared path:line error for bad TOML (and for non-UTF-8 text)
    return parse_form(p.read_text(encoding="utf-8"), str(p))


def _package_text(name: str) -> str:
    return resources.files("lugha.review").joinpath(f"formdefs/{name}.toml").read_text(encoding="utf-8")


_PACKAGE_CACHE: dict[str, Form] = {}


def package_form(name: str) -> Form:
    if name not in _PACKAGE_CACHE:
        _PACKAGE_CACHE[name] = parse_form(_package_text(name), f"lugha/review/formdefs/{name}.toml")
    return _PACKAGE_CACHE[name]


PACKAGE_FORMS = ("corpus", "generation", "image", "rubric", "checklist", "ab", "crisis", "stereotype")

_STORED_CACHE: dict[str, Form] = {}


def stored_form(toml_text: str, where: str) -> Form:
    """The form a batch was created with (its TOML text as stored), parsed once per process."""
    key = hashlib.sha256(toml_text.encode("utf-8")).hexdigest()
    if key not in _STORED_CACHE:
        _STORED_CACHE[key] = parse_form(toml_text, where)
    return _STORED_CACHE[key]


# The three forms that existed before forms were data, by item kind (kept for callers and tests).
FORMS = {k: package_form(k) for k in ("corpus", "generation", "image")}
KINDS = tuple(FORMS)
# The corpus form's labels are the one category list of lugha.corpus.categories (the audit's own).
from lugha.corpus.categories import CATEGORIES  # noqa: E402

if tuple(FORMS["corpus"].labels) != CATEGORIES:  # pragma: no cover (a packaging mistake)
    raise RuntimeError(f"formdefs/corpus.toml labels {FORMS['corpus'].labels} != corpus categories {CATEGORIES}")
