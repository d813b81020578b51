"""The `lugha` command: a thin Typer app. Each pillar registers its own commands from
`lugha.<pillar>.cli.register(app)`; they parse arguments, call library functions and print.

User errors (LughaError) print one line on stderr and exit 2, whatever command raised them; so do OS
errors while writing (read-only file system, disk full, permission denied), with the path.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperGroup

from lugha import __version__
from lugha.errors import LughaError


class _Group(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LughaError as e:
            typer.echo(f"lugha: error: {e}", err=True)
            raise typer.Exit(e.exit_code) from None
        except OSError as e:  # a write that no writer of lugha.records wrapped: still one line, exit 2
            from lugha.records import is_write_error, write_error

            if not is_write_error(e):
                raise
            typer.echo(f"lugha: error: {write_error(e, e.filename or '?')}", err=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="lugha: know your language data, measure the tokenizer tax, build and evaluate local models.",
)


def _version(value: bool):
    if value:
        typer.echo(f"lugha {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                        help="Print the version and exit.")):
    pass


# Pillars register their commands; heavy imports stay inside the command functions.
PILLARS = ("corpus", "lid", "tokens", "evaluate", "review", "train", "domains")
for _name in PILLARS:
    try:
        _mod = importlib.import_module(f"lugha.{_name}.cli")
    except ModuleNotFoundError as _e:
        if _e.name != f"lugha.{_name}.cli":
            raise
        continue
    _mod.register(app)
importlib.import_module("lugha.quickstart_cli").register(app)  # the workflow over the pillars


def main() -> None:
    app(prog_name="lugha")


if __name__ == "__main__":
    main()
