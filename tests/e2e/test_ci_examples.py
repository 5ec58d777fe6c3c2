"""The CI examples stay in step with the CLI: every `perso` command line in the GitHub workflows and
the Airflow DAG parses with the options perso really has, and the workflows keep their guarantees."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from perso_iac.cli import cli

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"
WORKFLOWS = sorted((CI / "github").glob("*.yml"))
DAG_FILE = CI / "airflow" / "perso_dags.py"
COMMAND = re.compile(r"(?:^|[\s;&(])perso ((?:validate|plan|apply|drift|destroy)\b[^>|;&\n]*)")


def _commands(script: str) -> list[list[str]]:
    """The perso command lines of a shell script (comments skipped, expressions made literal)."""
    out = []
    for raw in script.splitlines():
        if raw.strip().startswith("#"):
            continue
        for match in COMMAND.finditer(raw):
            line = re.sub(r"\{\{[^}]*\}\}", "X", match.group(1))   # Actions / Jinja expressions
            line = re.sub(r"\$\{?(\w+)\}?", "X", line)               # shell variables
            out.append(shlex.split(line))
    return out


def _dag_scripts() -> list[str]:
    """The bash_command of every task, by running the DAG file against a stand-in for Airflow."""
    scripts: list[str] = []

    class DAG:
        def __init__(self, dag_id: str, **kwargs: object) -> None:
            self.dag_id = dag_id

        def __enter__(self) -> DAG:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    class BashOperator:
        def __init__(self, task_id: str, bash_command: str, **kwargs: object) -> None:
            scripts.append(bash_command)

        def __rshift__(self, other: object) -> object:
            return other

    airflow = types.ModuleType("airflow")
    airflow.DAG = DAG
    bash = types.ModuleType("airflow.operators.bash")
    bash.BashOperator = BashOperator
    saved = {k: sys.modules.get(k) for k in ("airflow", "airflow.operators", "airflow.operators.bash",
                                             "airflow.providers", "airflow.providers.standard",
                                             "airflow.providers.standard.operators",
                                             "airflow.providers.standard.operators.bash")}
    try:
        sys.modules.update({"airflow": airflow, "airflow.operators": types.ModuleType("airflow.operators"),
                            "airflow.operators.bash": bash})
        for key in list(saved)[3:]:
            sys.modules.pop(key, None)
        exec(compile(DAG_FILE.read_text(), str(DAG_FILE), "exec"), {"__name__": "perso_dags"})
    finally:
        for key, module in saved.items():
            if module is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = module
    return scripts


def _all_commands() -> list[tuple[str, list[str]]]:
    found = []
    for path in WORKFLOWS:
        flow = yaml.safe_load(path.read_text())
        for job in flow["jobs"].values():
            for step in job["steps"]:
                found += [(path.name, c) for c in _commands(step.get("run", ""))]
    found += [(DAG_FILE.name, c) for script in _dag_scripts() for c in _commands(script)]
    return found


def test_examples_exist():
    assert {p.name for p in WORKFLOWS} == {"perso-plan.yml", "perso-apply.yml", "perso-drift.yml"}
    commands = _all_commands()
    assert len(commands) >= 7
    assert {c[0] for _, c in commands} == {"validate", "plan", "apply", "drift"}


@pytest.mark.parametrize("source, argv", _all_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_every_perso_command_in_the_examples_parses(source, argv):
    result = CliRunner().invoke(cli, [*argv, "--help"])
    assert result.exit_code == 0, f"{source}: perso {' '.join(argv)}: {result.output}"


def test_workflows_are_valid_yaml_with_their_guarantees():
    flows = {p.name: yaml.safe_load(p.read_text()) for p in WORKFLOWS}
    plan, apply, drift = flows["perso-plan.yml"], flows["perso-apply.yml"], flows["perso-drift.yml"]
    on = lambda flow: flow.get("on", flow.get(True))  # noqa: E731 - YAML 1.1 reads `on` as True
    assert "pull_request" in on(plan)
    plan_steps = plan["jobs"]["plan"]["steps"]
    assert any("--out plan.json" in s.get("run", "") and "--detailed-exitcode" in s.get("run", "") for s in plan_steps)
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in plan_steps)
    assert any("updateComment" in s.get("with", {}).get("script", "") for s in plan_steps)  # one comment, updated

    assert on(apply)["pull_request"]["types"] == ["closed"]
    assert apply["concurrency"]["cancel-in-progress"] is False and apply["concurrency"]["group"]
    assert any("perso apply plan.json" in s.get("run", "") for s in apply["jobs"]["apply"]["steps"])

    assert "schedule" in on(drift)
    fail_step = drift["jobs"]["drift"]["steps"][-1]["run"]
    assert "2)" in fail_step and "exit 2" in fail_step


def test_airflow_dags_plan_apply_and_fail_on_drift():
    scripts = _dag_scripts()
    assert len(scripts) == 4
    assert any("perso plan" in s and "--out" in s and 'test "$code" -eq 0 || test "$code" -eq 2' in s
               for s in scripts)
    assert any("perso apply /tmp/perso-apply-" in s for s in scripts)
    assert any("perso drift" in s and 'exit "$code"' in s for s in scripts)
    assert "max_active_runs=1" in DAG_FILE.read_text()


def _run_with_perso_exiting(script: str, code: int, tmp_path: Path) -> int:
    """Run a CI script as GitHub runs it (bash -e) with `perso` (and `aws`) stubbed to exit `code`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "perso").write_text(f"#!/bin/sh\nexit {code}\n")
    (bin_dir / "aws").write_text("#!/bin/sh\nexit 0\n")
    for stub in bin_dir.iterdir():
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(tmp_path / "out"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    script = script.replace("{{ var.value.perso_repo_dir }}", str(tmp_path))
    script = re.sub(r"\{\{[^}]*\}\}", tmp_path.name, script)   # other Actions / Jinja expressions
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], env=env,
                          cwd=tmp_path, capture_output=True, timeout=60).returncode


@pytest.mark.parametrize("code, passes", [(0, True), (2, True), (1, False), (130, False)])
def test_plan_steps_fail_on_every_error_exit_and_only_on_those(tmp_path, code, passes):
    """0 (no changes) and 2 (changes) pass the plan job; 1 (any error, a typo in a flag included) and
    130 (interrupted) fail it, in the GitHub workflow and in the Airflow DAG alike."""
    flow = yaml.safe_load((CI / "github" / "perso-plan.yml").read_text())
    plan_step = next(s["run"] for s in flow["jobs"]["plan"]["steps"] if "perso plan" in s.get("run", ""))
    dag_plan = next(s for s in _dag_scripts() if "perso plan" in s)
    for script in (plan_step, dag_plan):
        assert (_run_with_perso_exiting(script, code, tmp_path) == 0) is passes, script


@pytest.mark.parametrize("code, expected", [(0, 0), (2, 2), (1, 1), (130, 1)])
def test_drift_job_fails_on_drift_and_on_every_error(tmp_path, code, expected):
    flow = yaml.safe_load((CI / "github" / "perso-drift.yml").read_text())
    fail_step = flow["jobs"]["drift"]["steps"][-1]["run"].replace("${{ steps.drift.outputs.exitcode }}", str(code))
    assert _run_with_perso_exiting(fail_step, code, tmp_path) == expected
