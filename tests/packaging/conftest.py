"""Fixtures for tests that run perso as users install it: built, then installed outside the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from venvs import build_dists  # noqa: E402


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    """(sdist, wheel) of the checkout, built once per run and shared by the xdist workers."""
    shared = tmp_path_factory.getbasetemp().parent     # the same directory for every worker of a run
    return build_dists(shared / "perso-dists")
