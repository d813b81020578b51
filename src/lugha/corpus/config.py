"""Audit configuration: package defaults (lugha/data/audit.toml), a user file, per-language overrides."""

from __future__ import annotations

import copy
import re
import tomllib
from importlib import resources
from pathlib import Path

from lugha.errors import LughaError


_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_toml(path: str | Path, what: str = "config file") -> dict:
    """A user's TOML file. A syntax error is LughaError `path:line: invalid TOML: message (column c)`:
    Python 3.11-3.13 give the position only inside the message ("... (at line 3, column 5)"), 3.14
    also as attributes; both are read."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LughaError(f"{what} not found", path=p) from None
    except IsADirectoryError:
        raise LughaError(f"{what} is a directory", path=p) from None
    except UnicodeDecodeError as e:
        raise LughaError(f"{what} is not UTF-8 text (invalid byte at {e.start})", path=p) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(getattr(e, "msg", None) or e)
        at = _AT.search(msg)
        line = getattr(e, "lineno", None) or (int(at.group(1)) if at else None)
        col = getattr(e, "colno", None) or (int(at.group(2)) if at else None)
        msg = msg[:at.start()] if at else msg
        raise LughaError(f"invalid TOML: {msg}" + (f" (column {col})" if col else ""), path=p, line=line) from None


def _defaults() -> dict:
    text = resources.files("lugha").joinpath("data/audit.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def load_config(lang_code: str, path: str | Path | None = None) -> dict:
    """The effective configuration for one language: defaults, then the user's file, then the
    `[lang.<code>]` section of either (which overrides `[categories]` and `[dedup]` keys)."""
    cfg = _defaults()
    if path is not None:
        p = Path(path)
        user = read_toml(p, "config file")
        unknown = set(user) - set(cfg)
        if unknown:
            raise LughaError(f"unknown section(s) {', '.join(sorted(unknown))}; expected "
                             f"{', '.join(sorted(cfg))}", path=p)
        cfg = _merge(cfg, user)
    over = cfg.get("lang", {}).get(lang_code, {})
    for key, val in over.items():
        for section in ("categories", "dedup"):
            if key in cfg[section]:
                cfg[section][key] = val
                break
        else:
            raise LughaError(f"[lang.{lang_code}] sets unknown key {key!r}", path=path)
    phrases = list(cfg["boilerplate"].get("common", [])) + list(cfg["boilerplate"].get(lang_code, []))
    return {
        "categories": cfg["categories"],
        "dedup": cfg["dedup"],
        "boilerplate_phrases": phrases,
        "source": str(path) if path else "defaults",
    }
