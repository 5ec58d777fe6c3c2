"""The example DAGs in a real Apache Airflow: plan → apply the saved plan → drift for a stack with
variable files, then a fleet of stacks applied and checked by mapped tasks, all against the
emulator with the states, saved plans and reports in S3 (moto's server), written by perso itself.

Airflow is installed from PyPI, pinned (airflow-requirements.txt, no constraints file: that lives
on GitHub), into a venv of its own, once: the venv and an initialised Airflow database are cached
(see venvs.cache_dir) and reused by later runs. PERSO_SKIP_AIRFLOW=1 skips this test.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import boto3
import pytest
from venvs import REPO, cache_dir, clean_env, file_lock, install_wheel, requirements_key, run

pytestmark = [pytest.mark.slow, pytest.mark.airflow,
              pytest.mark.skipif(os.environ.get("PERSO_SKIP_AIRFLOW") == "1", reason="PERSO_SKIP_AIRFLOW=1")]
REQUIREMENTS = Path(__file__).with_name("airflow-requirements.txt")
RUNNER = Path(__file__).with_name("airflow_runner.py")
DAGS = REPO / "examples" / "ci" / "airflow"
FLEET = ("fleet-a", "fleet-b", "fleet-c")


def airflow_venv() -> tuple[Path, Path]:
    """(venv, template AIRFLOW_HOME with a migrated database), built once per requirements file."""
    pins = [line for line in REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    root = cache_dir() / f"airflow-{requirements_key(pins)}"
    venv, home = root / "venv", root / "home"
    with file_lock(root.with_suffix(".lock")):
        if not (root / "complete").exists():
            shutil.rmtree(root, ignore_errors=True)
            run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
            run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "--python",
                 str(venv / "bin" / "python"), "install", "--no-deps", "-r", str(REQUIREMENTS)], env=clean_env())
            run([str(venv / "bin" / "airflow"), "db", "migrate"], env=airflow_env(home))
            (root / "complete").touch()
    return venv, home


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    return clean_env(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
                     AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db", **extra)


def make_repo(root: Path) -> Path:
    """A checkout of specs as a worker sees it: the examples, and a fleet of three stacks."""
    for example in ("movielens", "retail"):
        shutil.copytree(REPO / "examples" / example, root / "examples" / example)
    for name in FLEET:
        stack = root / "stacks" / name
        shutil.copytree(REPO / "examples" / "movielens", stack)
        spec = stack / "perso.yaml"
        spec.write_text(spec.read_text().replace("movielens", name))
    (root / "stacks" / "fleet-c" / "perso.vars.yaml").write_text("bucket: fleet-c-data\n")
    return root


def test_example_dags_run_in_airflow(dists, emulator, s3_endpoint, s3_bucket, tmp_path):
    venv, template = airflow_venv()
    install_wheel(venv / "bin" / "python", dists[1], no_deps=True)   # this checkout's perso, as built
    home = tmp_path / "airflow"
    shutil.copytree(template, home, ignore=shutil.ignore_patterns("logs"))
    repo = make_repo(tmp_path / "repo")
    env = airflow_env(
        home, PATH=f"{venv / 'bin'}:{os.environ['PATH']}",
        AIRFLOW_VAR_PERSO_REPO_DIR=str(repo), AIRFLOW_VAR_PERSO_ARTIFACTS=f"s3://{s3_bucket}/artifacts",
        AIRFLOW_VAR_PERSO_STATE=f"s3://{s3_bucket}/state", AIRFLOW_VAR_PERSO_FLEET_DIR="stacks",
        AWS_ENDPOINT_URL_PERSONALIZE=emulator.endpoint_url, AWS_ENDPOINT_URL_S3=s3_endpoint,
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
        PERSO_POLL_INITIAL="0.01", PERSO_POLL_MAX="0.05")

    def dag_test(*steps: dict) -> dict:
        out = run([str(venv / "bin" / "python"), str(RUNNER), str(DAGS), json.dumps(list(steps))],
                  env=env, cwd=tmp_path)
        line = next(x for x in out.stdout.splitlines() if x.startswith("PERSO-AIRFLOW-RESULT "))
        result = json.loads(line.split(" ", 1)[1])
        assert not result["import_errors"], result["import_errors"]
        result["log"] = out.stdout + out.stderr
        (tmp_path / "airflow.log").open("a").write(result["log"])
        return result

    stack = "retail-prod"              # the stack with a variable file
    plan = f"s3://{s3_bucket}/artifacts/{stack}/plans/{{run_id:perso_plan__{stack}}}.json"
    result = dag_test({"dag_id": f"perso_plan__{stack}"}, {"dag_id": f"perso_apply__{stack}", "conf": {"plan": plan}},
                      {"dag_id": f"perso_drift__{stack}"}, {"dag_id": "perso_fleet_apply"},
                      {"dag_id": "perso_fleet_drift"})
    runs = {r["dag_id"]: r for r in result["runs"]}
    assert {r: runs[r]["state"] for r in runs} == dict.fromkeys(runs, "success"), \
        "\n".join(x for x in result["log"].splitlines() if "INFO - " in x and "subprocess.py" in x)[-8000:]
    assert set(runs["perso_fleet_apply"]["tasks"]) == {"discover_stacks", "apply[0]", "apply[1]", "apply[2]"}

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])}
    plan_key = f"artifacts/{stack}/plans/{runs[f'perso_plan__{stack}']['run_id']}.json"
    saved = json.loads(s3.get_object(Bucket=s3_bucket, Key=plan_key)["Body"].read())
    assert saved["kind"] == "perso-saved-plan" and saved["origin"]["var_files"] == ["examples/retail/prod.vars.yaml"]
    assert {f"state/{stack}.json", *(f"state/{name}.json" for name in FLEET)} <= keys
    drift_reports = [k for k in keys if k.startswith(("artifacts/retail-prod/drift/", "artifacts/fleet/drift/"))]
    assert len(drift_reports) == 1 + len(FLEET), sorted(keys)
    assert not [k for k in keys if k.endswith(".lock")], "a lock was left behind"
    state = json.loads(s3.get_object(Bucket=s3_bucket, Key="state/fleet-c.json")["Body"].read())
    assert "s3://fleet-c-data/" in json.dumps(state)          # the fleet stack's own var file was used

    # Drift found by the nightly DAG fails its task, so Airflow's alerting fires.
    personalize = boto3.client("personalize", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
    campaign = next(c for c in personalize.list_campaigns()["campaigns"] if "retail" in c["name"])
    personalize.update_campaign(campaignArn=campaign["campaignArn"], minProvisionedTPS=7)
    for _ in range(20):  # AWS shows the new TPS only once the update is ACTIVE (each describe advances it here)
        described = personalize.describe_campaign(campaignArn=campaign["campaignArn"])["campaign"]
        if described.get("latestCampaignUpdate", {}).get("status") == "ACTIVE":
            break
    assert described["minProvisionedTPS"] == 7
    drifted = dag_test({"dag_id": f"perso_drift__{stack}"})["runs"][0]
    assert drifted["state"] == "failed" and drifted["tasks"] == {"drift": "failed"}
