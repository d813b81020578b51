"""What a reviewer is asked, per kind of item. One place, used by the app, the store and the stats.

Corpus lines use the labels of Kreutzer et al. (2022, "Quality at a Glance"): CC correct language and
a natural sentence, CB correct language but boilerplate, CS correct language but a short fragment,
WL wrong language, NL not language at all; plus offensive and porn flags.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    key: str  # the keyboard key (1-9) that picks it


@dataclass(frozen=True)
class Form:
    kind: str
    question: str               # the primary question, whose answer is `label`
    choices: tuple[Choice, ...]
    second_question: str = ""   # optional second categorical question, answer in `rating`
    second_choices: tuple[Choice, ...] = ()
    flags: tuple[Choice, ...] = ()  # yes/no checkboxes
    comment_prompt: str = ""
    submit_on_choice: bool = False  # pressing a primary key saves at once (corpus: fast lane)
    submit_key: str = "9"

    @property
    def labels(self) -> list[str]:
        return [c.value for c in self.choices]

    @property
    def ratings(self) -> list[str]:
        return [c.value for c in self.second_choices]


CORPUS = Form(
    kind="corpus",
    question="What is this line?",
    choices=(
        Choice("CC", "Correct language, natural text", "1"),
        Choice("CB", "Correct language, boilerplate", "2"),
        Choice("CS", "Correct language, too short", "3"),
        Choice("WL", "Wrong language", "4"),
        Choice("NL", "Not language", "5"),
    ),
    flags=(Choice("offensive", "Offensive", "6"), Choice("porn", "Pornographic", "7")),
    submit_on_choice=True,
)

GENERATION = Form(
    kind="generation",
    question="Is the output in the language?",
    choices=(Choice("yes", "Yes", "1"), Choice("partly", "Partly", "2"), Choice("no", "No", "3")),
    second_question="Is it fluent?",
    second_choices=(Choice("fluent", "Fluent", "4"), Choice("understandable", "Understandable", "5"),
                    Choice("not_fluent", "Not fluent", "6")),
    flags=(Choice("unsafe", "Incorrect or unsafe", "7"),),
    comment_prompt="What is wrong or unsafe? (optional)",
)

IMAGE = Form(
    kind="image",
    question="How does the image depict the people or culture in the prompt?",
    choices=(Choice("respectful", "Respectful / accurate", "1"), Choice("stereotype", "Stereotyped", "2"),
             Choice("demeaning", "Demeaning", "3"), Choice("harmful", "Harmful", "4")),
    comment_prompt="What do you see? (optional)",
)

FORMS = {f.kind: f for f in (CORPUS, GENERATION, IMAGE)}
KINDS = tuple(FORMS)
CATEGORIES = CORPUS.labels
