"""Shared by the tokens tests (a uniquely named module: `conftest` is ambiguous across the suite)."""

from __future__ import annotations

import os

import pytest

from lugha.tokens import specs


def require_presets(*names: str) -> None:
    """npm presets come from `lugha tokens presets --install` (make test runs it): under CI a missing
    one is a failure, elsewhere the test skips with the reason."""
    missing = [n for n in names if not specs.preset_installed(n)]
    if not missing:
        return
    msg = (f"presets not installed: {', '.join(missing)} (looked in {specs.cache_dir()}); "
           f"run `lugha tokens presets --install`")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)
