"""perso from Apache Airflow: the scheduler teams already use for their Personalize scripts.

Three DAGs per stack, each a thin shell around the perso CLI (so what runs here is exactly what
runs on a laptop or in GitHub Actions):

- perso_plan__<stack>   (manual, or triggered by your CI): validate, then `perso plan --out`;
                          the saved plan and its markdown go to S3 for review.
- perso_apply__<stack>  (manual, conf {"plan": "s3://.../plan.json"}): apply exactly that reviewed
                          plan. max_active_runs=1 is the concurrency group; perso's state lock
                          protects against any other writer. A stale plan (state written since,
                          spec changed, live resources changed) fails the task with the reason.
- perso_drift__<stack>  (nightly): `perso drift`; exit 2 (drift or pending changes) fails the
                          task, so your on_failure_callback / alerting fires; the JSON and
                          markdown reports go to S3.

Install perso (pinned) on the workers, give them an AWS role, and set the Airflow Variables
`perso_repo_dir` (a checkout of the repository holding the specs, e.g. synced by git-sync) and
`perso_artifacts` (an s3:// prefix). Works with Airflow 2.4+ and 3.x.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

STACKS = {"movielens": "examples/movielens/perso.yaml"}   # stack name -> spec path in the checkout
REPO = "{{ var.value.perso_repo_dir }}"
ARTIFACTS = "{{ var.value.perso_artifacts }}"
DEFAULTS = {"owner": "recsys", "retries": 0, "execution_timeout": timedelta(hours=6)}
ENV = {"NO_COLOR": "1"}

for stack, spec in STACKS.items():
    with DAG(
        dag_id=f"perso_plan__{stack}",
        schedule=None,
        start_date=datetime(2025, 1, 1),
        catchup=False,
        default_args=DEFAULTS,
        tags=["perso", stack],
        doc_md=f"Plan `{spec}` and save the plan to {ARTIFACTS}/{stack}/plans/ for review.",
    ) as plan_dag:
        validate = BashOperator(
            task_id="validate",
            bash_command=f"cd {REPO} && perso validate -f {spec}",
            env=ENV, append_env=True,
        )
        plan = BashOperator(
            task_id="plan",
            # exit 2 (changes) is success here; 1 (any error, usage errors too) or 130 fails the task
            bash_command=(
                f"cd {REPO} && set +e; "
                f"perso plan -f {spec} --out /tmp/perso-{stack}-{{{{ run_id }}}}.json --detailed-exitcode "
                f"--format markdown > /tmp/perso-{stack}-{{{{ run_id }}}}.md; code=$?; set -e; "
                f"cat /tmp/perso-{stack}-{{{{ run_id }}}}.md; "
                f'{{ test "$code" -eq 0 || test "$code" -eq 2; }} && '
                f"aws s3 cp /tmp/perso-{stack}-{{{{ run_id }}}}.json {ARTIFACTS}/{stack}/plans/{{{{ run_id }}}}.json && "
                f"aws s3 cp /tmp/perso-{stack}-{{{{ run_id }}}}.md {ARTIFACTS}/{stack}/plans/{{{{ run_id }}}}.md && "
                f"echo \"apply with: conf {{\\\"plan\\\": \\\"{ARTIFACTS}/{stack}/plans/{{{{ run_id }}}}.json\\\"}}\""
            ),
            env=ENV, append_env=True,
        )
        validate >> plan

    with DAG(
        dag_id=f"perso_apply__{stack}",
        schedule=None,
        start_date=datetime(2025, 1, 1),
        catchup=False,
        max_active_runs=1,             # the concurrency group: one apply of this stack at a time
        default_args=DEFAULTS,
        tags=["perso", stack],
        params={"plan": ""},
        doc_md="Apply a reviewed saved plan: trigger with conf {\"plan\": \"s3://.../plan.json\"}.",
    ) as apply_dag:
        BashOperator(
            task_id="apply_saved_plan",
            bash_command=(
                'test -n "{{ params.plan }}" || { echo "trigger with conf {\\"plan\\": \\"s3://...\\"}"; exit 1; }; '
                f"cd {REPO} && aws s3 cp '{{{{ params.plan }}}}' /tmp/perso-apply-{stack}.json && "
                f"perso apply /tmp/perso-apply-{stack}.json"
            ),
            env=ENV, append_env=True,
        )

    with DAG(
        dag_id=f"perso_drift__{stack}",
        schedule="17 3 * * *",
        start_date=datetime(2025, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULTS,
        tags=["perso", stack, "drift"],
        doc_md="Nightly drift: fails on exit 2 (drift or pending changes) and 1 (error).",
    ) as drift_dag:
        BashOperator(
            task_id="drift",
            bash_command=(
                f"cd {REPO} && set +e; "
                f"perso drift -f {spec} --format markdown --json-out /tmp/perso-drift-{stack}.json "
                f"> /tmp/perso-drift-{stack}.md; code=$?; set -e; cat /tmp/perso-drift-{stack}.md; "
                f"aws s3 cp /tmp/perso-drift-{stack}.json {ARTIFACTS}/{stack}/drift/{{{{ ds }}}}.json || true; "
                f"aws s3 cp /tmp/perso-drift-{stack}.md {ARTIFACTS}/{stack}/drift/{{{{ ds }}}}.md || true; "
                'exit "$code"'
            ),
            env=ENV, append_env=True,
        )

    globals()[plan_dag.dag_id] = plan_dag
    globals()[apply_dag.dag_id] = apply_dag
    globals()[drift_dag.dag_id] = drift_dag
