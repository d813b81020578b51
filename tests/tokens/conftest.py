"""Fixtures for the tokens tests: NTREX-128 and Amharic training text built from ../shared/data."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ntrex(shared_data):
    return shared_data / "ntrex128"


@pytest.fixture(scope="session")
def amh_training(shared_data, ntrex, tmp_path_factory):
    """~1.5 MB of Amharic from MasakhaNEWS, AfriSenti and MAFAND-MT, none of it NTREX."""
    from tokens_corpora import write_training_text

    from lugha.tokens import tax

    held_out = tax.load_parallel(ntrex).lines["amh"]
    path, _ = write_training_text(shared_data, "amh", held_out, tmp_path_factory.mktemp("amh") / "amh.txt")
    return path, held_out
