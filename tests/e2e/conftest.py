"""End-to-end fixtures: the perso CLI, in-process through click's runner, against the emulator over HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from e2e_spec import SPEC

from perso_iac.cli import cli


@dataclass
class Stack:
    """A spec file and its state in a temporary directory, driven through the CLI."""

    dir: Path
    endpoint: str

    @property
    def spec(self) -> Path:
        return self.dir / "perso.yaml"

    @property
    def state_path(self) -> Path:
        return self.dir / "state.json"

    def perso(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, [*args, "-f", str(self.spec), "--state", str(self.state_path)],
                                  input=input, catch_exceptions=False)

    def state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def addresses(self) -> set[str]:
        return {r["address"] for r in self.state()["resources"]}


@pytest.fixture
def stack(tmp_path, emulator, monkeypatch) -> Stack:
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "perso.yaml").write_text(SPEC)
    return Stack(dir=tmp_path, endpoint=emulator.endpoint_url)
