"""perso from Apache Airflow: the scheduler teams already use for their Personalize scripts.

Each task is a thin shell around the perso CLI, so what runs here is exactly what runs on a
laptop or in GitHub Actions. perso itself writes the saved plans and reports to S3 and reads
plans from there (`--out s3://…`, `--json-out s3://…`, `perso apply s3://…`): workers need
perso and an AWS role, not the `aws` CLI. Every stack keeps its state in S3 (a worker's disk is
not kept), one state key and one lock per stack.

Per stack in STACKS:
- perso_plan__<stack>   (manual, or triggered by your CI): validate, then `perso plan --out`;
                          the saved plan goes to S3 for review, the plan text to the task log.
- perso_apply__<stack>  (manual, conf {"plan": "s3://.../plan.json"}): apply exactly that reviewed
                          plan. max_active_runs=1 serialises applies of the stack; perso's state
                          lock protects against any other writer. A stale plan (state written
                          since, spec changed, live resources changed) fails the task with the reason.
- perso_drift__<stack>  (nightly): `perso drift`; exit 2 (drift or pending changes) fails the task,
                          so your on_failure_callback / alerting fires. The JSON report goes to S3.

For a fleet, every directory under `perso_fleet_dir` holding a perso.yaml (and optionally a
perso.vars.yaml) is a stack:
- perso_fleet_apply     (manual): one mapped task per stack applies its spec (state
                          <perso_state>/<dir>.json, with its own lock), all in parallel on your
                          workers, bounded by the pool and max_active_tis_per_dag.
- perso_fleet_drift     (nightly): one mapped drift task per stack.

Airflow Variables: `perso_repo_dir` (a checkout of the specs, e.g. kept by git-sync),
`perso_artifacts` (s3:// prefix for plans and reports), `perso_state` (s3:// prefix for the
states) and, for fleets, `perso_fleet_dir` (relative to the checkout). Tested with Airflow 2.10;
written for 2.4+ and 3.x.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta
from pathlib import Path

from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import task
except ImportError:  # Airflow 2
    from airflow.decorators import task
    from airflow.operators.bash import BashOperator

# stack name -> spec path in the checkout and its variable files (relative to the checkout)
STACKS = {
    "movielens": {"spec": "examples/movielens/perso.yaml", "var_files": []},
    "retail-prod": {"spec": "examples/retail/perso.yaml", "var_files": ["examples/retail/prod.vars.yaml"]},
}
REPO = "{{ var.value.perso_repo_dir }}"
ARTIFACTS = "{{ var.value.perso_artifacts }}"
STATE = "{{ var.value.perso_state }}"
DEFAULTS = {"owner": "recsys", "retries": 0, "execution_timeout": timedelta(hours=6)}
ENV = {"NO_COLOR": "1"}
START = datetime(2025, 1, 1)


def stack_args(stack: str, spec: str, var_files: list[str]) -> str:
    """-f, --var-file and --state: the state lives in S3, one key (and one lock) per stack."""
    files = "".join(f" --var-file {shlex.quote(f)}" for f in var_files)
    return f"-f {shlex.quote(spec)}{files} --state {STATE}/{stack}.json"


for stack, cfg in STACKS.items():
    args = stack_args(stack, cfg["spec"], cfg["var_files"])
    with DAG(dag_id=f"perso_plan__{stack}", schedule=None, start_date=START, catchup=False,
             default_args=DEFAULTS, tags=["perso", stack],
             doc_md=f"Plan `{cfg['spec']}` and save the plan to {ARTIFACTS}/{stack}/plans/ for review.") as plan_dag:
        validate = BashOperator(task_id="validate", bash_command=f"cd {REPO} && perso validate {args}",
                                env=ENV, append_env=True)
        plan = BashOperator(
            task_id="plan",
            # exit 2 (changes) is success here; 1 (any error, usage errors too) or 130 fails the task
            bash_command=(
                f"cd {REPO} && saved='{ARTIFACTS}/{stack}/plans/{{{{ run_id }}}}.json' && code=0; "
                f'perso plan {args} --out "$saved" --detailed-exitcode || code=$?; '
                f'test "$code" -eq 0 || test "$code" -eq 2 || exit 1; '
                f"echo \"apply with conf {{\\\"plan\\\": \\\"$saved\\\"}}\""
            ),
            env=ENV, append_env=True,
        )
        validate >> plan

    with DAG(dag_id=f"perso_apply__{stack}", schedule=None, start_date=START, catchup=False,
             max_active_runs=1, default_args=DEFAULTS, tags=["perso", stack], params={"plan": ""},
             doc_md="Apply a reviewed saved plan: trigger with conf {\"plan\": \"s3://.../plan.json\"}.") as apply_dag:
        BashOperator(
            task_id="apply_saved_plan",
            bash_command=(
                'test -n "{{ params.plan }}" || { echo "trigger with conf {\\"plan\\": \\"s3://...\\"}"; exit 1; }; '
                f"cd {REPO} && perso apply '{{{{ params.plan }}}}'"
            ),
            env=ENV, append_env=True,
        )

    with DAG(dag_id=f"perso_drift__{stack}", schedule="17 3 * * *", start_date=START, catchup=False,
             max_active_runs=1, default_args=DEFAULTS, tags=["perso", stack, "drift"],
             doc_md="Nightly drift: fails on exit 2 (drift or pending changes) and 1 (error).") as drift_dag:
        BashOperator(
            task_id="drift",
            bash_command=f"cd {REPO} && perso drift {args} --json-out '{ARTIFACTS}/{stack}/drift/{{{{ ds }}}}.json'",
            env=ENV, append_env=True,
        )

    globals()[plan_dag.dag_id] = plan_dag
    globals()[apply_dag.dag_id] = apply_dag
    globals()[drift_dag.dag_id] = drift_dag


@task
def discover_stacks(repo: str, fleet_dir: str) -> list[dict[str, str]]:
    """The env of one mapped task per directory under the fleet directory that holds a perso.yaml."""
    root = Path(repo)
    specs = sorted((root / fleet_dir).glob("*/perso.yaml"))
    return [{"STACK_DIR": str(p.parent.relative_to(root)), "NO_COLOR": "1"} for p in specs]


def fleet_command(verb: str) -> str:
    """One stack's command: its own state key (and lock), and its perso.vars.yaml if it has one."""
    extra = "--auto-approve" if verb == "apply" else f"--json-out '{ARTIFACTS}/fleet/drift/{{{{ ds }}}}/'\"$name\".json"
    return (f'cd {REPO}/"$STACK_DIR" && name="$(basename "$STACK_DIR")" && '
            'if [ -f perso.vars.yaml ]; then set -- --var-file perso.vars.yaml; else set --; fi; '
            f'perso {verb} -f perso.yaml "$@" --state "{STATE}/$name.json" {extra}')


for verb, schedule in (("apply", None), ("drift", "37 3 * * *")):
    with DAG(dag_id=f"perso_fleet_{verb}", schedule=schedule, start_date=START, catchup=False,
             max_active_runs=1, default_args=DEFAULTS, tags=["perso", "fleet"],
             doc_md=f"`perso {verb}` on every stack under perso_fleet_dir, one mapped task each.") as fleet_dag:
        stacks = discover_stacks(REPO, "{{ var.value.get('perso_fleet_dir', 'stacks') }}")
        BashOperator.partial(task_id=verb, bash_command=fleet_command(verb), append_env=True).expand(env=stacks)
    globals()[fleet_dag.dag_id] = fleet_dag
