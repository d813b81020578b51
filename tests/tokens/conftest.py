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


@pytest.fixture(scope="session")
def ntrex(shared_data):
    return shared_data / "ntrex128"


@pytest.fixture(scope="session")
def amh_training(shared_data, ntrex, tmp_path_factory):
    """~1.5 MB of Amharic from MasakhaNEWS, AfriSenti and MAFAND-MT, none of it NTREX."""
    from corpora import write_training_text

    from lugha.tokens import tax

    held_out = tax.load_parallel(ntrex).lines["amh"]
    path, _ = write_training_text(shared_data, "amh", held_out, tmp_path_factory.mktemp("amh") / "amh.txt")
    return path, held_out
