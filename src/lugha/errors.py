"""User-facing errors: the CLI prints one line and exits 2."""

from __future__ import annotations

from pathlib import Path


class LughaError(Exception):
    """A problem with the user's input or arguments, not a bug in lugha.

    ``str(err)`` is the one line the CLI prints: ``path:line: message`` when a
    location is known, else just the message.
    """

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"
