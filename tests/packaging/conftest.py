"""Fixtures for tests that run perso as users install it: built, then installed outside the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from venvs import build_dists  # noqa: E402


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    """(sdist, wheel) of the checkout, built once per run and shared by the xdist workers."""
    # Under xdist, the run's directory (shared by its workers); alone, this run's own base: the parent
    # is then /tmp/pytest-of-USER, shared by every run, and an older run's wheel would be reused.
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return build_dists(shared / "perso-dists")
