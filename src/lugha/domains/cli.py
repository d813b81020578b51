"""`lugha domains check|card`. Thin: parse, call, print."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from lugha.errors import LughaError

domains_app = typer.Typer(no_args_is_help=True, help="Sensitive domains: prompt sets and the evaluation card.")


@domains_app.command("check")
def check_cmd(prompts: Path = typer.Argument(..., help="Prompt set (JSONL: id, lang, domain, risk, prompt; optional reference, rubric).")):
    """Check a prompt set: every problem as one line `path:line: message`."""
    from lugha.domains.prompts import check_prompt_set
    from lugha.progress import console

    ok, errs = check_prompt_set(prompts)
    out = console()
    for e in errs:
        out.print(str(e), markup=False, highlight=False)
    if errs:
        raise LughaError(f"{len(errs)} problem(s); {len(ok)} prompt(s) fine", path=prompts)
    by_risk: dict[str, int] = {}
    for p in ok:
        by_risk[p.risk] = by_risk.get(p.risk, 0) + 1
    out.print(f"{len(ok)} prompts, {len({p.lang for p in ok})} language(s); risk: "
              + ", ".join(f"{k} {v}" for k, v in sorted(by_risk.items())), markup=False, highlight=False)


@domains_app.command("card")
def card_cmd(
    inputs: list[Path] = typer.Argument(..., help="eval mcq --json, generate.json, answers.jsonl, review results --json/--ratings/--export files."),
    out: Path = typer.Option(..., "--out", help="Folder for card.html, card.md and card.json."),
    title: str = typer.Option("Evaluation card", "--title"),
    worst_criterion: Optional[str] = typer.Option(None, "--worst-criterion", help="Criterion for the worst-answers list (default: the first scale criterion)."),
):
    """One evaluation card: models, languages, MCQ vs English, fidelity, ratings and harm with alpha, what reviewers wrote, and the blanks for people."""
    from lugha.domains.card import write_card
    from lugha.progress import console

    card = write_card(inputs, out, title=title, worst_criterion=worst_criterion)
    console().print(f"{len(card['models'])} model(s), {len(card['languages'])} language(s); wrote "
                    f"{out / 'card.html'} and {out / 'card.md'}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(domains_app, name="domains")
