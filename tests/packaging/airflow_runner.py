"""Runs inside the Airflow venv (not the test's): load a DAG folder with Airflow's own DagBag and
`dag.test()` the DAGs named on the command line, in order. Prints one JSON document last.

argv: DAG_FOLDER STEPS_JSON, where STEPS_JSON is [{"dag_id": ..., "conf": {...}}, ...]; a conf
string may name an earlier run's id as {run_id:DAG_ID}.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
    result: dict = {"dags": sorted(bag.dag_ids), "import_errors": dict(bag.import_errors), "runs": []}
    run_ids: dict[str, str] = {}
    for step in json.loads(sys.argv[2]) if not bag.import_errors else []:
        conf = json.dumps(step.get("conf") or {})
        for dag_id, run_id in run_ids.items():
            conf = conf.replace("{run_id:" + dag_id + "}", run_id)
        run = bag.get_dag(step["dag_id"]).test(run_conf=json.loads(conf))
        run_ids[step["dag_id"]] = run.run_id
        tasks = {f"{ti.task_id}[{ti.map_index}]" if ti.map_index >= 0 else ti.task_id: ti.state
                 for ti in run.get_task_instances()}
        result["runs"].append({"dag_id": step["dag_id"], "run_id": run.run_id, "state": run.state, "tasks": tasks})
    print("PERSO-AIRFLOW-RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
