"""User text is printed literally: rich's markup ([bold]) and emoji codes (:fire:, :100:) in file
names, values and messages are never interpreted, in text, markdown and progress output. And a
refused plan leaves stdout empty, as docs/ci.md promises."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from perso_iac.apply import ApplyEvent
from perso_iac.cli import Options, Progress, cli, console_for

HOSTILE = {"team": ":fire:", "note": "loud :100: x", "location": "s3://b/[bold]in[/bold]:fire:.csv"}
SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", '
          '"fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, '
          '{"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')
SPEC = textwrap.dedent(f"""\
    version: 1
    stack: lit
    schemas:
      lit-interactions:
        schema: '{SCHEMA}'
    dataset_groups:
      lit:
        tags:
          team: ":fire:"
          note: "loud :100: x"
        datasets:
          interactions:
            datasetType: Interactions
            schema: lit-interactions
            import:
              dataSource: {{dataLocation: "s3://b/[bold]in[/bold]:fire:.csv"}}
              roleArn: arn:aws:iam::123456789012:role/PersonalizeS3
    """)
EMOJI = ("🔥", "💯")


@pytest.fixture
def workdir(tmp_path, emulator, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "perso.yaml").write_text(SPEC)
    return tmp_path


def perso(*args: str):
    return CliRunner().invoke(cli, [*args, "--state", "state.json"], catch_exceptions=False)


def assert_literal(text: str) -> None:
    assert not any(e in text for e in EMOJI), text
    for value in HOSTILE.values():
        assert json.dumps(value) in text or value in text, (value, text)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_plan_prints_hostile_tag_values_literally(workdir, fmt):
    result = perso("plan", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout)


def test_apply_output_and_progress_print_values_literally(workdir, capsys):
    result = perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout)
    assert "dataset_group.lit: done: create" in result.stdout
    # the progress display, as the CLI builds it, fed a message with user text
    progress = Progress(console_for(Options(no_color=True), stderr=True))
    with progress:
        progress(ApplyEvent(address="dataset_group.lit", kind="failed", step="create",
                            message="InvalidInputException: tag :fire: is [bold]not allowed[/bold] :100:"))
    err = capsys.readouterr().err
    assert "tag :fire: is [bold]not allowed[/bold] :100:" in err and not any(e in err for e in EMOJI)


def test_errors_print_file_names_and_lines_literally(workdir):
    name = "[bold]spec:fire:.yaml"
    lines = ["version: 1", "stack: lit", *[f"# {i}" for i in range(3, 100)], "unknown_key: 1"]
    (workdir / name).write_text("\n".join(lines) + "\n")
    for command in (["validate"], ["plan"]):
        result = perso(*command, "-f", name)
        assert result.exit_code == 1
        assert f"{name}:100:1:" in result.stderr, result.stderr
        assert not any(e in result.stderr for e in EMOJI)


def test_a_refused_plan_prints_nothing_on_stdout(workdir, personalize):
    """A name already taken in AWS: the plan is refused (exit 1) and stdout stays empty in text and
    markdown; the plan and the error go to stderr. In JSON, stdout holds only the error document."""
    personalize.create_dataset_group(name="lit")
    for fmt in ("text", "markdown"):
        result = perso("plan", "--format", fmt, "--detailed-exitcode")
        assert result.exit_code == 1
        assert result.stdout == "", result.stdout
        assert "perso import dataset_group.lit" in result.stderr
    if True:
        result = perso("plan", "--format", "json")
        assert result.exit_code == 1
        doc = json.loads(result.stdout)
        assert doc["kind"] == "error" and doc["error"]["code"] == "plan_error"
