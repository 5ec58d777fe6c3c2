"""Every shipped example applies cleanly against the emulator and re-plans with no changes:
an example a user copies must work as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from perso_iac.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASES = [
    ("movielens", ()),
    ("retail", ("--var-file", "dev.vars.yaml")),
    ("retail", ("--var-file", "prod.vars.yaml")),
    ("ecommerce", ()),
    ("tracking", ()),
]


@pytest.mark.parametrize("example,extra", CASES, ids=[f"{e}{'-' + x[1] if x else ''}" for e, x in CASES])
def test_example_applies_and_replans_clean(example, extra, emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    monkeypatch.chdir(EXAMPLES / example)
    args = ["-f", "perso.yaml", "--state", str(tmp_path / "state.json"), *extra]

    applied = CliRunner().invoke(cli, ["apply", "--auto-approve", *args], catch_exceptions=False)
    assert applied.exit_code == 0, applied.output
    assert "0 failed, 0 skipped" in applied.output
    again = CliRunner().invoke(cli, ["plan", "--detailed-exitcode", *args], catch_exceptions=False)
    assert again.exit_code == 0, again.output
