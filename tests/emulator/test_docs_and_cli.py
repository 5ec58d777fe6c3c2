"""The generated coverage table, the click command and `python -m perso_iac.emulator`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3
from click.testing import CliRunner

from perso_iac.emulator.command import emulator_command
from perso_iac.emulator.coverage import generated_section, render_table
from perso_iac.emulator.model import operation_names

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def test_docs_coverage_table_is_current_and_lists_every_model_operation():
    text = DOC.read_text(encoding="utf-8")
    assert generated_section(text) == render_table(), (
        "docs/emulator.md is stale: run `python -m perso_iac.emulator.coverage docs/emulator.md`"
    )
    for op in operation_names():
        assert f"| `{op}` |" in text
    assert f"**{len(operation_names())} of {len(operation_names())}** implemented" in text


def test_command_help_lists_the_documented_options():
    result = CliRunner().invoke(emulator_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--data-dir", "--time-scale", "--latency-ms", "--throttle-rate", "--fail"):
        assert option in result.output


def test_command_rejects_bad_fault_rule():
    result = CliRunner().invoke(emulator_command, ["--fail", "nonsense", "--port", "0"])
    assert result.exit_code != 0 and "TYPE:NAME-GLOB" in result.output


def test_python_dash_m_serves_until_stopped(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "perso_iac.emulator", "--port", "0", "--time-scale", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ")[1].split()[0]
        client = boto3.client("personalize", endpoint_url=url, region_name="us-east-1")
        client.create_dataset_group(name="from-cli")
        assert client.list_dataset_groups()["datasetGroups"][0]["name"] == "from-cli"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert list(tmp_path.glob("personalize-us-east-1-123456789012.json"))
