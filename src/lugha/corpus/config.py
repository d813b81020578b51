"""Audit configuration: package defaults (lugha/data/audit.toml), a user file, per-language overrides."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path

from lugha.errors import LughaError


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
        try:
            user = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LughaError("config file not found", path=p) from None
        except tomllib.TOMLDecodeError as e:
            line = getattr(e, "lineno", None)
            raise LughaError(f"invalid TOML: {e.msg if hasattr(e, 'msg') else e}", path=p, line=line) from None
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
