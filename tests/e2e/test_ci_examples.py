"""The CI examples stay in step with the CLI: every `perso` command line in the GitHub workflows and
the Airflow DAG parses with the options perso really has, and the workflows keep their guarantees."""

from __future__ import annotations

import re
import shlex
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
            line = re.sub(r"\$\{?(\w+)\}?", "X", line).replace('"$@"', "")  # shell variables
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

        @classmethod
        def partial(cls, task_id: str, bash_command: str, **kwargs: object) -> types.SimpleNamespace:
            scripts.append(bash_command)
            return types.SimpleNamespace(expand=lambda **mapped: None)

    airflow = types.ModuleType("airflow")
    airflow.DAG = DAG
    bash = types.ModuleType("airflow.operators.bash")
    bash.BashOperator = BashOperator
    decorators = types.ModuleType("airflow.decorators")
    decorators.task = lambda func: lambda *args, **kwargs: None
    saved = {k: sys.modules.get(k) for k in ("airflow", "airflow.operators", "airflow.operators.bash",
                                             "airflow.decorators", "airflow.providers", "airflow.providers.standard",
                                             "airflow.providers.standard.operators",
                                             "airflow.providers.standard.operators.bash")}
    try:
        sys.modules.update({"airflow": airflow, "airflow.operators": types.ModuleType("airflow.operators"),
                            "airflow.operators.bash": bash, "airflow.decorators": decorators})
        for key in list(saved)[4:]:
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
    assert any("--expect plan.json" in s.get("run", "") for s in apply["jobs"]["apply"]["steps"])

    assert "schedule" in on(drift)
    fail_step = drift["jobs"]["drift"]["steps"][-1]["run"]
    assert "2)" in fail_step and "exit 2" in fail_step


def test_airflow_dags_plan_apply_and_fail_on_drift():
    """The shape of the DAGs; tests/packaging/test_airflow.py runs them in a real Airflow."""
    scripts = _dag_scripts()
    assert len(scripts) == 4 * 2 + 2            # validate, plan, apply, drift per stack; 2 fleet DAGs
    assert any("perso plan" in s and '--out "$saved"' in s and 'test "$code" -eq 0 || test "$code" -eq 2' in s
               for s in scripts)
    assert any("perso apply '{{ params.plan }}'" in s for s in scripts)        # read from S3 by perso
    assert any("perso drift" in s and "--json-out 's3" not in s and "--json-out '{{" in s for s in scripts)
    assert not [s for s in scripts if re.search(r"\baws\s", s)], "workers must not need the aws CLI"
    assert all("--state" in s for s in scripts if "perso plan" in s or "perso drift" in s)
    assert "--var-file examples/retail/prod.vars.yaml" in "".join(scripts)
    assert "max_active_runs=1" in DAG_FILE.read_text() and ".expand(env=" in DAG_FILE.read_text()


def _glob(pattern: str) -> re.Pattern[str]:
    """A GitHub Actions path filter as a regex: ** crosses directories, * does not."""
    out = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
                  for part in re.split(r"(\*\*|\*)", pattern))
    return re.compile(out + "$")


@pytest.mark.parametrize("name", ["perso-plan.yml", "perso-apply.yml"])
def test_path_filters_cover_everything_the_stack_reads(name):
    flow = yaml.safe_load((CI / "github" / name).read_text())
    filters = [_glob(p) for p in flow.get("on", flow.get(True))["pull_request"]["paths"]]
    env = yaml.safe_load((CI / "github" / "perso-plan.yml").read_text())["env"]
    stack_dir = env["SPEC"].rsplit("/", 1)[0]
    read = [env["SPEC"], env["VAR_FILE"], f"{stack_dir}/schemas/interactions.json", f"{stack_dir}/.persoignore",
            f"{stack_dir}/dev.vars.yaml", f".github/workflows/{name}"]
    assert [f for f in read if not any(p.match(f) for p in filters)] == []


def test_install_line_works_until_perso_is_on_pypi():
    version = yaml.safe_load((CI / "github" / "perso-plan.yml").read_text())["env"]["PERSO_VERSION"]
    import tomllib
    assert version == tomllib.loads((CI.parents[1] / "pyproject.toml").read_text())["project"]["version"]
    for path in WORKFLOWS:
        runs = [s.get("run", "") for job in yaml.safe_load(path.read_text())["jobs"].values() for s in job["steps"]]
        installs = [r for r in runs if "pip install" in r]
        assert installs == ['pip install "perso-iac @ git+https://github.com/${{ vars.PERSO_REPOSITORY }}'
                            '@v${PERSO_VERSION}"'], path.name


def test_workflows_pass_actionlint():
    """The shipped workflows and the repository's own, as GitHub would parse them."""
    import shutil
    import subprocess

    actionlint = shutil.which("actionlint") or str(Path(sys.executable).with_name("actionlint"))
    files = [*WORKFLOWS, *sorted((CI.parents[1] / ".github" / "workflows").glob("*.yml"))]
    assert len(files) >= 5
    result = subprocess.run([actionlint, "-no-color", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
