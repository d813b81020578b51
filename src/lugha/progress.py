"""The CLI's console and progress bars: Rich on a terminal, no bars when stderr is piped or captured.

Every Console the CLIs print through comes from `console()`: it prints text literally. Paths,
messages and corpus text are never read as Rich markup (`a[x]b.txt` stays `a[x]b.txt`) or emoji
codes (`:-1:` stays `:-1:`), and nothing is re-coloured by Rich's highlighter. Colour is added on
purpose only, with `styled()` (a `rich.text.Text`, whose content is never parsed)."""

from __future__ import annotations

import sys
import time
from typing import Callable

from rich.console import Console
from rich.text import Text


def console(stderr: bool = False) -> Console:
    """A Console that prints what it is given, literally (no markup, emoji codes or highlighting)."""
    return Console(stderr=stderr, soft_wrap=True, markup=False, emoji=False, highlight=False)


def styled(text: str, style: str) -> Text:
    """`text` in a style (e.g. "green"), still literal."""
    return Text(str(text), style=style)


def line(*parts: str | Text) -> Text:
    """Plain strings and styled() pieces joined into one literal line."""
    return Text.assemble(*parts)


err_console = console(stderr=True)

Close = Callable[[], None]


def count_bar(label: str) -> tuple[Callable[[int, int], None] | None, Close]:
    """(update(done, total), close) over records."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn(label, style="bold", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console)
    task = prog.add_task(label, total=None)
    prog.start()
    return (lambda done, total: prog.update(task, completed=done, total=total)), prog.stop


def bytes_bar(label: str, unit: str = "docs") -> tuple[Callable[[int, int, int], None] | None, Close]:
    """(update(done_bytes, total_bytes, items), close), showing items/s."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    start = time.perf_counter()
    prog = Progress(TextColumn(label, style="bold", markup=False), BarColumn(), DownloadColumn(), TextColumn("{task.fields[rate]}", markup=False),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err_console)
    task = prog.add_task(label, total=None, rate="")
    prog.start()

    def update(done: int, total: int, items: int) -> None:
        el = max(1e-9, time.perf_counter() - start)
        prog.update(task, completed=done, total=total, rate=f"{items:,} {unit} · {items / el:,.0f} {unit}/s")

    return update, prog.stop


def training_bar(label: str = "training") -> tuple[Callable[[dict], None] | None, Close]:
    """(update(log), close) for `lugha.train.loop` logs: tokens/s, train loss, validation bits/byte, ETA.
    ``log["progress"]`` (0-1) drives the bar, so a step budget and a time budget look the same."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn(f"[bold]{label}"), BarColumn(), TextColumn("{task.fields[info]}"),
                    TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"), console=err_console)
    task = prog.add_task(label, total=1000, info="", eta="?")
    prog.start()

    def update(log: dict) -> None:
        ev = log.get("eval") or {}
        bpb = ev.get("val_bpb_estimate")
        eta = log.get("eta")
        info = (f"step {log['step']:,} · {log['tokens_per_s']:,.0f} tok/s · loss {log['loss']:.3f}"
                + (f" · val {bpb:.3f} bpb" if bpb is not None else ""))
        prog.update(task, completed=int(1000 * min(log["progress"], 1.0)), info=info,
                    eta=f"{int(eta // 60)}:{int(eta % 60):02d}" if eta is not None else "?")

    return update, prog.stop
